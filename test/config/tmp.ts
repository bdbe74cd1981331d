import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-config-"));
  dirs.push(dir);
  return dir;
}

/** Writes `content` to `name` in a fresh temporary directory; returns the directory and path. */
export function writeTemp(name: string, content: string): { dir: string; path: string } {
  const dir = tempDir();
  const path = join(dir, name);
  writeFileSync(path, content);
  return { dir, path };
}

/** Joins lines into file content, so tests can count lines. */
export const lines = (...rows: string[]): string => rows.join("\n") + "\n";

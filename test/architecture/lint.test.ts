/**
 * The linter and the formatter run with the tests: typescript-eslint's type-aware recommended
 * rules (eslint.config.js, where every rule turned off says why) over src/ and test/, and
 * Prettier's formatting (.prettierrc.json) of every TypeScript file and script. A finding fails
 * the suite with its file, line and rule.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("lint and format", () => {
  it("eslint reports nothing in src/ and test/", async () => {
    const eslint = new ESLint({ cwd: root });
    const results = await eslint.lintFiles(["src", "test"]);
    const problems = results.flatMap((r) => r.messages.map((m) => `${relative(root, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? "parse"}: ${m.message}`));
    expect(problems).toEqual([]);
  }, 600_000);

  it("every TypeScript file and script is formatted as Prettier formats it", async () => {
    const files = [...walk("src", ".ts"), ...walk("test", ".ts").filter((f) => !f.startsWith("test/fixtures/")), ...walk("scripts", ".mjs"), "eslint.config.js", "vitest.config.ts"];
    expect(files.length).toBeGreaterThan(300);
    const unformatted: string[] = [];
    for (const f of files) {
      const path = `${root}/${f}`;
      const options = await prettier.resolveConfig(path);
      if (!(await prettier.check(readFileSync(path, "utf8"), { ...options, filepath: path }))) unformatted.push(f);
    }
    expect(unformatted, "run: npx prettier --write <file>").toEqual([]);
  }, 120_000);
});

/** Files under `dir` (relative to the repository) whose name ends with `ext`. */
function walk(dir: string, ext: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? walk(rel, ext) : e.name.endsWith(ext) ? [rel] : [];
  });
}

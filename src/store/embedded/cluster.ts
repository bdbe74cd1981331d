/**
 * Creating the embedded store's PostgreSQL cluster in `<data_dir>/pg`, with a generated password
 * for its superuser kept beside its files in `<data_dir>/pg/switchboard.password` (mode 0600).
 *
 * The cluster is made in a directory of its own (`<data_dir>/pg.creating-<pid>-<random>`) and
 * moved into place, password included, when complete: a first start cut short (a crash, a kill)
 * leaves no half-made cluster, only that directory, which a later start removes once its process
 * is gone. Of two processes creating at once, the first to move its cluster in wins; the other
 * uses that one.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PostgresBinaries } from "./binaries.js";
import type { RunAs } from "./run-as.js";

/** The superuser the gateway connects as. */
export const SUPERUSER = "switchboard";
export const DATABASE = "postgres";
export const PASSWORD_FILE = "switchboard.password";
const CREATING = ".creating-";
/** At most this long for initdb (well under a second on an idle machine). */
const INITDB_TIMEOUT_MS = 120_000;

/** Creates `<dataDir>/pg` unless it holds a cluster already. */
export async function ensureCluster(dataDir: string, bins: PostgresBinaries, runAs: RunAs | null): Promise<void> {
  const dir = join(dataDir, "pg");
  if (existsSync(join(dir, "PG_VERSION"))) return;
  if (await holdsFiles(dir)) {
    throw new Error(`${dir} holds files but no PostgreSQL cluster (no PG_VERSION): move them away, or set data_dir to another directory`);
  }
  await removeAbandonedCreations(dataDir, "pg");
  const making = join(dataDir, `pg${CREATING}${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(making, { mode: 0o700 });
  try {
    if (runAs) await chown(making, runAs.uid, runAs.gid);
    const password = randomBytes(24).toString("base64url");
    await writeOwned(join(making, "pwfile"), `${password}\n`, runAs);
    await initdb(bins, making, dir, runAs);
    await writeOwned(join(making, "data", PASSWORD_FILE), `${password}\n`, runAs);
    try {
      await rename(join(making, "data"), dir); // over an empty directory, or where there was none
    } catch (err) {
      if (existsSync(join(dir, "PG_VERSION"))) return; // another process moved its cluster in first
      throw new Error(`could not move the new PostgreSQL cluster into ${dir}: ${(err as Error).message}`);
    }
  } finally {
    await rm(making, { recursive: true, force: true }).catch(() => {});
  }
}

/** The superuser's password. */
export async function readPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, "pg", PASSWORD_FILE);
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new Error(`cannot read the embedded PostgreSQL's password ${file}: ${(err as Error).message}`);
  }
}

async function writeOwned(file: string, text: string, runAs: RunAs | null): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  if (runAs) await chown(file, runAs.uid, runAs.gid);
}

/**
 * Runs initdb as `runAs` on `<making>/data`. As root the directory is passed as an open
 * descriptor (`/proc/self/fd/3`): the user PostgreSQL runs as may not be allowed into the
 * directories above the data dir (a temporary directory, /root), yet owns everything below it.
 */
async function initdb(bins: PostgresBinaries, making: string, dir: string, runAs: RunAs | null): Promise<void> {
  const handle = runAs ? await open(making, "r") : null;
  const base = handle ? "/proc/self/fd/3" : making;
  const args = [
    `--pgdata=${base}/data`,
    `--username=${SUPERUSER}`,
    "--auth=scram-sha-256",
    `--pwfile=${base}/pwfile`,
    "--encoding=UTF8",
    "--locale=C",
    "--no-instructions",
    // One syncfs(2) of the file system instead of an fsync per file: as durable, ~2.5 s less on a busy disk.
    ...(process.platform === "linux" ? ["--sync-method=syncfs"] : []),
  ];
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bins.initdb, args, {
        stdio: ["ignore", "pipe", "pipe", ...(handle ? [handle.fd] : [])],
        ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
        timeout: INITDB_TIMEOUT_MS,
      });
      let output = "";
      const keep = (b: Buffer) => void (output = (output + b.toString("utf8")).slice(-4000));
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      child.on("error", (err) => reject(new Error(`could not create the embedded PostgreSQL cluster in ${dir}: ${err.message}`)));
      child.on("close", (code, signal) => {
        if (code === 0) return resolve();
        const why = signal === "SIGTERM" ? `no answer within ${INITDB_TIMEOUT_MS / 1000} s` : (initdbError(output) ?? `initdb exited with ${code ?? signal}`);
        reject(new Error(`could not create the embedded PostgreSQL cluster in ${dir}: ${why}`));
      });
    });
  } finally {
    await handle?.close();
  }
}

/** initdb's own error line, without its program-name prefix. */
function initdbError(output: string): string | undefined {
  const line = output.split("\n").find((l) => /^initdb: error: /.test(l));
  return line?.replace(/^initdb: error: /, "");
}

/** Anything in `dir` but the `lost+found` of a freshly made file system. */
async function holdsFiles(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((f) => f !== "lost+found");
  } catch {
    return false;
  }
}

/** Removes `<name>.creating-<pid>-…` directories whose process has gone. */
async function removeAbandonedCreations(parent: string, name: string): Promise<void> {
  for (const f of await readdir(parent)) {
    if (!f.startsWith(name + CREATING)) continue;
    const pid = Number(f.slice(name.length + CREATING.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) continue;
    await rm(join(parent, f), { recursive: true, force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // there, but someone else's
  }
}

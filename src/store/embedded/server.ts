/**
 * The embedded store's PostgreSQL server: a postmaster the gateway starts on `<data_dir>/pg` and
 * stops (fast shutdown) when the store closes.
 *
 * It listens on a Unix socket in `<data_dir>/pg` only, or, where that path is too long for a
 * socket, on a free loopback port. Its log goes to `<data_dir>/pg/server.log`.
 *
 * The server's life follows the gateway's:
 * - it runs in a session of its own, so a Ctrl-C in the terminal reaches the gateway only, which
 *   flushes its usage ledger before it stops the server;
 * - a watchdog (a `sh` process holding a pipe from the gateway) sees the pipe close when the
 *   gateway dies, even by `kill -9`, and asks the server for a fast shutdown;
 * - a start that finds a server still running on the directory (`postmaster.pid`) whose gateway
 *   is gone (`<data_dir>/pg.owner`) waits for it to stop, stopping it itself if needed; one whose
 *   gateway is alive is refused.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chown, open, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { PostgresBinaries } from "./binaries.js";
import { processAlive } from "./cluster.js";
import type { RunAs } from "./run-as.js";

export interface ServerState {
  status: "running" | "stopped" | "exited";
  pid: number;
  /** Why it exited, when it did on its own. */
  exit?: string;
}

export interface EmbeddedServer {
  dir: string;
  version: string;
  /** Unix socket directory, or 127.0.0.1. */
  host: string;
  port: number;
  /** "unix socket" or "127.0.0.1:<port>". */
  listen: string;
  state(): ServerState;
  /** Fast shutdown; resolves when the postmaster has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes on Linux, 104 on macOS, with its NUL. */
const MAX_SOCKET_PATH = 103;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
/** How long a start waits for an orphaned server to stop by its watchdog before stopping it itself. */
const ORPHAN_GRACE_MS = 5_000;
const LOG_FILE = "server.log";
const MAX_LOG_BYTES = 10 * 2 ** 20;
export const OWNER_FILE = "pg.owner";

/** Settings for a small server on the gateway's machine. */
const SETTINGS = ["shared_buffers=32MB", "max_connections=40", "dynamic_shared_memory_type=posix", "log_line_prefix=%m [%p] "];

/** Directories with a server started by this process. */
const running = new Set<string>();

export async function startServer(dataDir: string, bins: PostgresBinaries, runAs: RunAs | null): Promise<EmbeddedServer> {
  const dir = join(dataDir, "pg");
  if (running.has(dir)) throw new Error(`the embedded PostgreSQL in ${dir} is already open in this process`);
  await clearPrevious(dir, dataDir);
  await writeOwner(dataDir);
  const socket = Buffer.byteLength(join(dir, `.s.PGSQL.${SOCKET_PORT}`)) <= MAX_SOCKET_PATH;
  for (let attempt = 1; ; attempt++) {
    const port = socket ? SOCKET_PORT : await freePort();
    try {
      const child = await launch(dir, bins, runAs, socket, port);
      running.add(dir);
      return serverHandle(dir, bins, child, socket, port, () => running.delete(dir), dataDir);
    } catch (err) {
      // A loopback port taken between choosing it and the server binding it: another one.
      if (socket || attempt >= 3 || !/could not (bind|create any TCP\/IP sockets)/i.test((err as Error).message)) throw err;
    }
  }
}

async function launch(dir: string, bins: PostgresBinaries, runAs: RunAs | null, socket: boolean, port: number): Promise<ChildProcess> {
  const log = await openLog(dir, runAs);
  // As root, the data directory is passed as an open descriptor: see cluster.ts, initdb().
  const handle = runAs ? await open(dir, "r") : null;
  const base = handle ? "/proc/self/fd/3" : dir;
  const listen = socket ? ["listen_addresses=", `unix_socket_directories=${base}`] : ["listen_addresses=127.0.0.1", "unix_socket_directories="];
  const args = ["-D", base, "-p", String(port), ...[...listen, ...SETTINGS].flatMap((s) => ["-c", s])];
  let child: ChildProcess;
  try {
    child = spawn(bins.postgres, args, {
      stdio: ["ignore", log.fd, log.fd, ...(handle ? [handle.fd] : [])],
      detached: true, // a session of its own: the terminal's Ctrl-C goes to the gateway only
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
  } finally {
    await log.close();
    await handle?.close();
  }
  child.unref();
  try {
    await waitReady(dir, child);
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGQUIT");
    throw err;
  }
  return child;
}

function serverHandle(dir: string, bins: PostgresBinaries, child: ChildProcess, socket: boolean, port: number, forget: () => void, dataDir: string): EmbeddedServer {
  const pid = child.pid!;
  const watchdog = startWatchdog(pid, dir);
  let exit: string | undefined;
  let stopping: Promise<void> | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      forget();
      resolve();
    });
  });
  return {
    dir,
    version: bins.version,
    host: socket ? dir : "127.0.0.1",
    port,
    listen: socket ? "unix socket" : `127.0.0.1:${port}`,
    state: () => (stopping ? { status: "stopped", pid } : exit ? { status: "exited", pid, exit } : { status: "running", pid }),
    stop: () =>
      (stopping ??= (async () => {
        watchdog.kill("SIGKILL");
        if (!exit) {
          child.kill("SIGINT"); // fast shutdown: ends sessions, checkpoints, exits
          if (!(await within(exited, STOP_TIMEOUT_MS))) {
            child.kill("SIGQUIT"); // immediate shutdown: recovery from the WAL at the next start
            await within(exited, 5_000);
          }
        }
        await rm(join(dataDir, OWNER_FILE), { force: true });
      })()),
  };
}

/**
 * `sh` reading a pipe whose other end only this process holds: at EOF (this process is gone) it
 * sends SIGINT to the postmaster, if `postmaster.pid` still names it.
 */
function startWatchdog(pid: number, dir: string): ChildProcess {
  const script = 'cat >/dev/null 2>&1; p=$(head -n 1 "$2/postmaster.pid" 2>/dev/null); [ "$p" = "$1" ] && kill -INT "$1"';
  const dog = spawn("/bin/sh", ["-c", script, "switchboard-pg-watchdog", String(pid), dir], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  dog.on("error", () => {}); // no sh: the next start stops an orphan itself
  dog.unref();
  const stdin = dog.stdin as Writable & { unref?: () => void };
  stdin.on("error", () => {});
  stdin.unref?.();
  return dog;
}

/** Resolves when `postmaster.pid` names `child` and says "ready"; rejects with the server's error when it exits. */
async function waitReady(dir: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let spawnError: Error | undefined;
  child.once("error", (err) => (spawnError = err));
  for (;;) {
    if (spawnError) throw new Error(`could not start the embedded PostgreSQL in ${dir}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the embedded PostgreSQL in ${dir} did not start: ${await logError(dir)}`);
    }
    const lines = readPidFile(dir);
    if (lines && Number(lines[0]) === child.pid && lines[7]?.trim() === "ready") return;
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL in ${dir} was not ready within ${READY_TIMEOUT_MS / 1000} s (see ${join(dir, LOG_FILE)})`);
    await sleep(5);
  }
}

/**
 * A server still running on `dir` (after `kill -9` of its gateway, say). Refused when its gateway
 * is alive; otherwise stopped: by its watchdog, or failing that by this process.
 */
async function clearPrevious(dir: string, dataDir: string): Promise<void> {
  const pid = Number(readPidFile(dir)?.[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!processAlive(pid)) return; // PostgreSQL replaces a stale postmaster.pid itself
  if (!isPostgres(pid)) {
    await rm(join(dir, "postmaster.pid"), { force: true }); // the pid was reused (a container restart)
    return;
  }
  const owner = Number((await readFile(join(dataDir, OWNER_FILE), "utf8").catch(() => "")).trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
    throw new Error(`the embedded PostgreSQL in ${dir} (pid ${pid}) belongs to a running gateway (pid ${owner}): stop that one first, or set data_dir to another directory`);
  }
  const gone = () => !processAlive(pid) || Number(readPidFile(dir)?.[0]) !== pid;
  if (await until(gone, ORPHAN_GRACE_MS)) return;
  for (const [signal, ms] of [
    ["SIGINT", STOP_TIMEOUT_MS],
    ["SIGQUIT", 5_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone meanwhile
    }
    if (await until(gone, ms)) return;
  }
  throw new Error(`the embedded PostgreSQL left running in ${dir} (pid ${pid}) does not stop: stop it, then start again`);
}

function readPidFile(dir: string): string[] | null {
  try {
    return readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return null;
  }
}

function isPostgres(pid: number): boolean {
  if (process.platform !== "linux") return true;
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres";
  } catch {
    return false;
  }
}

async function writeOwner(dataDir: string): Promise<void> {
  const tmp = join(dataDir, `${OWNER_FILE}.${process.pid}`);
  await writeFile(tmp, `${process.pid}\n`);
  await rename(tmp, join(dataDir, OWNER_FILE));
}

async function openLog(dir: string, runAs: RunAs | null) {
  const file = join(dir, LOG_FILE);
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_LOG_BYTES) await truncate(file, 0);
  const log = await open(file, "a", 0o600);
  if (runAs) await chown(file, runAs.uid, runAs.gid); // the next start, as that user, appends to it
  return log;
}

/**
 * The server's own words for why it stopped: the last FATAL (or PANIC, ERROR) line of its log,
 * after the LOG line that explains it when there is one; else a pointer to the log.
 */
async function logError(dir: string): Promise<string> {
  const file = join(dir, LOG_FILE);
  const text = await readFile(file, "utf8").catch(() => "");
  const tail = text.split("\n").slice(-40);
  const at = tail.findLastIndex((l) => /\b(FATAL|PANIC|ERROR):/.test(l));
  if (at < 0) return `see ${file}`;
  const words = (l: string) => l.replace(/^.*?\b(LOG|FATAL|PANIC|ERROR):\s*/, "").replaceAll("/proc/self/fd/3", dir);
  const before = tail[at - 1];
  const cause = before && /\bLOG:/.test(before) && !/starting PostgreSQL|listening on|database system/.test(before) ? `${words(before)}; ` : "";
  return cause + words(tail[at]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([p.then(() => true), t]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

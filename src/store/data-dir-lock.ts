/**
 * The data directory lock: one process at a time works in a data directory (its embedded
 * database, usage spool and master key). A second gateway, or `switchboard migrate` on the
 * embedded store, is refused with `<data_dir> is in use by pid N`.
 *
 * Node has no flock(2). The lock is a Unix domain socket the owner listens on, `lock.sock` in the
 * data directory: a process that can connect to it knows the owner is alive (the owner answers
 * with its pid); a refused connection means the owner is gone (the system closed its listener
 * when it died, even by `kill -9`), so the lock is stale and is taken over. `lock.pid` beside it
 * holds the owner's pid for people and for the message when the owner is too busy to answer.
 *
 * Taking the lock is atomic: the socket is made under a name of its own and hard-linked to
 * `lock.sock`, which fails when that name exists. A stale socket is renamed aside and removed
 * only when it is the very file (inode) found dead, so two processes taking over at once cannot
 * remove each other's fresh lock.
 *
 * A socket path holds at most ~103 bytes. For a data directory whose path is too long, the socket
 * is `switchboard-<hash of the directory's real path>.sock` in the system's temporary directory
 * (or in /tmp when that path is long too): every process on the machine derives the same name.
 */
import { createHash, randomBytes } from "node:crypto";
import { linkSync, lstatSync, readFileSync, realpathSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDirectory, reason, StartupError } from "./data-dir.js";

export interface DataDirLock {
  /** The data directory as given. */
  readonly dataDir: string;
  /** The socket that holds the lock. */
  readonly socketPath: string;
  /** Gives the lock up: removes `lock.sock` and `lock.pid`, and the directory if this lock made it and it is empty. */
  release(): Promise<void>;
}

/** Another live process holds the data directory. */
export class DataDirBusyError extends StartupError {
  constructor(
    readonly shownAs: string,
    readonly pid: number | null,
  ) {
    super(`${shownAs} is in use by ${pid === null ? "another process" : `pid ${pid}`}`);
  }
}

export const LOCK_SOCKET = "lock.sock";
export const LOCK_PID = "lock.pid";

/** Longest socket path used, in bytes: sun_path is 108 bytes on Linux and 104 on macOS, with its NUL, minus the temporary suffix. */
const MAX_SOCKET_PATH = 103 - 16;
/** How long a live owner has to answer with its pid before `lock.pid` is read instead. */
const ANSWER_MS = 1000;
const ATTEMPTS = 5;

/**
 * Takes the lock on `dataDir`, making the directory if needed. Rejects with a `StartupError`
 * (`DataDirBusyError` when another process holds it); the message is one line naming `shownAs`.
 */
export async function acquireDataDirLock(dataDir: string, opts: { shownAs?: string } = {}): Promise<DataDirLock> {
  const shownAs = opts.shownAs ?? dataDir;
  const created = ensureDirectory(dataDir, shownAs);
  const dropDir = () => {
    if (!created) return;
    try {
      rmdirSync(dataDir); // only when empty
    } catch {
      // it holds something now: it stays
    }
  };
  let real: string;
  try {
    real = realpathSync(dataDir);
  } catch (e) {
    throw new StartupError(`data_dir ${shownAs} cannot be used: ${reason(e as NodeJS.ErrnoException)}`);
  }
  const socketPath = socketPathFor(real);
  const pidPath = join(real, LOCK_PID);
  const own = `${socketPath}.${process.pid.toString(36)}.${randomBytes(3).toString("hex")}`;
  const server = createServer((conn) => {
    conn.on("error", () => {});
    conn.end(`${process.pid}\n`);
  });
  try {
    await listen(server, own);
  } catch (e) {
    dropDir();
    throw new StartupError(`data_dir ${shownAs}: could not create its lock socket ${own}: ${reason(e as NodeJS.ErrnoException)}`);
  }
  server.unref(); // the lock never keeps the process alive on its own
  server.on("error", () => {}); // nothing to report once listening: a failed accept only loses one probe's answer

  const giveUp = async (err: unknown): Promise<never> => {
    unlinkQuietly(own);
    await closeServer(server);
    dropDir();
    throw err;
  };
  let ino = -1;
  for (let attempt = 0; attempt < ATTEMPTS && ino < 0; attempt++) {
    try {
      linkSync(own, socketPath);
      ino = lstatSync(socketPath).ino;
      break;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== "EEXIST") return giveUp(new StartupError(`data_dir ${shownAs}: could not take its lock ${socketPath}: ${reason(err)}`));
    }
    let owner: Owner;
    try {
      owner = await probeOwner(socketPath);
    } catch (e) {
      return giveUp(new StartupError(`data_dir ${shownAs}: could not check its lock ${socketPath}: ${reason(e as NodeJS.ErrnoException)}`));
    }
    if (owner.kind === "alive") return giveUp(new DataDirBusyError(shownAs, owner.pid ?? readPid(pidPath)));
    if (owner.kind === "stale") removeStale(socketPath, owner.ino);
  }
  if (ino < 0) return giveUp(new StartupError(`data_dir ${shownAs}: could not take its lock ${socketPath} (other processes kept taking it over)`));
  unlinkQuietly(own);
  try {
    writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o644 });
  } catch (e) {
    unlinkQuietly(socketPath);
    return giveUp(new StartupError(`data_dir ${shownAs}: could not write ${pidPath}: ${reason(e as NodeJS.ErrnoException)}`));
  }

  let releasing: Promise<void> | null = null;
  return {
    dataDir,
    socketPath,
    release: () =>
      (releasing ??= (async () => {
        try {
          if (lstatSync(socketPath).ino === ino) unlinkSync(socketPath);
        } catch {
          // already gone
        }
        if (readPid(pidPath) === process.pid) unlinkQuietly(pidPath);
        await closeServer(server);
        dropDir();
      })()),
  };
}

/** `<dir>/lock.sock`, or a name in the temporary directory derived from the directory's real path when that is too long. */
export function socketPathFor(realDir: string): string {
  const inDir = join(realDir, LOCK_SOCKET);
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir;
  const name = `switchboard-${createHash("sha256").update(realDir).digest("hex").slice(0, 24)}.sock`;
  const inTmp = join(tmpdir(), name);
  return Buffer.byteLength(inTmp) <= MAX_SOCKET_PATH ? inTmp : join("/tmp", name);
}

type Owner = { kind: "alive"; pid: number | null } | { kind: "stale"; ino: number } | { kind: "gone" };

/** Connects to the lock's socket: alive (with the pid it answers), stale (refused), or gone. */
function probeOwner(socketPath: string): Promise<Owner> {
  let ino: number;
  try {
    ino = lstatSync(socketPath).ino;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return Promise.resolve({ kind: "gone" });
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  return new Promise((resolve, reject) => {
    const conn = createConnection(socketPath);
    let answer = "";
    let timer: NodeJS.Timeout | undefined;
    const done = (owner: Owner) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(owner);
    };
    const alive = () => {
      const pid = Number(answer.trim());
      done({ kind: "alive", pid: Number.isInteger(pid) && pid > 0 ? pid : null });
    };
    conn.setEncoding("utf8");
    conn.on("connect", () => {
      timer = setTimeout(alive, ANSWER_MS);
    });
    conn.on("data", (d: string) => {
      answer += d;
      if (answer.includes("\n") || answer.length > 32) alive();
    });
    conn.on("end", alive);
    conn.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      conn.destroy();
      if (e.code === "ECONNREFUSED" || e.code === "ENOTSOCK") resolve({ kind: "stale", ino });
      else if (e.code === "ENOENT") resolve({ kind: "gone" });
      else if (e.code === "EAGAIN" || e.code === "ECONNRESET" || e.code === "EPIPE")
        alive(); // a listener is there
      else reject(e);
    });
  });
}

/** Removes the dead socket found at `socketPath`, only if it is still that file (inode `ino`). */
function removeStale(socketPath: string, ino: number): void {
  const aside = `${socketPath}.stale.${randomBytes(4).toString("hex")}`;
  try {
    renameSync(socketPath, aside);
  } catch {
    return; // gone meanwhile: the next attempt sees
  }
  let moved = -1;
  try {
    moved = lstatSync(aside).ino;
  } catch {
    return;
  }
  if (moved !== ino) {
    // Another process took the lock over between our probe and the rename: put its socket back.
    try {
      linkSync(aside, socketPath);
    } catch {
      // a third took the name meanwhile; the next attempt probes it
    }
  }
  unlinkQuietly(aside);
}

function readPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen(path, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The data directory lock (src/store/data-dir-lock.ts) and the bounded making of the data directory. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { acquireDataDirLock, DataDirBusyError, socketPathFor, type DataDirLock } from "../../src/store/data-dir-lock.js";
import { ensureDirectory, StartupError } from "../../src/store/data-dir.js";

const root = mkdtempSync(join(tmpdir(), "sb-lock-"));
const held: DataDirLock[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const l of held.splice(0)) await l.release();
  for (const c of children.splice(0)) c.kill("SIGKILL");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function take(dir: string): Promise<DataDirLock> {
  const lock = await acquireDataDirLock(dir);
  held.push(lock);
  return lock;
}

async function refusal(dir: string, shownAs?: string): Promise<unknown> {
  try {
    held.push(await acquireDataDirLock(dir, shownAs === undefined ? {} : { shownAs }));
  } catch (e) {
    return e;
  }
  throw new Error("the lock was taken twice");
}

/** A process listening on `socket` (answering nothing) until killed; resolves once it listens. */
function holder(socket: string): Promise<ChildProcess> {
  const script = `require("node:net").createServer(() => {}).listen(process.argv[1], () => process.stdout.write("ready\\n"));`;
  const child = spawn(process.execPath, ["-e", script, socket], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("data directory lock", () => {
  it("makes the directory, holds lock.sock and lock.pid, refuses a second taker by the owner's pid, and is free again after release", async () => {
    const dir = join(root, "a", "data");
    const lock = await take(dir);
    expect(lock.socketPath).toBe(join(dir, "lock.sock"));
    expect(existsSync(join(dir, "lock.sock"))).toBe(true);
    expect(readFileSync(join(dir, "lock.pid"), "utf8")).toBe(`${process.pid}\n`);

    const err = await refusal(dir, "./data");
    expect(err).toBeInstanceOf(DataDirBusyError);
    expect((err as Error).message).toBe(`./data is in use by pid ${process.pid}`);
    expect(existsSync(join(dir, "lock.sock"))).toBe(true); // the refused one left the owner's lock alone

    writeFileSync(join(dir, "master.key"), "k\n");
    await lock.release();
    expect(existsSync(join(dir, "lock.sock"))).toBe(false);
    expect(existsSync(join(dir, "lock.pid"))).toBe(false);
    expect(existsSync(dir)).toBe(true); // not empty: stays
    await take(dir);
  });

  it("takes over the lock of a process killed with kill -9 (the system closed its socket)", async () => {
    const dir = join(root, "stale");
    mkdirSync(dir);
    const child = await holder(join(dir, "lock.sock"));
    writeFileSync(join(dir, "lock.pid"), `${child.pid}\n`);
    // Alive: refused, named by lock.pid (this holder does not answer with its pid).
    expect(((await refusal(dir)) as Error).message).toBe(`${dir} is in use by pid ${child.pid}`);
    await killed(child);
    expect(existsSync(join(dir, "lock.sock"))).toBe(true); // left behind by the dead process
    await take(dir);
    expect(readFileSync(join(dir, "lock.pid"), "utf8")).toBe(`${process.pid}\n`);
  });

  it("treats a lock.sock that is not a socket as stale", async () => {
    const dir = join(root, "plain");
    mkdirSync(dir);
    writeFileSync(join(dir, "lock.sock"), "");
    await take(dir);
  });

  it("uses a socket in the temporary directory for a data directory whose path is too long for a socket", async () => {
    const dir = join(root, "x".repeat(60), "y".repeat(60));
    const lock = await take(dir);
    expect(lock.socketPath).toBe(socketPathFor(dir));
    expect(lock.socketPath.startsWith(join(dir, ""))).toBe(false);
    expect(Buffer.byteLength(lock.socketPath)).toBeLessThan(104);
    expect(((await refusal(dir)) as Error).message).toBe(`${dir} is in use by pid ${process.pid}`);
    await lock.release();
    expect(existsSync(lock.socketPath)).toBe(false);
  });

  it("removes the directory it made when it is released still empty", async () => {
    const dir = join(root, "fresh");
    const lock = await acquireDataDirLock(dir);
    await lock.release();
    expect(existsSync(dir)).toBe(false);
  });
});

describe("making the data directory", () => {
  it("a path the system will not create (/proc) ends at once with one line", () => {
    const t0 = Date.now();
    expect(() => ensureDirectory("/proc/switchboard/db", "/proc/switchboard/db")).toThrow(
      new StartupError("data_dir /proc/switchboard/db could not be created: the file system refused it (no such file or directory) (ENOENT) (at /proc/switchboard)"),
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("a file where the directory should be", () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    expect(() => ensureDirectory(file, "./a-file")).toThrow(new StartupError("data_dir ./a-file is a file, not a directory"));
    expect(() => ensureDirectory(join(file, "sub"), "./a-file/sub")).toThrow(new StartupError(`data_dir ./a-file/sub: ${file} is a file, not a directory`));
  });

  it("makes missing parents and says whether it made the directory", () => {
    const dir = join(root, "p", "q", "r");
    expect(ensureDirectory(dir)).toBe(true);
    expect(ensureDirectory(dir)).toBe(false);
  });
});

/**
 * The embedded PostgreSQL server's life beside the process that owns it: stopped after a
 * `kill -9` of its owner (watchdog), an orphan without a watchdog stopped by the next start, a
 * second process refused, root and non-root starts, a data dir too deep for a Unix socket.
 *
 * The owning process runs the built store (`dist/`): build first (npx tsc -p tsconfig.build.json).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/db.js";
import { CLI, runCli, startServe } from "../support/cli.js";
import { STORE_HOOK_TIMEOUT_MS } from "./backends.js";

const DIST = fileURLToPath(new URL("../../dist/store/db.js", import.meta.url));
const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
/** Whether uid 65534 can load the built gateway from this checkout (not when it lies in a 0700 folder, as a fresh clone in mktemp -d does). */
const NOBODY_CAN_RUN_CHECKOUT = ROOT && spawnSync(process.execPath, ["-e", `require("fs").accessSync(${JSON.stringify(DIST)})`], { uid: NOBODY, gid: NOBODY }).status === 0;
let root: string;

/** Opens the store in `dataDir`, writes a row, prints "ready", closes on SIGTERM. */
const OWNER = `
const { openStore } = await import(process.argv[1]);
const { sql } = await import("kysely");
const store = await openStore({ dataDir: process.argv[2] });
await sql\`create table if not exists marks (n int)\`.execute(store.db);
await sql\`insert into marks values (1)\`.execute(store.db);
process.on("SIGTERM", () => store.close().then(() => process.exit(0)));
setInterval(() => {}, 1000);
console.log("ready");
`;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build first (npx tsc -p tsconfig.build.json)`);
  root = mkdtempSync(join(tmpdir(), "sb-pgserver-"));
  chmodSync(root, 0o755); // for the test that starts as another user
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the embedded server and the process that owns it", () => {
  it(
    "after kill -9 of its owner, the watchdog stops the server within seconds; the next start has every row",
    async () => {
      const dataDir = join(root, "killed");
      const owner = await startOwner(dataDir);
      const pid = postmasterPid(dataDir);
      owner.kill("SIGKILL");
      const stoppedIn = await waitGone(pid, 10_000);
      expect(stoppedIn).toBeLessThan(3_000);
      const store = await openStore({ dataDir });
      try {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from marks`.execute(store.db);
        expect(rows).toEqual([{ n: 1 }]);
      } finally {
        await store.close();
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it(
    "refuses a second process while the owner lives, with one line that says what to do",
    async () => {
      const dataDir = join(root, "shared");
      const owner = await startOwner(dataDir);
      try {
        await expect(openStore({ dataDir })).rejects.toThrow(
          `the embedded PostgreSQL in ${join(dataDir, "pg")} (pid ${postmasterPid(dataDir)}) belongs to a running gateway (pid ${owner.pid}): stop that one first, or set data_dir to another directory`,
        );
      } finally {
        owner.kill("SIGTERM");
        await exited(owner);
      }
      expect(existsSync(join(dataDir, "pg", "postmaster.pid"))).toBe(false); // stopped cleanly
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it(
    "a server left behind with no watchdog either is stopped by the next start, which then comes up",
    async () => {
      const dataDir = join(root, "orphan");
      const owner = await startOwner(dataDir);
      const pid = postmasterPid(dataDir);
      const dog = watchdogOf(owner.pid!);
      process.kill(dog, "SIGKILL");
      owner.kill("SIGKILL");
      await exited(owner);
      await new Promise((r) => setTimeout(r, 500));
      expect(alive(pid)).toBe(true); // nobody stops it now
      const store = await openStore({ dataDir });
      try {
        expect(alive(pid)).toBe(false);
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from marks`.execute(store.db);
        expect(rows).toEqual([{ n: 1 }]);
      } finally {
        await store.close();
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it(
    "listens on a loopback port when the data dir is too deep for a Unix socket",
    async () => {
      const dataDir = join(root, "d".repeat(60), "e".repeat(40));
      const store = await openStore({ dataDir });
      try {
        expect(store.description).toMatch(new RegExp(`^embedded PostgreSQL 17\\.10 in ${dataDir}/pg \\(127\\.0\\.0\\.1:\\d+\\)$`));
        await expect(store.ping()).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );
});

describe.runIf(ROOT)("started as root", () => {
  it(
    "runs PostgreSQL as the postgres user in a data dir of root's (even under a directory only root may enter)",
    async () => {
      const hidden = mkdtempSync(join(tmpdir(), "sb-root-only-")); // mode 0700, root's
      try {
        const store = await openStore({ dataDir: join(hidden, "data") });
        await store.close();
        const pgDir = statSync(join(hidden, "data", "pg"));
        const postgresUid = Number(
          readFileSync("/etc/passwd", "utf8")
            .split("\n")
            .find((l) => l.startsWith("postgres:"))!
            .split(":")[2],
        );
        expect([pgDir.uid, pgDir.mode & 0o777]).toEqual([postgresUid, 0o700]);
      } finally {
        rmSync(hidden, { recursive: true, force: true });
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it.runIf(NOBODY_CAN_RUN_CHECKOUT)(
    "gives the cluster to the data dir's owner, so that a later start as that user (not root) works",
    async () => {
      const dataDir = join(root, "users");
      mkdirSync(dataDir);
      chownSync(dataDir, NOBODY, NOBODY);
      const store = await openStore({ dataDir });
      await sql`create table marks (n int)`.execute(store.db);
      await store.close();
      expect(statSync(join(dataDir, "pg")).uid).toBe(NOBODY);
      const owner = await startOwner(dataDir, NOBODY); // adds a row as uid 65534
      owner.kill("SIGTERM");
      expect(await exited(owner)).toBe(0);
      const again = await openStore({ dataDir });
      try {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from marks`.execute(again.db);
        expect(rows).toEqual([{ n: 1 }]);
      } finally {
        await again.close();
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it.runIf(NOBODY_CAN_RUN_CHECKOUT)(
    "a start as another user than the cluster's is refused with one line that says what to do",
    async () => {
      const dataDir = join(root, "roots");
      mkdirSync(dataDir);
      await (await openStore({ dataDir })).close(); // the postgres user's cluster
      chownSync(dataDir, NOBODY, NOBODY);
      const child = spawn(process.execPath, ["--input-type=module", "-e", OWNER, DIST, dataDir], { uid: NOBODY, gid: NOBODY, stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      expect(await exited(child)).toBe(1);
      const uid = statSync(join(dataDir, "pg")).uid;
      expect(err).toContain(
        `Error: ${join(dataDir, "pg")} belongs to uid ${uid}, and PostgreSQL runs only as the owner of its files: start the gateway as that user (or as root), or give the directory to uid ${NOBODY} (chown -R)`,
      );
    },
    STORE_HOOK_TIMEOUT_MS,
  );
});

async function startOwner(dataDir: string, uid?: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", OWNER, DIST, dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve();
    });
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => reject(new Error(`owner exited with ${code}: ${out}`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
}

/** The watchdog `sh` among the children of `pid`. */
function watchdogOf(pid: number): number {
  for (const line of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)) {
    const child = Number(line);
    if (readFileSync(`/proc/${child}/cmdline`, "utf8").includes("switchboard-pg-watchdog")) return child;
  }
  throw new Error(`no watchdog under ${pid}`);
}

/** Running (an exited process its new parent has not reaped yet counts as gone). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0] !== "Z";
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<number> {
  const started = Date.now();
  while (alive(pid) && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 20));
  return Date.now() - started;
}

describe.runIf(existsSync(CLI))("the gateway on the embedded store", () => {
  it(
    "prints where its store is, shows the server in /readyz, and a second gateway on the data dir is refused with one line",
    async () => {
      const dataDir = join(root, "gateway");
      const env = { SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_MASTER_KEY: "sb-master-embedded-server-test-key" };
      const first = await startServe([], { env });
      try {
        expect(first.output()).toContain(`store: embedded PostgreSQL 17.10 in ${join(dataDir, "pg")} (unix socket)"`); // a JSON log line
        const ready = (await (await fetch(`${first.url}/readyz`)).json()) as { checks: Record<string, unknown> };
        expect(ready.checks.database).toEqual({ status: "ok", engine: "embedded PostgreSQL 17.10", server: "running", pid: postmasterPid(dataDir), listen: "unix socket" });
        const second = await runCli(["serve", "--port", "0"], { env, timeoutMs: 30_000 });
        expect(second.code).toBe(1);
        expect(second.stderr.trim().split("\n")).toEqual([`switchboard: could not start: ${dataDir} is in use by pid ${first.child.pid}`]);
        // The server stopping under the gateway shows in /readyz.
        process.kill(postmasterPid(dataDir), "SIGINT");
        await waitGone(postmasterPid(dataDir), 10_000).catch(() => 0);
        await new Promise((r) => setTimeout(r, 300));
        const down = await fetch(`${first.url}/readyz`);
        expect(down.status).toBe(503);
        expect(((await down.json()) as { checks: { database: { error: string } } }).checks.database.error).toMatch(/^embedded PostgreSQL \(pid \d+\) exited \(exit code 0\)$/);
      } finally {
        first.child.kill("SIGTERM");
        await first.exited;
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );
});

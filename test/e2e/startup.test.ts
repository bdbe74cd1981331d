/**
 * Start-up through the built CLI, as a new user meets it: one gateway per data directory, a
 * start that always ends with one clear line, signals during start-up, a taken port that writes
 * nothing, and usage.fsync.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { bindServer } from "../../src/http/listen.js";
import { databaseAddress } from "../../src/store/connect-errors.js";
import { pgTestServer, withDatabase } from "../store/pg-helper.js";
import { CLI, runCli, startServe, type ServeProcess } from "../support/cli.js";

const MASTER_KEY = "sb-master-startup-test-0123456789abcdef";
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sb-startup-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh working directory whose ./.switchboard holds a migrated embedded store (quick to open). */
function workdir(name: string): string {
  const cwd = join(root, name);
  cpSync(inject("storeTemplate"), join(cwd, ".switchboard"), { recursive: true });
  return cwd;
}

function listenOn(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listenOn(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** stderr is exactly one line (and no stack trace). */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim());
  expect(lines, stderr).toHaveLength(1);
  return lines[0] ?? "";
}

describe("one gateway per data directory", () => {
  it("a second serve and migrate on the same ./.switchboard are refused by pid; after kill -9 of the first, the next start takes over", async () => {
    const cwd = workdir("lock");
    const env = { SWITCHBOARD_MASTER_KEY: MASTER_KEY };
    const first = await startServe([], { cwd, env });
    let next: ServeProcess | undefined;
    try {
      const second = await runCli(["serve", "--port", "0"], { cwd, env });
      expect(oneLine(second.stderr)).toBe(`switchboard: could not start: ./.switchboard is in use by pid ${first.child.pid}`);
      expect(second.code).toBe(1);

      const migrate = await runCli(["migrate"], { cwd, env });
      expect(oneLine(migrate.stderr)).toBe(`switchboard: ./.switchboard is in use by pid ${first.child.pid}`);
      expect(migrate.code).toBe(1);

      // The first one is untouched by the refusals.
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      expect(readFileSync(join(cwd, ".switchboard", "lock.pid"), "utf8")).toBe(`${first.child.pid}\n`);

      first.child.kill("SIGKILL");
      await first.exited;
      expect(existsSync(join(cwd, ".switchboard", "lock.sock"))).toBe(true); // left by the killed process
      next = await startServe([], { cwd, env });
      expect(readFileSync(join(cwd, ".switchboard", "lock.pid"), "utf8")).toBe(`${next.child.pid}\n`);
      expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
    } finally {
      first.child.kill("SIGKILL");
      if (next) {
        next.child.kill("SIGTERM");
        expect(await next.exited).toBe(0);
      }
    }
    // A clean stop gives the lock up; migrate may run now.
    expect(existsSync(join(cwd, ".switchboard", "lock.sock"))).toBe(false);
    const migrate = await runCli(["migrate"], { cwd, env });
    expect(migrate.stderr).toBe("");
    expect(migrate.stdout).toMatch(/^schema is up to date \(version \d+\)\n$/);
  });
});

describe("start-up errors are one line naming the setting", () => {
  it("a data directory the system will not create (/proc) ends at once", async () => {
    const t0 = Date.now();
    const r = await runCli(["serve", "--port", "0"], { env: { SWITCHBOARD_DATA_DIR: "/proc/switchboard" }, timeoutMs: 10_000 });
    expect(oneLine(r.stderr)).toBe("switchboard: could not start: data_dir /proc/switchboard could not be created: the file system refused it (no such file or directory) (ENOENT)");
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it("a data directory that is a file", async () => {
    const cwd = join(root, "file-dir");
    cpSync(inject("storeTemplate"), cwd, { recursive: true });
    writeFileSync(join(cwd, "x"), "");
    const env = { SWITCHBOARD_DATA_DIR: "./x", SWITCHBOARD_MASTER_KEY: MASTER_KEY };
    const serve = await runCli(["serve", "--port", "0"], { cwd, env });
    expect(oneLine(serve.stderr)).toBe("switchboard: could not start: data_dir ./x is a file, not a directory");
    expect(serve.code).toBe(1);
    const migrate = await runCli(["migrate"], { cwd, env });
    expect(oneLine(migrate.stderr)).toBe("switchboard: data_dir ./x is a file, not a directory");
    expect(migrate.code).toBe(1);
  });

  it("a taken port: nothing is written to the data directory, no master key is generated", async () => {
    const cwd = mkdtempSync(join(root, "port-"));
    const blocker = createServer();
    const port = await listenOn(blocker);
    try {
      const r = await runCli(["serve", "--port", String(port)], { cwd });
      expect(oneLine(r.stderr)).toBe(`switchboard: could not start: port ${port} on 127.0.0.1 is in use (set --port or SWITCHBOARD_PORT)`);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(readdirSync(cwd)).toEqual([]); // not even ./.switchboard
    } finally {
      blocker.close();
    }
  });

  it("DATABASE_URL that is not a URL", async () => {
    const cwd = mkdtempSync(join(root, "badurl-"));
    const env = { DATABASE_URL: "not-a-url", SWITCHBOARD_MASTER_KEY: MASTER_KEY };
    const line = "DATABASE_URL is not a valid PostgreSQL URL (expected postgres://user:password@host:5432/database)";
    const serve = await runCli(["serve", "--port", "0"], { cwd, env });
    expect(oneLine(serve.stderr)).toBe(`switchboard: could not start: ${line}`);
    expect(serve.code).toBe(1);
    const migrate = await runCli(["migrate"], { cwd, env });
    expect(oneLine(migrate.stderr)).toBe(`switchboard: ${line}`);
    expect(migrate.code).toBe(1);
    const http = await runCli(["migrate"], { cwd, env: { ...env, DATABASE_URL: "http://db.example:5432/x" } });
    expect(oneLine(http.stderr)).toBe('switchboard: DATABASE_URL is not a valid PostgreSQL URL: it starts with "http://", not "postgres://" (expected postgres://user:password@host:5432/database)');
  });

  it("a database that refuses the connection: 'database', host:port, and why (never the password)", async () => {
    const cwd = mkdtempSync(join(root, "refused-"));
    const port = await freePort();
    const env = { DATABASE_URL: `postgres://postgres:secret-pw@127.0.0.1:${port}/x`, SWITCHBOARD_MASTER_KEY: MASTER_KEY };
    const line = `could not connect to the database at 127.0.0.1:${port} (DATABASE_URL): connection refused`;
    const serve = await runCli(["serve", "--port", "0"], { cwd, env });
    expect(oneLine(serve.stderr)).toBe(`switchboard: could not start: ${line}`);
    expect(serve.code).toBe(1);
    const migrate = await runCli(["migrate"], { cwd, env });
    expect(oneLine(migrate.stderr)).toBe(`switchboard: ${line}`);
    expect(serve.stderr + migrate.stderr).not.toContain("secret-pw");
  });

  it("a database that does not exist on a server that answers: PostgreSQL's own reason", async () => {
    const server = await pgTestServer();
    if (!server) return;
    const url = withDatabase(server, "sb_no_such_database");
    const cwd = mkdtempSync(join(root, "nodb-"));
    const r = await runCli(["serve", "--port", "0"], { cwd, env: { DATABASE_URL: url, SWITCHBOARD_MASTER_KEY: MASTER_KEY } });
    expect(oneLine(r.stderr)).toBe(`switchboard: could not start: could not connect to the database at ${databaseAddress(url)} (DATABASE_URL): database "sb_no_such_database" does not exist`);
    expect(r.code).toBe(1);
  });

  it("a database that accepts but never answers: the connection times out with one line", async () => {
    const hole = await blackhole();
    try {
      const cwd = mkdtempSync(join(root, "silent-"));
      const env = { DATABASE_URL: `postgres://postgres@127.0.0.1:${hole.port}/x`, SWITCHBOARD_MASTER_KEY: MASTER_KEY };
      const r = await runCli(["serve", "--port", "0"], { cwd, env, timeoutMs: 20_000 });
      expect(oneLine(r.stderr)).toBe(`switchboard: could not start: could not connect to the database at 127.0.0.1:${hole.port} (DATABASE_URL): no answer (connection timed out)`);
      expect(r.code).toBe(1);
    } finally {
      await hole.close();
    }
  });
});

describe("the listening socket, bound first", () => {
  it("answers 503 'starting' (Retry-After: 1) until the gateway hands it its handler", async () => {
    const bound = await bindServer({ host: "127.0.0.1", port: 0 });
    try {
      expect(bound.url).toBe(`http://127.0.0.1:${bound.port}`);
      const early = await fetch(`${bound.url}/healthz`);
      expect(early.status).toBe(503);
      expect(early.headers.get("retry-after")).toBe("1");
      expect(await early.json()).toEqual({
        error: { message: "the gateway is starting; retry in a moment", type: "api_error", param: null, code: "starting" },
      });
      bound.serve((_req, res) => res.end("ready"));
      expect(await (await fetch(`${bound.url}/healthz`)).text()).toBe("ready");
    } finally {
      await bound.close();
    }
  });
});

describe("signals during start-up", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} while waiting for a database that never answers cancels the start, gives the lock up and exits 0`, async () => {
      const hole = await blackhole();
      const cwd = mkdtempSync(join(root, `signal-${signal}-`));
      try {
        const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
          cwd,
          env: { PATH: process.env.PATH ?? "", DATABASE_URL: `postgres://postgres@127.0.0.1:${hole.port}/x`, SWITCHBOARD_MASTER_KEY: MASTER_KEY },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
        await hole.connected; // the start is waiting on the database now
        expect(existsSync(join(cwd, ".switchboard", "lock.sock"))).toBe(true);
        const t0 = Date.now();
        child.kill(signal);
        const code = await exited;
        // The connection timeout is 5 s: ending well before it shows the start was cancelled.
        expect(Date.now() - t0).toBeLessThan(4000);
        expect(code).toBe(0);
        expect(stderr).toBe(`${signal}: cancelling the start...\nswitchboard: start-up cancelled by ${signal}\n`);
        expect(existsSync(join(cwd, ".switchboard", "lock.sock"))).toBe(false);
      } finally {
        await hole.close();
      }
    });
  }
});

describe("usage.fsync", () => {
  const strace = spawnSync("strace", ["-V"]).status === 0;
  it.skipIf(!strace)(
    "true: the spool is synced to disk after each usage row; false: never",
    async () => {
      const counts: Record<string, number> = {};
      for (const fsync of [true, false]) {
        const cwd = workdir(`fsync-${fsync}`);
        writeFileSync(join(cwd, "switchboard.yaml"), `usage: { fsync: ${fsync} }\n`);
        const trace = join(cwd, "strace.txt");
        const s = await startServeUnder(["strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", trace], cwd, { SWITCHBOARD_MASTER_KEY: MASTER_KEY });
        try {
          for (let i = 0; i < 3; i++) {
            const res = await fetch(`${s.url}/v1/chat/completions`, {
              method: "POST",
              headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
              body: JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: `hi ${i}` }] }),
            });
            expect(res.status).toBe(200);
          }
        } finally {
          // The gateway, not strace (which would detach and leave it running): its pid is in lock.pid.
          process.kill(Number(readFileSync(join(cwd, ".switchboard", "lock.pid"), "utf8")), "SIGTERM");
          await s.exited;
        }
        counts[String(fsync)] = readFileSync(trace, "utf8")
          .split("\n")
          .filter((l) => /f(data)?sync\(\d+<[^>]*\/spool\/u-[^>]*?\.jsonl(?: \(deleted\))?>/.test(l)).length;
      }
      // A call another traced process interrupts is printed as "fsync(fd<path> <unfinished ...>" and later
      // "<... fsync resumed>": the pattern matches the call's first line only, whatever follows it.
      expect(counts).toEqual({ true: 3, false: 0 });
    },
    120_000,
  );
});

/** `switchboard serve --port 0` run under a wrapper command (e.g. strace). */
function startServeUnder(wrapper: string[], cwd: string, env: Record<string, string>): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const [command = "", ...wrapperArgs] = wrapper;
    const child = spawn(command, [...wrapperArgs, process.execPath, CLI, "serve", "--port", "0"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start:\n${out}`));
    }, 30_000);
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => out, exited });
      }
    });
    void exited.then(() => reject(new Error(`serve exited:\n${out}`)));
  });
}

/** A TCP server that accepts connections and never says a word. */
async function blackhole(): Promise<{ port: number; connected: Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    onConnect();
  });
  const port = await listenOn(server);
  return {
    port,
    connected,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

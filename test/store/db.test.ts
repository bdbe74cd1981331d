import { createServer, type Server, type Socket } from "node:net";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import { insertUsageRecords } from "../../src/usage/ledger.js";
import { listUsageByRequest } from "../../src/usage/query.js";
import { usageRecord } from "../usage/fixtures.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "./backends.js";

const backends = await storeBackends();

describe.each(backends)("store on $kind", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
    await migrate(t.store);
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t?.dispose();
  });

  it("reports its kind and answers ping", async () => {
    expect(t.store.kind).toBe(backend.kind);
    await expect(t.store.ping()).resolves.toBeUndefined();
  });

  it.runIf(backend.kind === "embedded")("creates its data dir and keeps the database in <dataDir>/db", async () => {
    expect((await stat(join(t.options.dataDir, "db", "PG_VERSION"))).isFile()).toBe(true);
  });

  it("returns PostgreSQL types the same way on both backends", async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select 1::int as i, 2::bigint as b, 1.5::float8 as f, true as t,
             '2025-01-02T03:04:05.678Z'::timestamptz as ts, null::text as n`.execute(t.store.db);
    expect(rows).toEqual([{ i: 1, b: "2", f: 1.5, t: true, ts: new Date("2025-01-02T03:04:05.678Z"), n: null }]);
  });

  it("keeps working after a query fails", async () => {
    await expect(sql`select * from no_such_table`.execute(t.store.db)).rejects.toThrow(/no_such_table/);
    await expect(t.store.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      throw new Error("abort");
    })).rejects.toThrow("abort");
    const { rows } = await sql<{ ok: number }>`select 1 as ok`.execute(t.store.db);
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it("keeps data across close and reopen, and close() can be called twice", async () => {
    const rec = usageRecord();
    expect(await insertUsageRecords(t.store.db, [rec])).toBe(1);
    const old = t.store;
    await t.reopen();
    await expect(old.close()).resolves.toBeUndefined();
    expect(await listUsageByRequest(t.store.db, rec.requestId)).toEqual([{ id: expect.any(String), ...rec }]);
  }, STORE_HOOK_TIMEOUT_MS);
});

describe("embedded store creation", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sb-embedded-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates the database outside the process and runs with small shared buffers", async () => {
    // initdb in this process would grow its WebAssembly memory by ~600 MB for good.
    const before = process.memoryUsage().external;
    const store = await openStore({ dataDir: join(root, "fresh") });
    try {
      const grown = (process.memoryUsage().external - before) / 2 ** 20;
      expect(grown).toBeLessThan(300);
      const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(store.db);
      expect(rows).toEqual([{ shared_buffers: "16MB" }]);
      await migrate(store);
      expect(await insertUsageRecords(store.db, [usageRecord()])).toBe(1);
    } finally {
      await store.close();
    }
  }, STORE_HOOK_TIMEOUT_MS);

  it("moves the database in only when it is complete, removing what an interrupted start left", async () => {
    const dataDir = join(root, "interrupted");
    const gone = join(dataDir, "db.creating-2147483646-0badc0de"); // a first start killed mid-creation
    const running = join(dataDir, `db.creating-${process.pid}-00c0ffee`); // one still at work (this process)
    await mkdir(join(gone, "base"), { recursive: true });
    await writeFile(join(gone, "PG_VERSION"), "17");
    await mkdir(running, { recursive: true });
    const store = await openStore({ dataDir });
    try {
      await migrate(store);
      expect(await insertUsageRecords(store.db, [usageRecord()])).toBe(1);
      expect((await readdir(dataDir)).sort()).toEqual(["db", `db.creating-${process.pid}-00c0ffee`]);
      expect((await stat(join(dataDir, "db", "PG_VERSION"))).isFile()).toBe(true);
    } finally {
      await store.close();
    }
  }, STORE_HOOK_TIMEOUT_MS);

  it("reports why the database could not be created, and leaves nothing half-made", async () => {
    const dataDir = join(root, "failing");
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--require ${join(root, "no-such-preload.cjs")}`; // the creating process cannot start
    try {
      await expect(openStore({ dataDir })).rejects.toThrow(/could not create the embedded database in .*failing\/db: [\s\S]*no-such-preload/);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
    expect(await readdir(dataDir)).toEqual(["db"]);
    expect(await readdir(join(dataDir, "db"))).toEqual([]); // the next start creates it
  });

  it("follows a db folder that is a symlink", async () => {
    const dataDir = join(root, "linked");
    const elsewhere = join(root, "elsewhere");
    await mkdir(elsewhere);
    await mkdir(dataDir);
    await symlink(elsewhere, join(dataDir, "db"));
    const store = await openStore({ dataDir });
    try {
      await migrate(store);
      expect(await insertUsageRecords(store.db, [usageRecord()])).toBe(1);
    } finally {
      await store.close();
    }
    expect((await lstat(join(dataDir, "db"))).isSymbolicLink()).toBe(true);
    expect((await stat(join(elsewhere, "PG_VERSION"))).isFile()).toBe(true);
    expect(await readdir(dataDir)).toEqual(["db"]);
    expect(await readdir(root)).not.toContainEqual(expect.stringMatching(/creating/));
  });

  it("refuses a data dir whose db folder holds other files, and leaves them alone", async () => {
    const dataDir = join(root, "occupied");
    await mkdir(join(dataDir, "db"), { recursive: true });
    await writeFile(join(dataDir, "db", "notes.txt"), "mine");
    await expect(openStore({ dataDir })).rejects.toThrow(/db holds files but no embedded database \(no PG_VERSION\)/);
    expect(await readdir(join(dataDir, "db"))).toEqual(["notes.txt"]);
    expect(await readFile(join(dataDir, "db", "notes.txt"), "utf8")).toBe("mine");
  });
});

describe("postgres store when the server is not there", () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts TCP connections and never answers: a hung database.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
  });

  it("opens lazily and fails ping when the connection is refused", async () => {
    const store = await openStore({ databaseUrl: "postgres://postgres@127.0.0.1:1/none", dataDir: tmpdir() });
    expect(store.kind).toBe("postgres");
    await expect(store.ping()).rejects.toThrow(/ECONNREFUSED/);
    await store.close();
  });

  it("fails ping after the ping timeout when the server does not answer", async () => {
    const port = (silent.address() as { port: number }).port;
    const store = await openStore({
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/none`,
      dataDir: tmpdir(),
      pingTimeoutMs: 150,
    });
    const started = Date.now();
    await expect(store.ping()).rejects.toThrow("database ping timed out after 150 ms");
    expect(Date.now() - started).toBeLessThan(2000);
    sockets.forEach((s) => s.destroy());
    await store.close();
  });
});

import { createServer, type Server, type Socket } from "node:net";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeUrl, openStore } from "../../src/store/db.js";
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

  it.runIf(backend.kind === "embedded")("creates its data dir and keeps the cluster in <dataDir>/pg", async () => {
    expect((await stat(join(t.options.dataDir, "pg", "PG_VERSION"))).isFile()).toBe(true);
    expect(await t.store.health()).toEqual({ engine: "embedded PostgreSQL 17.10", server: "running", pid: expect.any(Number), listen: "unix socket" });
  });

  it("returns PostgreSQL types the same way on both backends", async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select 1::int as i, 2::bigint as b, 1.5::float8 as f, true as t,
             '2025-01-02T03:04:05.678Z'::timestamptz as ts, null::text as n`.execute(t.store.db);
    expect(rows).toEqual([{ i: 1, b: "2", f: 1.5, t: true, ts: new Date("2025-01-02T03:04:05.678Z"), n: null }]);
  });

  it("keeps working after a query fails", async () => {
    await expect(sql`select * from no_such_table`.execute(t.store.db)).rejects.toThrow(/no_such_table/);
    await expect(
      t.store.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const { rows } = await sql<{ ok: number }>`select 1 as ok`.execute(t.store.db);
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it(
    "keeps data across close and reopen, and close() can be called twice",
    async () => {
      const rec = usageRecord();
      expect(await insertUsageRecords(t.store.db, [rec])).toBe(1);
      const old = t.store;
      await t.reopen();
      await expect(old.close()).resolves.toBeUndefined();
      expect(await listUsageByRequest(t.store.db, rec.requestId)).toEqual([{ id: expect.any(String), ...rec }]);
    },
    STORE_HOOK_TIMEOUT_MS,
  );
});

describe("embedded store creation", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sb-embedded-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it(
    "creates a PostgreSQL cluster in <dataDir>/pg with a generated password (0600), and says where it is",
    async () => {
      const dataDir = join(root, "fresh");
      const store = await openStore({ dataDir });
      try {
        expect(store.description).toBe(`embedded PostgreSQL 17.10 in ${join(dataDir, "pg")} (unix socket)`);
        const { rows } = await sql<{ v: string; u: string }>`select current_setting('server_version') as v, current_user as u`.execute(store.db);
        expect(rows).toEqual([{ v: "17.10", u: "switchboard" }]);
        const password = await stat(join(dataDir, "pg", "switchboard.password"));
        expect(password.mode & 0o777).toBe(0o600);
        expect((await readFile(join(dataDir, "pg", "switchboard.password"), "utf8")).trim()).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(await readFile(join(dataDir, "pg.owner"), "utf8")).toBe(`${process.pid}\n`);
        await migrate(store);
        expect(await insertUsageRecords(store.db, [usageRecord()])).toBe(1);
      } finally {
        await store.close();
      }
      expect((await readdir(dataDir)).sort()).toEqual(["pg"]); // pg.owner goes with the server
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it(
    "moves the cluster in only when it is complete, removing what an interrupted start left",
    async () => {
      const dataDir = join(root, "interrupted");
      const gone = join(dataDir, "pg.creating-2147483646-0badc0de"); // a first start killed mid-creation
      const running = join(dataDir, `pg.creating-${process.pid}-00c0ffee`); // one still at work (this process)
      await mkdir(join(gone, "data", "base"), { recursive: true });
      await writeFile(join(gone, "data", "PG_VERSION"), "17");
      await mkdir(running, { recursive: true });
      const store = await openStore({ dataDir });
      try {
        await migrate(store);
        expect(await insertUsageRecords(store.db, [usageRecord()])).toBe(1);
        expect((await readdir(dataDir)).sort()).toEqual(["pg", `pg.creating-${process.pid}-00c0ffee`, "pg.owner"]);
        expect((await stat(join(dataDir, "pg", "PG_VERSION"))).isFile()).toBe(true);
      } finally {
        await store.close();
      }
    },
    STORE_HOOK_TIMEOUT_MS,
  );

  it("refuses a data dir whose pg folder holds other files, and leaves them alone", async () => {
    const dataDir = join(root, "occupied");
    await mkdir(join(dataDir, "pg"), { recursive: true });
    await writeFile(join(dataDir, "pg", "notes.txt"), "mine");
    await expect(openStore({ dataDir })).rejects.toThrow(`${join(dataDir, "pg")} holds files but no PostgreSQL cluster (no PG_VERSION): move them away, or set data_dir to another directory`);
    expect(await readdir(join(dataDir, "pg"))).toEqual(["notes.txt"]);
    expect(await readFile(join(dataDir, "pg", "notes.txt"), "utf8")).toBe("mine");
  });

  it(
    "reports the server's own words when it cannot start, and leaves the cluster as it was",
    async () => {
      const dataDir = join(root, "broken");
      await (await openStore({ dataDir })).close();
      const conf = join(dataDir, "pg", "postgresql.auto.conf");
      const saved = await readFile(conf, "utf8");
      await writeFile(conf, saved + "shared_buffers = 'lots'\n");
      await expect(openStore({ dataDir })).rejects.toThrow(
        `the embedded PostgreSQL in ${join(dataDir, "pg")} did not start: invalid value for parameter "shared_buffers": "lots"; configuration file "${join(dataDir, "pg")}/postgresql.auto.conf" contains errors`,
      );
      await writeFile(conf, saved);
      const store = await openStore({ dataDir });
      await store.close();
    },
    STORE_HOOK_TIMEOUT_MS,
  );
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

describe("the store's start-up line", () => {
  it("names a PostgreSQL server by host, port and database, never its user or password", () => {
    expect(describeUrl("postgres://app:s3cret@db.example:6543/ledger?sslmode=require")).toBe("PostgreSQL at db.example:6543/ledger (DATABASE_URL)");
    expect(describeUrl("postgresql://app:s3cret@db.example/ledger")).toBe("PostgreSQL at db.example:5432/ledger (DATABASE_URL)");
    expect(describeUrl("not a url :s3cret")).toBe("PostgreSQL (DATABASE_URL)");
  });
});

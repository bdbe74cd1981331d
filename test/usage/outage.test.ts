/**
 * A real database outage: the ledger reaches PostgreSQL through a TCP proxy that the test cuts
 * (every connection reset, new ones refused) and restores. Rows keep being recorded, the memory
 * bound holds, nothing is dropped, and after the restore every row is in the ledger exactly once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, PostgresDialect } from "kysely";
import pgDriver from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openStore, type Store } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrate.js";
import type { Database } from "../../src/store/schema.js";
import { openUsageLedger } from "../../src/usage/durable.js";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { attempts, uniqueRequestId } from "./fixtures.js";
import { keysOf, spoolLines, storedKeys } from "./spool-fixtures.js";

/** A TCP proxy to `target` that can be cut (all sockets reset, new ones closed at once) and restored. */
interface Proxy {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  let up = true;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!up) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      up = false;
      for (const s of sockets) s.resetAndDestroy();
    },
    restore() {
      up = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        up = false;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Kysely over a pg pool, as openStore builds it, plus an error listener on every client: pg-pool
 * removes its own listener while a client is checked out, so a connection reset during a query
 * would otherwise surface as an uncaught 'error' event (the query itself rejects either way).
 */
function proxiedDb(url: string): Kysely<Database> {
  const pool = new pgDriver.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2000 });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const pg: TestDatabase | null = await withPostgres();

describe.skipIf(!pg)("usage ledger through a PostgreSQL outage", () => {
  let direct: Store;
  let proxy: Proxy;
  let proxied: { db: Kysely<Database> };
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "sb-outage-"));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    direct = await openStore({ databaseUrl: pg!.url, dataDir: tmpdir() });
    await migrate(direct);
    const u = new URL(pg!.url);
    proxy = await startProxy({ host: u.hostname, port: Number(u.port || 5432) });
    u.host = `127.0.0.1:${proxy.port}`;
    proxied = { db: proxiedDb(u.toString()) };
  });
  afterAll(async () => {
    await proxied?.db.destroy();
    await proxy?.close();
    await direct?.close();
    await pg?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("keeps recording while the database is unreachable and writes every row once when it returns", async () => {
    const maxQueue = 50;
    const where: string[] = [];
    const l = await openUsageLedger({
      db: proxied.db,
      dataDir: dataDir(),
      batchSize: 20,
      maxQueue,
      flushIntervalMs: 20,
      maxRetryDelayMs: 200,
      onError: (_e, info) => where.push(info.where),
    });
    try {
      const id = uniqueRequestId("outage");
      const rows = attempts(id, 1200);
      rows.slice(0, 100).forEach((r) => l.record(r));
      await vi.waitFor(() => expect(l.stats.written).toBe(100));

      proxy.cut();
      let maxQueued = 0;
      for (let i = 100; i < 1100; i++) {
        l.record(rows[i]);
        maxQueued = Math.max(maxQueued, l.stats.queued);
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await vi.waitFor(() => expect(l.stats.failedFlushes).toBeGreaterThanOrEqual(2));
      expect(maxQueued).toBeLessThanOrEqual(maxQueue);
      expect(l.stats.written).toBe(100);
      expect(l.stats.dropped).toBe(0);
      expect(l.stats.queued + l.stats.spooledRows).toBe(1000); // every row waits: in memory or on disk only
      expect(l.stats.spooledRows).toBeGreaterThanOrEqual(1000 - maxQueue);
      expect(spoolLines(l.spoolDir).length).toBeGreaterThanOrEqual(1000);
      expect(await storedKeys(direct.db, [id])).toHaveLength(100);
      expect(where.length).toBeGreaterThan(0);
      expect(new Set(where)).toEqual(new Set(["database"]));

      proxy.restore();
      for (let i = 1100; i < 1200; i++) l.record(rows[i]); // load continues as it comes back
      await vi.waitFor(() => expect(l.stats.written).toBe(1200), { timeout: 20_000 });
      expect(l.stats).toMatchObject({ queued: 0, spooledRows: 0, dropped: 0 });
      expect(await storedKeys(direct.db, [id])).toEqual(keysOf(rows)); // each once
      expect(spoolLines(l.spoolDir)).toEqual([]);
    } finally {
      proxy.restore();
      await l.close();
    }
  });

  it("close() during the outage returns within its bound; the next start replays the spool", async () => {
    const dir = dataDir();
    const id = uniqueRequestId("closed");
    const rows = attempts(id, 300);
    const first = await openUsageLedger({ db: proxied.db, dataDir: dir, batchSize: 50, maxQueue: 100, flushIntervalMs: 20, closeTimeoutMs: 1500 });
    proxy.cut();
    try {
      rows.forEach((r) => first.record(r));
      await vi.waitFor(() => expect(first.stats.failedFlushes).toBeGreaterThanOrEqual(1));
      const started = Date.now();
      await first.close();
      expect(Date.now() - started).toBeLessThan(4000);
      expect(first.stats).toMatchObject({ written: 0, dropped: 0 });
    } finally {
      proxy.restore();
    }
    expect(spoolLines(join(dir, "spool"))).toHaveLength(300);
    const next = await openUsageLedger({ db: proxied.db, dataDir: dir, flushIntervalMs: 20 });
    try {
      await vi.waitFor(() => expect(next.stats.leftoverSegments).toBe(0), { timeout: 20_000 });
      expect(next.stats).toMatchObject({ replayed: 300, written: 300, dropped: 0 });
      expect(await storedKeys(direct.db, [id])).toEqual(keysOf(rows));
    } finally {
      await next.close();
    }
    expect(spoolLines(join(dir, "spool"))).toEqual([]);
  });
});

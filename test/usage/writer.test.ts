import { Kysely, PostgresDialect, sql, type KyselyPlugin } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrate } from "../../src/store/migrate.js";
import type { Database } from "../../src/store/schema.js";
import { listUsageByRequest } from "../../src/usage/query.js";
import { UsageWriter } from "../../src/usage/writer.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "../store/backends.js";
import { attempts, uniqueRequestId, usageRecord } from "./fixtures.js";

const backends = await storeBackends();
/** Long enough that the timer never fires during a test that wants explicit flushes. */
const NO_TIMER = 600_000;

/** Counts INSERT statements into the ledger sent through a Kysely instance (built or raw SQL). */
function insertCounter(): KyselyPlugin & { inserts: number } {
  return {
    inserts: 0,
    transformQuery(args) {
      const node = args.node;
      if (node.kind === "InsertQueryNode" || (node.kind === "RawNode" && JSON.stringify(node).includes("insert into usage"))) this.inserts++;
      return args.node;
    },
    transformResult(args) {
      return Promise.resolve(args.result);
    },
  };
}

describe.each(backends)("UsageWriter on $kind", (backend) => {
  let t: TestStore;
  let db: Kysely<Database>;
  beforeAll(async () => {
    t = await backend.open();
    await migrate(t.store);
    db = t.store.db;
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t?.dispose();
  });

  it("writes each full batch with one multi-row insert, and the rest on flush()", async () => {
    const counter = insertCounter();
    const writer = new UsageWriter(db.withPlugin(counter), { batchSize: 5, flushIntervalMs: NO_TIMER });
    const id = uniqueRequestId();
    const rows = attempts(id, 13);
    for (const r of rows) expect(writer.record(r)).toBeUndefined();
    await vi.waitFor(() => expect(writer.stats.written).toBe(10));
    expect(counter.inserts).toBe(2);
    expect(writer.stats).toEqual({ queued: 3, written: 10, dropped: 0, failedFlushes: 0 });
    await writer.flush();
    expect(counter.inserts).toBe(3);
    expect(writer.stats).toEqual({ queued: 0, written: 13, dropped: 0, failedFlushes: 0 });
    expect(await listUsageByRequest(db, id)).toEqual(rows.map((r) => ({ id: expect.any(String), ...r })));
    await writer.close();
  });

  it("flushes on the timer without being asked", async () => {
    const writer = new UsageWriter(db, { flushIntervalMs: 20 });
    const id = uniqueRequestId();
    attempts(id, 3).forEach((r) => writer.record(r));
    await vi.waitFor(() => expect(writer.stats.written).toBe(3));
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 2, 3]);
    await writer.close();
  });

  it("stores every field exactly, nulls included", async () => {
    const writer = new UsageWriter(db, { flushIntervalMs: NO_TIMER });
    const id = uniqueRequestId();
    const failed = usageRecord({
      requestId: id,
      attempt: 1,
      status: 503,
      errorCode: "upstream_error",
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      usageEstimated: true,
      streamed: false,
      ttftMs: null,
      keyId: null,
      userId: null,
      teamId: null,
      endpoint: "embeddings",
    });
    const ok = usageRecord({ requestId: id, attempt: 2, createdAt: new Date("2025-06-01T12:34:57.001Z") });
    writer.record(failed);
    writer.record(ok);
    await writer.close();
    expect(await listUsageByRequest(db, id)).toEqual([
      { id: expect.any(String), ...failed },
      { id: expect.any(String), ...ok },
    ]);
  });

  it("writes a duplicate (request_id, attempt) once, within a batch and across batches", async () => {
    const writer = new UsageWriter(db, { flushIntervalMs: NO_TIMER });
    const id = uniqueRequestId();
    const first = usageRecord({ requestId: id, attempt: 1, promptTokens: 1 });
    writer.record(first);
    writer.record({ ...first, promptTokens: 2 });
    await writer.flush();
    writer.record({ ...first, promptTokens: 3 });
    await writer.flush();
    expect(writer.stats).toEqual({ queued: 0, written: 1, dropped: 0, failedFlushes: 0 });
    expect(await listUsageByRequest(db, id)).toEqual([{ id: expect.any(String), ...first }]);
    await writer.close();
  });

  it("drops and counts rows beyond maxQueue, and writes the ones it kept", async () => {
    const writer = new UsageWriter(db, { batchSize: 10, maxQueue: 3, flushIntervalMs: NO_TIMER });
    const id = uniqueRequestId();
    attempts(id, 5).forEach((r) => writer.record(r));
    expect(writer.stats).toEqual({ queued: 3, written: 0, dropped: 2, failedFlushes: 0 });
    await writer.flush();
    expect(writer.stats).toEqual({ queued: 0, written: 3, dropped: 2, failedFlushes: 0 });
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 2, 3]);
    await writer.close();
  });

  it("keeps rows while writes fail and writes them once when the database is back", async () => {
    const errors: Array<{ rows: number; permanent: boolean }> = [];
    const writer = new UsageWriter(db, {
      flushIntervalMs: 10,
      maxRetryDelayMs: 40,
      onError: (_err, info) => errors.push(info),
    });
    const id = uniqueRequestId();
    const rows = attempts(id, 5);
    await sql`alter table usage rename to usage_offline`.execute(db);
    try {
      rows.slice(0, 4).forEach((r) => writer.record(r));
      await expect(writer.flush()).rejects.toThrow(/relation "usage" does not exist/);
      await vi.waitFor(() => expect(writer.stats.failedFlushes).toBeGreaterThanOrEqual(3)); // background retries
      writer.record(rows[4]);
      expect(writer.stats).toMatchObject({ queued: 5, written: 0, dropped: 0 });
      expect(errors.every((e) => !e.permanent)).toBe(true);
    } finally {
      await sql`alter table if exists usage_offline rename to usage`.execute(db);
    }
    await vi.waitFor(() => expect(writer.stats.written).toBe(5));
    expect(writer.stats).toMatchObject({ queued: 0, written: 5, dropped: 0 });
    expect(await listUsageByRequest(db, id)).toEqual(rows.map((r) => ({ id: expect.any(String), ...r })));
    await writer.close();
  });

  it("drops a row the database rejects, counts it, and writes the rest of its batch", async () => {
    const errors: Array<{ rows: number; permanent: boolean }> = [];
    const writer = new UsageWriter(db, { flushIntervalMs: NO_TIMER, onError: (_e, info) => errors.push(info) });
    const id = uniqueRequestId();
    const [a, b, c] = attempts(id, 3);
    writer.record(a);
    writer.record({ ...b, promptTokens: 2 ** 40 }); // out of range for integer: SQLSTATE 22003
    writer.record(c);
    await writer.flush();
    expect(writer.stats).toEqual({ queued: 0, written: 2, dropped: 1, failedFlushes: 0 });
    expect(errors).toEqual([{ rows: 1, permanent: true }]);
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 3]);
    await writer.close();
  });

  it("close() flushes what is queued and later rows are dropped and counted", async () => {
    const writer = new UsageWriter(db, { flushIntervalMs: NO_TIMER });
    const id = uniqueRequestId();
    attempts(id, 3).forEach((r) => writer.record(r));
    await writer.close();
    expect(writer.stats).toEqual({ queued: 0, written: 3, dropped: 0, failedFlushes: 0 });
    writer.record(usageRecord({ requestId: id, attempt: 4 }));
    expect(writer.stats.dropped).toBe(1);
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it("writes every row of a burst exactly once in order", async () => {
    const writer = new UsageWriter(db, { batchSize: 100, flushIntervalMs: 20 });
    const id = uniqueRequestId();
    const rows = attempts(id, 2500);
    rows.forEach((r) => writer.record(r));
    await writer.close();
    expect(writer.stats).toEqual({ queued: 0, written: 2500, dropped: 0, failedFlushes: 0 });
    const stored = await listUsageByRequest(db, id);
    expect(stored.map((r) => r.attempt)).toEqual(rows.map((r) => r.attempt));
    const ids = stored.map((r) => BigInt(r.id));
    expect(ids.every((v, i) => i === 0 || v > ids[i - 1])).toBe(true); // inserted in attempt order
  });
});

describe("UsageWriter with an unreachable database", () => {
  it("counts failed flushes, keeps its rows, and stays bounded", async () => {
    const pool = new pg.Pool({ host: "127.0.0.1", port: 1, user: "x", database: "x", connectionTimeoutMillis: 1000 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const writer = new UsageWriter(db, { maxQueue: 3, flushIntervalMs: NO_TIMER });
    try {
      attempts(uniqueRequestId(), 4).forEach((r) => writer.record(r));
      await expect(writer.flush()).rejects.toThrow(/ECONNREFUSED/);
      await expect(writer.close()).rejects.toThrow(/ECONNREFUSED/);
      expect(writer.stats).toEqual({ queued: 3, written: 0, dropped: 1, failedFlushes: 2 });
    } finally {
      await db.destroy();
    }
  });

  it("rejects options it cannot honour", () => {
    const db = {} as Kysely<Database>;
    expect(() => new UsageWriter(db, { batchSize: 0 })).toThrow("batchSize must be a positive integer, got 0");
    expect(() => new UsageWriter(db, { batchSize: 5000 })).toThrow("batchSize must be at most 2000, got 5000");
    expect(() => new UsageWriter(db, { maxQueue: 1.5 })).toThrow("maxQueue must be a positive integer, got 1.5");
  });
});

/**
 * The crash-proof usage ledger on the embedded store and on PostgreSQL: the spool's lines,
 * rotation and deletion, replay of segments an earlier process left behind (torn last line
 * included), rows kept on disk beyond the memory bound, close() with the database down, and a
 * disk that refuses writes.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { migrate } from "../../src/store/migrate.js";
import type { Database } from "../../src/store/schema.js";
import { openUsageLedger, type UsageLedger, type UsageLedgerOptions } from "../../src/usage/durable.js";
import { insertUsageRecords } from "../../src/usage/ledger.js";
import { listUsageByRequest } from "../../src/usage/query.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "../store/backends.js";
import { attempts, uniqueRequestId, usageRecord } from "./fixtures.js";
import { deadPid, keysOf, segmentFiles, spoolLines, storedKeys, writeLeftover } from "./spool-fixtures.js";

const backends = await storeBackends();
/** Long enough that the timer never fires during a test that wants explicit flushes. */
const NO_TIMER = 600_000;

describe.each(backends)("durable usage ledger on $kind", (backend) => {
  let t: TestStore;
  let db: Kysely<Database>;
  const dirs: string[] = [];
  const open: UsageLedger[] = [];

  beforeAll(async () => {
    t = await backend.open();
    await migrate(t.store);
    db = t.store.db;
  }, STORE_HOOK_TIMEOUT_MS);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    await t?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function dataDir(): string {
    const d = mkdtempSync(join(tmpdir(), "sb-spool-"));
    dirs.push(d);
    return d;
  }
  async function ledger(opts: Partial<UsageLedgerOptions> & { dataDir: string }): Promise<UsageLedger> {
    const l = await openUsageLedger({ db, flushIntervalMs: NO_TIMER, ...opts });
    open.push(l);
    return l;
  }
  async function offline<T>(fn: () => Promise<T>): Promise<T> {
    await sql`alter table usage rename to usage_offline`.execute(db);
    try {
      return await fn();
    } finally {
      await sql`alter table if exists usage_offline rename to usage`.execute(db);
    }
  }

  it("appends one JSON line per row (dates as ISO strings) before record() returns", async () => {
    const dir = dataDir();
    const l = await ledger({ dataDir: dir });
    const rows = attempts(uniqueRequestId(), 3);
    for (const r of rows) expect(l.record(r)).toBeUndefined();
    expect(l.spoolDir).toBe(join(dir, "spool"));
    const files = segmentFiles(l.spoolDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^u-[0-9a-z]+-${process.pid}-00000001\\.jsonl$`));
    const lines = spoolLines(l.spoolDir);
    expect(lines.map((x) => JSON.parse(x))).toEqual(rows.map((r) => ({ ...r, createdAt: "2025-06-01T12:34:56.789Z" })));
    expect(l.stats).toEqual({ queued: 3, written: 0, dropped: 0, failedFlushes: 0, spooledRows: 0, replayed: 0, tornLines: 0, spoolFailures: 0, spoolFiles: 1, leftoverSegments: 0 });
  });

  it("deletes a segment once its rows are written, and starts a new one", async () => {
    const l = await ledger({ dataDir: dataDir() });
    const id = uniqueRequestId();
    const rows = attempts(id, 4);
    rows.forEach((r) => l.record(r));
    const [first] = segmentFiles(l.spoolDir);
    await l.flush();
    expect(await listUsageByRequest(db, id)).toEqual(rows.map((r) => ({ id: expect.any(String), ...r })));
    const after = segmentFiles(l.spoolDir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(first);
    expect(spoolLines(l.spoolDir)).toEqual([]);
    expect(l.stats).toMatchObject({ queued: 0, written: 4, dropped: 0, spoolFiles: 1 });
    await l.close();
    expect(segmentFiles(l.spoolDir)).toEqual([]); // nothing left for the next start
  });

  it("rotates segments by size and deletes each sealed one when all its rows are in", async () => {
    const lineBytes = Buffer.byteLength(JSON.stringify(usageRecord()) + "\n");
    const l = await ledger({ dataDir: dataDir(), segmentBytes: lineBytes * 3, batchSize: 4 });
    const id = uniqueRequestId();
    const rows = attempts(id, 10);
    rows.forEach((r) => l.record(r));
    // 3 rows per segment: 4 files, the last one active with 1 row.
    expect(segmentFiles(l.spoolDir)).toHaveLength(4);
    expect(l.stats.spoolFiles).toBe(4);
    await vi.waitFor(() => expect(l.stats.written).toBe(8)); // two full batches, written at once
    // The first two segments (rows 1-6) are settled and gone; rows 7-8 are in, 9 is not: the third stays.
    expect(segmentFiles(l.spoolDir)).toHaveLength(2);
    await l.flush();
    expect(segmentFiles(l.spoolDir)).toHaveLength(1); // a fresh, empty active segment
    expect(spoolLines(l.spoolDir)).toEqual([]);
    expect(await storedKeys(db, [id])).toEqual(keysOf(rows));
  });

  it("replays segments left by an earlier process in the background, once each, then deletes them", async () => {
    const dir = dataDir();
    const spoolDir = join(dir, "spool");
    const id = uniqueRequestId("replay");
    const rows = attempts(id, 7);
    // Rows 1-2 reached the database before the crash; the segment still holds them.
    await insertUsageRecords(db, rows.slice(0, 2));
    const a = writeLeftover(spoolDir, { pid: process.pid, seq: 1, rows: rows.slice(0, 4) }); // a process that had our pid
    const b = writeLeftover(spoolDir, {
      pid: deadPid(),
      instance: "0000old01cafe",
      seq: 7,
      rows: rows.slice(4),
      tail: '{"requestId":"' + id + '","attempt":8,"createdAt":"2025-06-01T1', // cut mid-write by the crash
    });
    const busy = writeLeftover(spoolDir, { pid: process.ppid, instance: "0000live0f00d", rows: [usageRecord({ requestId: uniqueRequestId() })] });
    const l = await ledger({ dataDir: dir, flushIntervalMs: 20 });
    expect(segmentFiles(spoolDir)).toEqual(expect.arrayContaining([a, b, busy]));
    await vi.waitFor(() => expect(l.stats.leftoverSegments).toBe(0), { timeout: 10_000 });
    expect(await storedKeys(db, [id])).toEqual(keysOf(rows)); // 1..7, each once; the torn attempt 8 is not there
    expect(await listUsageByRequest(db, id)).toEqual(rows.map((r) => ({ id: expect.any(String), ...r })));
    expect(l.stats).toMatchObject({ replayed: 7, written: 5, tornLines: 1, dropped: 0, queued: 0 });
    const left = segmentFiles(spoolDir);
    expect(left).not.toContain(a);
    expect(left).not.toContain(b);
    expect(left).toContain(busy); // a live process's segment is left alone
  });

  it("flush() includes leftover rows, and a damaged line in the middle is skipped and counted", async () => {
    const dir = dataDir();
    const spoolDir = join(dir, "spool");
    const id = uniqueRequestId("mid");
    const rows = attempts(id, 3);
    writeLeftover(spoolDir, { pid: deadPid(), rows: rows.slice(0, 1), tail: "not json\n" + JSON.stringify(rows[1]) + "\n" + JSON.stringify(rows[2]) + "\n" });
    const l = await ledger({ dataDir: dir });
    await l.flush();
    expect(await storedKeys(db, [id])).toEqual(keysOf(rows));
    expect(l.stats).toMatchObject({ replayed: 3, tornLines: 1, leftoverSegments: 0 });
  });

  it("keeps rows beyond the memory bound on disk only, and writes each once when the database is back", async () => {
    const errors: string[] = [];
    const l = await ledger({ dataDir: dataDir(), maxQueue: 10, batchSize: 4, onError: (_e, info) => errors.push(info.where) });
    const id = uniqueRequestId();
    const rows = attempts(id, 100);
    await offline(async () => {
      rows.forEach((r) => l.record(r));
      expect(l.stats).toMatchObject({ queued: 10, spooledRows: 90, dropped: 0 });
      await expect(l.flush()).rejects.toThrow(/relation "usage" does not exist/);
      expect(l.stats).toMatchObject({ queued: 10, spooledRows: 90, dropped: 0, written: 0 });
      expect(spoolLines(l.spoolDir)).toHaveLength(100);
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((w) => w === "database")).toBe(true);
    await l.flush();
    expect(l.stats).toMatchObject({ queued: 0, spooledRows: 0, dropped: 0, written: 100 });
    expect(await listUsageByRequest(db, id)).toEqual(rows.map((r) => ({ id: expect.any(String), ...r })));
    expect(spoolLines(l.spoolDir)).toEqual([]);
  });

  it("goes back to memory once the disk backlog is read, under continuing load", async () => {
    const l = await ledger({ dataDir: dataDir(), maxQueue: 8, batchSize: 4, flushIntervalMs: 10, maxRetryDelayMs: 20 });
    const id = uniqueRequestId();
    const rows = attempts(id, 120);
    await offline(async () => {
      rows.slice(0, 40).forEach((r) => l.record(r));
      await vi.waitFor(() => expect(l.stats.failedFlushes).toBeGreaterThanOrEqual(2));
    });
    for (const r of rows.slice(40)) {
      l.record(r);
      expect(l.stats.queued).toBeLessThanOrEqual(8);
      if (r.attempt % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await vi.waitFor(() => expect(l.stats.written).toBe(120), { timeout: 10_000 });
    expect(l.stats).toMatchObject({ queued: 0, spooledRows: 0, dropped: 0 });
    expect(await storedKeys(db, [id])).toEqual(keysOf(rows));
    // Back in memory mode: a new row is queued, not kept on disk only.
    l.record(usageRecord({ requestId: id, attempt: 121 }));
    expect(l.stats).toMatchObject({ queued: 1, spooledRows: 0 });
  });

  it("close() with the database down resolves within its bound and leaves the spool to the next start", async () => {
    const dir = dataDir();
    const id = uniqueRequestId();
    const rows = attempts(id, 30);
    await offline(async () => {
      const l = await openUsageLedger({ db, dataDir: dir, flushIntervalMs: NO_TIMER, maxQueue: 10, closeTimeoutMs: 1000 });
      rows.forEach((r) => l.record(r));
      const started = Date.now();
      await l.close();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(l.stats).toMatchObject({ written: 0, dropped: 0 });
      l.record(usageRecord({ requestId: id, attempt: 31 }));
      expect(l.stats.dropped).toBe(1); // after close: counted, never silent
    });
    expect(spoolLines(join(dir, "spool"))).toHaveLength(30);
    const next = await ledger({ dataDir: dir, flushIntervalMs: 20 });
    await vi.waitFor(() => expect(next.stats.leftoverSegments).toBe(0), { timeout: 10_000 });
    expect(await storedKeys(db, [id])).toEqual(keysOf(rows));
    expect(next.stats).toMatchObject({ replayed: 30, written: 30, tornLines: 0 });
  });

  it("counts rows kept on disk only as dropped when their segment is deleted behind its back", async () => {
    const errors: Array<{ where: string; rows: number; permanent: boolean }> = [];
    const l = await ledger({ dataDir: dataDir(), maxQueue: 2, onError: (_e, info) => errors.push(info) });
    const id = uniqueRequestId();
    await offline(() => {
      attempts(id, 5).forEach((r) => l.record(r));
      expect(l.stats).toMatchObject({ queued: 2, spooledRows: 3 });
      for (const f of segmentFiles(l.spoolDir)) unlinkSync(join(l.spoolDir, f));
      return Promise.resolve();
    });
    await l.flush();
    expect(l.stats).toMatchObject({ queued: 0, spooledRows: 0, written: 2, dropped: 3 });
    expect(errors).toEqual([{ where: "replay", rows: 3, permanent: true }]);
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 2]);
  });

  it("leaves a leftover it cannot read where it is, and replays the others", async () => {
    const dir = dataDir();
    const spoolDir = join(dir, "spool");
    const id = uniqueRequestId();
    const unreadable = "u-0000old02dead-" + deadPid() + "-00000001.jsonl";
    mkdirSync(join(spoolDir, unreadable), { recursive: true }); // reading it fails with EISDIR
    writeLeftover(spoolDir, { pid: deadPid(), seq: 2, rows: attempts(id, 2) });
    const errors: string[] = [];
    const l = await ledger({ dataDir: dir, onError: (e) => errors.push((e as NodeJS.ErrnoException).code ?? String(e)) });
    await l.flush();
    expect(errors).toEqual(["EISDIR"]);
    expect(l.stats).toMatchObject({ replayed: 2, leftoverSegments: 0, dropped: 0 });
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 2]);
    expect(existsSync(join(spoolDir, unreadable))).toBe(true);
  });

  it("counts a row the disk refuses, keeps it in memory while there is room, and drops (counted) beyond", async () => {
    const errors: Array<{ where: string; permanent: boolean }> = [];
    const l = await ledger({ dataDir: dataDir(), maxQueue: 3, onError: (_e, info) => errors.push({ where: info.where, permanent: info.permanent }) });
    const id = uniqueRequestId();
    l.record(usageRecord({ requestId: id, attempt: 1 }));
    await l.flush(); // the drained segment is sealed; a new one is opened...
    // ...and the spool directory disappears behind our back: new segments cannot be created.
    rmSync(l.spoolDir, { recursive: true, force: true });
    writeFileSync(l.spoolDir, "not a directory");
    const later = [2, 3, 4].map((attempt) => usageRecord({ requestId: id, attempt }));
    later.forEach((r) => l.record(r)); // the open segment takes them: it is unlinked, but writable
    await l.flush(); // drains it: sealed, and the next one cannot be opened
    const refused = [5, 6, 7, 8].map((attempt) => usageRecord({ requestId: id, attempt }));
    refused.forEach((r) => l.record(r));
    expect(l.stats).toMatchObject({ spoolFailures: 4, queued: 3, dropped: 1 });
    expect(errors.filter((e) => e.where === "spool")).toEqual([
      { where: "spool", permanent: false }, // opening the next segment after the drain
      { where: "spool", permanent: false },
      { where: "spool", permanent: false },
      { where: "spool", permanent: false },
      { where: "spool", permanent: true },
    ]);
    await l.flush();
    expect((await listUsageByRequest(db, id)).map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(l.stats).toMatchObject({ queued: 0, written: 7, dropped: 1 });
    rmSync(l.spoolDir, { force: true });
  });
});

describe("openUsageLedger options", () => {
  it("rejects options it cannot honour", async () => {
    const db = {} as Kysely<Database>;
    const dataDir = mkdtempSync(join(tmpdir(), "sb-spool-"));
    try {
      await expect(openUsageLedger({ db, dataDir, batchSize: 0 })).rejects.toThrow("batchSize must be a positive integer, got 0");
      await expect(openUsageLedger({ db, dataDir, segmentBytes: -1 })).rejects.toThrow("segmentBytes must be a positive integer, got -1");
      await expect(openUsageLedger({ db, dataDir, closeTimeoutMs: 0.5 })).rejects.toThrow("closeTimeoutMs must be a positive integer, got 0.5");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

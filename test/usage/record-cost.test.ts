/**
 * Benchmark of the hot path: what `record()` costs per row, for 100k realistic rows, in memory
 * only (UsageWriter) and durable (one spool write(2) + one push), plus fsync mode on fewer rows.
 * Prints ns/record; asserts only that every row was taken. The database is a no-op driver: this
 * measures the request path, not the INSERTs (which run later, off the hot path).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/schema.js";
import { openUsageLedger } from "../../src/usage/durable.js";
import type { UsageRecord } from "../../src/usage/types.js";
import { UsageWriter } from "../../src/usage/writer.js";
import { usageRecord } from "./fixtures.js";
import { segmentFiles } from "./spool-fixtures.js";

const N = 100_000;
const NO_TIMER = 600_000;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Kysely that compiles queries and answers every one with nothing, instantly. */
const nullDb = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** Rows shaped like the gateway's: ids, a receipt with routing and one attempt. */
function rows(n: number): UsageRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const requestId = `req_${i.toString(16).padStart(32, "0")}`;
    return usageRecord({
      requestId,
      createdAt: new Date(),
      receipt: {
        request_id: requestId,
        endpoint: "chat",
        requested_model: "fast",
        routing: { strategy: "simple-shuffle", group: "fast", deployments: ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku"] },
        attempts: [{ attempt: 1, provider: "openai", model: "gpt-4o-mini", status: 200, error_code: null, error_message: null, duration_ms: 412.317, cost_micros: 358 }],
        cost_micros: 358,
        warnings: [],
        timings: { total_ms: 789.5, overhead_ms: 0.375, ttft_ms: 123.456 },
      },
    });
  });
}

function nsPerRecord(sink: { record(r: UsageRecord): void }, data: UsageRecord[]): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < data.length; i++) sink.record(data[i]);
  return Number(process.hrtime.bigint() - t0) / data.length;
}

describe("record() cost (prints ns/record)", () => {
  it(`takes ${N} rows: in memory, durable, durable beyond the memory bound`, async () => {
    const data = rows(N);
    const lineBytes = Buffer.byteLength(JSON.stringify(data[0]) + "\n");
    const results: string[] = [`row as a spool line: ${lineBytes} bytes`];

    const t0 = process.hrtime.bigint();
    for (const r of data) JSON.stringify(r);
    results.push(`JSON.stringify alone: ${(Number(process.hrtime.bigint() - t0) / N).toFixed(0)} ns/row`);

    const memory = new UsageWriter(nullDb, { flushIntervalMs: NO_TIMER, maxQueue: N });
    results.push(`UsageWriter (memory only): ${nsPerRecord(memory, data).toFixed(0)} ns/record`);
    expect(memory.stats.queued).toBe(N);
    await memory.close();

    for (const [label, maxQueue] of [
      ["durable ledger (spool + memory)", N],
      ["durable ledger beyond the memory bound (spool only)", 1000],
    ] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), "sb-bench-"));
      dirs.push(dataDir);
      const ledger = await openUsageLedger({ db: nullDb, dataDir, flushIntervalMs: NO_TIMER, maxQueue });
      results.push(`${label}: ${nsPerRecord(ledger, data).toFixed(0)} ns/record`);
      expect(ledger.stats.queued + ledger.stats.spooledRows).toBe(N);
      expect(ledger.stats.dropped).toBe(0);
      await ledger.flush();
      expect(ledger.stats).toMatchObject({ queued: 0, spooledRows: 0, dropped: 0 });
      await ledger.close();
      expect(segmentFiles(ledger.spoolDir)).toEqual([]);
    }

    const syncDir = mkdtempSync(join(tmpdir(), "sb-bench-"));
    dirs.push(syncDir);
    const synced = await openUsageLedger({ db: nullDb, dataDir: syncDir, flushIntervalMs: NO_TIMER, fsync: true });
    results.push(`durable ledger with fsync: true: ${nsPerRecord(synced, data.slice(0, 500)).toFixed(0)} ns/record (500 rows)`);
    await synced.close();

    console.log(results.map((l) => `[record cost] ${l}`).join("\n"));
  }, 120_000);
});

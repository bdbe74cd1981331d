/**
 * Batches across gateway processes sharing one PostgreSQL database (the built CLI, as operators
 * run it): a process killed with SIGKILL while lines are in flight, and another started, finish
 * the batch with each custom_id exactly once in the output and each line billed once — counted
 * from the fake upstream's log and the ledger's rows; and two live processes never run the same
 * batch's lines twice (one holds its lease).
 */
import OpenAI, { toFile } from "openai";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { killAll, requireBuiltCli, startGatewayProcess, type GatewayProcess } from "../support/gateway-processes.js";
import { chatLines, startBatchUpstream, type BatchUpstream } from "./batches-upstream.js";

const MASTER_KEY = "sb-master-batches-0123456789abcdef";
let db: TestDatabase | null = null;
let up: BatchUpstream;

beforeAll(async () => {
  requireBuiltCli();
  db = await withPostgres();
  up = await startBatchUpstream();
});
afterAll(async () => {
  await killAll();
  await up?.close();
  await db?.drop();
});

const config = () => ({
  providers: { up: { type: "openai", base_url: up.url, api_key: "sk-up-000000" } },
  routing: { retries: 0 },
  usage: { flush_interval_ms: 20 },
  batches: { concurrency: 4, lease_ms: 2000, poll_interval_ms: 200 },
});
const start = () => startGatewayProcess(config(), { SWITCHBOARD_MASTER_KEY: MASTER_KEY, DATABASE_URL: db!.url });
const client = (p: GatewayProcess) => new OpenAI({ baseURL: `${p.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });

async function submit(p: GatewayProcess, tags: string[]) {
  const c = client(p);
  const file = await c.files.create({ file: await toFile(Buffer.from(chatLines(tags)), "in.jsonl"), purpose: "batch" });
  return c.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
}

async function finished(p: GatewayProcess, id: string) {
  const until = Date.now() + 30_000;
  for (;;) {
    const b = await client(p).batches.retrieve(id);
    if (b.status === "completed") return b;
    if (Date.now() > until) throw new Error(`batch still ${b.status}: ${JSON.stringify(b.request_counts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The ledger's rows of a batch, read straight from the database. */
async function ledger(batchId: string): Promise<Array<{ request_id: string; status: number; cost: number; custom_id: string }>> {
  const c = new pg.Client({ connectionString: db!.url });
  await c.connect();
  try {
    const r = await c.query("select request_id, status, cost_total_micros, receipt from usage where request_id like $1", [`req_${batchId.slice("batch_".length)}_%`]);
    return r.rows.map((x) => ({ request_id: x.request_id, status: x.status, cost: Number(x.cost_total_micros), custom_id: x.receipt?.batch?.custom_id }));
  } finally {
    await c.end();
  }
}

const count = <T>(xs: T[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<T, number>());

describe("batches across processes", () => {
  it("a process killed with SIGKILL mid-batch: another finishes it, each custom_id once in the output, each line billed once", async ({ skip }) => {
    if (!db) skip();
    up.reset();
    up.delayMs = 400;
    const a = await start();
    const tags = Array.from({ length: 24 }, (_, i) => `k-${i}`);
    const created = await submit(a, tags);
    // Some lines done, four in flight. The database then holds their writes back (a lock on the
    // batch's lines): the upstream answers them, and the process dies before it has saved them.
    while (up.calls.length < 10) await new Promise((r) => setTimeout(r, 10));
    const lock = new pg.Client({ connectionString: db!.url });
    await lock.connect();
    await lock.query("begin");
    await lock.query("select idx from batch_lines where batch_id = $1 for update", [created.id]);
    await new Promise((r) => setTimeout(r, 600));
    const sentBefore = up.calls.length;
    while (up.answered < sentBefore) await new Promise((r) => setTimeout(r, 10));
    expect(up.calls.length).toBe(sentBefore); // every slot waits on the database: nothing new starts
    a.child.kill("SIGKILL");
    await a.exited;
    await lock.query("rollback");
    await lock.end();
    const b = await start();
    const done = await finished(b, created.id);
    expect(done.request_counts).toEqual({ total: 24, completed: 24, failed: 0 });
    const out = (await (await client(b).files.content(done.output_file_id!)).text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((l) => l.custom_id).sort()).toEqual([...tags].sort());

    // The upstream saw every line; the lines answered but not saved before the kill, twice.
    const calls = count(up.calls.map((c) => c.tag));
    expect([...calls.keys()].sort()).toEqual([...tags].sort());
    const twice = [...calls.values()].filter((n) => n === 2).length;
    expect([...calls.values()].every((n) => n <= 2)).toBe(true);
    expect(twice).toBeGreaterThanOrEqual(1);
    expect(twice).toBeLessThanOrEqual(4);
    expect(up.calls.length).toBe(24 + twice);

    // The ledger: exactly one row per line, whichever process ran it.
    const rows = await ledger(created.id);
    expect(rows).toHaveLength(24);
    expect([...count(rows.map((r) => r.custom_id)).values()].every((n) => n === 1)).toBe(true);
    expect(rows.every((r) => r.status === 200 && r.cost > 0)).toBe(true);
  });

  it("two live processes on one database: each line runs once", async ({ skip }) => {
    if (!db) skip();
    await killAll();
    up.reset();
    up.delayMs = 50;
    const [p, q] = [await start(), await start()];
    const tags = Array.from({ length: 30 }, (_, i) => `s-${i}`);
    const created = await submit(p, tags);
    const done = await finished(q, created.id);
    expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
    expect(up.calls).toHaveLength(30);
    expect(up.maxInFlight).toBeLessThanOrEqual(4);
    expect(await ledger(created.id)).toHaveLength(30);
  });
});

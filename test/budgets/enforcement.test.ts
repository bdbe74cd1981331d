/**
 * Budgets through the real gateway: reservations hold under concurrency, every exit path
 * settles, streams are costed like non-streams, alerts fire once, periods reset.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { estimatePromptTokens, promptTokenBound } from "../../src/core/tokens.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { keyWithBudget as budgetKey, type BudgetKeyOptions } from "../support/budget-keys.js";

let fake: FakeOpenAI;
let gw: TestGateway;
let hooks: Server;
const alerts: Array<Record<string, unknown>> = [];
let hookUrl = "";

beforeAll(async () => {
  fake = await startFakeOpenAI();
  hooks = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      alerts.push(JSON.parse(body));
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  // 1 USD per million tokens in and out: one token costs exactly one micro-USD.
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
    pricing: { "up:gpt-4o": { input: 1, output: 1 } },
    routing: { retries: 0 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
  await new Promise((r) => hooks?.close(r));
});
beforeEach(() => {
  fake.reset();
  alerts.length = 0;
});

const messages = [{ role: "user" as const, content: "Count to ten, please." }];
/**
 * A one-byte prompt: its byte bound, which a reservation holds first, equals its token estimate, so
 * each reservation is exactly what its request settles to and as many requests fit as the budget
 * holds however concurrent requests interleave. (With a longer prompt the first requests hold
 * their larger byte bound until they end, and those judged meanwhile may be refused a little
 * early: the reservation never undercounts, so it may refuse early near the limit.)
 */
const oneByte = [{ role: "user" as const, content: "b" }];

/** A key with its own budget, its alerts sent to this file's hook. */
const keyWithBudget = (opts: Omit<BudgetKeyOptions, "webhookUrl">) => budgetKey(gw, { ...opts, webhookUrl: hookUrl });

const call = (key: string, body: Record<string, unknown>) => gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, ...body }, { authorization: `Bearer ${key}` });

async function ledgerSpend(keyId: string): Promise<number> {
  await gw.usage.flush();
  const r = await gw.store.db
    .selectFrom("usage")
    .select(sql<string>`coalesce(sum(cost_total_micros),0)`.as("s"))
    .where("key_id", "=", keyId)
    .executeTakeFirstOrThrow();
  return Number(r.s);
}

describe("budget enforcement", () => {
  it("200 concurrent requests against a budget that fits 20: exactly 20 served, spend ≤ budget, and spend = what upstream served", async () => {
    const prompt = await estimatePromptTokens(oneByte);
    expect(promptTokenBound(oneByte)).toBe(prompt);
    const maxTokens = 50;
    const perRequest = prompt + maxTokens;
    const { key, id } = await keyWithBudget({ maxMicros: 20 * perRequest });
    fake.setDefault({ text: "one two three", delayMs: 30, usage: { prompt_tokens: prompt, completion_tokens: maxTokens } });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(key, { messages: oneByte, max_tokens: maxTokens, stream: i % 2 === 0 }).then(async (r) => [r.status, await r.text()] as const)),
    );
    fake.setDefault({});
    const ok = results.filter(([s]) => s === 200).length;
    const refused = results.filter(([s]) => s === 402);
    expect(ok).toBe(20);
    expect(refused).toHaveLength(180);
    expect(JSON.parse(refused[0][1]).error).toMatchObject({ code: "budget_exceeded", type: "insufficient_quota", subject_type: "key", subject_id: id });
    expect(fake.calls).toHaveLength(20);
    const spend = await ledgerSpend(id);
    expect(spend).toBe(fake.calls.length * perRequest);
    expect(spend).toBeLessThanOrEqual(20 * perRequest);
    const a = gw.runtime.budgets.book.get("key", id)!;
    expect(a.reservedMicros).toBe(0);
    expect(a.spendMicros).toBe(spend);
  });

  it("near the limit the tokenizer decides: a budget that fits the counted prompt (not its byte bound) serves; one micro-USD less refuses", async () => {
    const prompt = await estimatePromptTokens(messages);
    const maxTokens = 50;
    expect(promptTokenBound(messages)).toBeGreaterThan(prompt); // the cheap bound alone would refuse
    const exact = await keyWithBudget({ maxMicros: prompt + maxTokens });
    fake.enqueue({ text: "ok", usage: { prompt_tokens: prompt, completion_tokens: 1 } });
    expect((await call(exact.key, { max_tokens: maxTokens })).status).toBe(200);
    const short = await keyWithBudget({ maxMicros: prompt + maxTokens - 1 });
    const refused = await call(short.key, { max_tokens: maxTokens });
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(`up to $${((prompt + maxTokens) / 1e6).toFixed(6).replace(/0+$/, "")} needed`);
    expect(gw.runtime.budgets.book.get("key", exact.id)!.reservedMicros).toBe(0);
  });

  it("settles to the actual cost, reports the remaining budget, and costs a stream like a non-stream", async () => {
    const { key, id } = await keyWithBudget({ maxMicros: 1_000_000 });
    fake.enqueue({ text: "hello", usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const a = await call(key, { max_tokens: 100 });
    expect(a.headers.get("x-switchboard-cost-usd")).toBe("0.000015");
    expect(a.headers.get("x-switchboard-budget-remaining-usd")).toBe("0.999985");
    fake.enqueue({ text: "hello", usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const b = await call(key, { max_tokens: 100, stream: true });
    await b.text();
    expect(await ledgerSpend(id)).toBe(30);
  });

  it("an upstream error settles to zero; a client disconnect mid-stream settles to what was generated", async () => {
    const { key, id } = await keyWithBudget({ maxMicros: 1_000_000 });
    fake.enqueue({ status: 500 });
    expect((await call(key, { max_tokens: 100 })).status).toBe(502);
    const book = gw.runtime.budgets.book.get("key", id)!;
    expect(book.reservedMicros).toBe(0);
    expect(book.spendMicros).toBe(0);

    fake.enqueue({ text: "w1 w2 w3 w4 w5 w6 w7 w8", chunks: 8, chunkDelayMs: 100 });
    const controller = new AbortController();
    const res = await fetch(gw.url + "/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "up:gpt-4o", messages, stream: true, max_tokens: 100 }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => book.reservedMicros, { timeout: 5000 }).toBe(0);
    expect(book.spendMicros).toBeGreaterThan(0);
    expect(book.spendMicros).toBe(await ledgerSpend(id));
  });

  it("max_request_usd refuses an oversized request before it goes upstream", async () => {
    const { key } = await keyWithBudget({ maxMicros: 1_000_000, maxRequestMicros: 1000 });
    const res = await call(key, { max_tokens: 5000 });
    expect(res.status).toBe(402);
    expect(((await res.json()) as any).error.message).toMatch(/per request/);
    expect(fake.calls).toHaveLength(0);
  });

  it("track mode never blocks and records the spend", async () => {
    const { key, id } = await keyWithBudget({ maxMicros: 10, mode: "track" });
    for (let i = 0; i < 3; i++) {
      fake.enqueue({ text: "x", usage: { prompt_tokens: 20, completion_tokens: 20 } });
      expect((await call(key, { max_tokens: 100 })).status).toBe(200);
    }
    expect(await ledgerSpend(id)).toBe(120);
  });

  it("alerts fire once per threshold per period", async () => {
    const { key, budgetId } = await keyWithBudget({ maxMicros: 100, thresholds: [50, 80, 100] });
    for (let i = 0; i < 4; i++) {
      fake.enqueue({ text: "x", usage: { prompt_tokens: 20, completion_tokens: 10 } });
      await call(key, { max_tokens: 1 });
    }
    await gw.runtime.budgets.idle();
    expect(alerts.map((a) => a.threshold_percent)).toEqual([50, 80]);
    expect(alerts[0]).toMatchObject({ type: "budget.threshold_crossed", budget_id: budgetId, spend_usd: "0.00006", max_budget_usd: "0.0001" });
  });

  it("a period ends: the spend resets and the reset is logged", async () => {
    const { key, id } = await keyWithBudget({ maxMicros: 60, durationSec: 3600 });
    fake.setDefault({ text: "x", usage: { prompt_tokens: 30, completion_tokens: 30 } });
    expect((await call(key, { max_tokens: 1 })).status).toBe(200);
    expect((await call(key, { max_tokens: 1 })).status).toBe(402);
    const { periodStart, periodEnd } = gw.runtime.budgets.book.get("key", id)!;
    expect(periodEnd!.getTime() - periodStart.getTime()).toBe(3600_000);
    // The gateway's clock (Date only; timers and I/O stay real) moves to the period's last
    // millisecond, then to its end.
    vi.useFakeTimers({ toFake: ["Date"], now: periodEnd!.getTime() - 1 });
    try {
      expect((await call(key, { max_tokens: 1 })).status).toBe(402);
      vi.setSystemTime(periodEnd!);
      expect((await call(key, { max_tokens: 1 })).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    fake.setDefault({});
    await gw.runtime.budgets.idle();
    const resets = await gw.store.db.selectFrom("budget_resets").selectAll().where("subject_id", "=", id).execute();
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ period_start: periodStart, period_end: periodEnd });
    expect(Number(resets[0].spend_micros)).toBe(60);
  });
});

/**
 * One budget served by three gateways sharing one PostgreSQL database and one Redis: reservations
 * and spend are counted in Redis, so the three together never spend more than the budget; an
 * alert threshold is announced once across them; spend lost with Redis is rebuilt from the ledger.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { estimatePromptTokens, promptTokenBound } from "../../src/core/tokens.js";
import { ledgerSpend } from "../../src/store/repos/budgets.js";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { redisCommand, redisTestServer } from "../support/redis.js";
import { ownRedis } from "../support/own-redis.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let db: TestDatabase | null = null;
let redisUrl: string | null = null;
let fake: FakeOpenAI;
let hooks: Server;
const alerts: Array<Record<string, unknown>> = [];
let gws: TestGateway[] = [];
const messages = [{ role: "user" as const, content: "Count to ten, please." }];
/**
 * A one-byte prompt: its byte bound, which a reservation holds first, equals its token estimate, so
 * each reservation is exactly what its request settles to and as many requests fit as the budget
 * holds however concurrent requests interleave. (With a longer prompt the first requests hold
 * their larger byte bound until they end, and those judged meanwhile may be refused a little
 * early: the reservation never undercounts, so it may refuse early near the limit.)
 */
const oneByte = [{ role: "user" as const, content: "b" }];

beforeAll(async () => {
  redisUrl = await redisTestServer();
  db = await withPostgres();
  fake = await startFakeOpenAI();
  hooks = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
  if (!redisUrl || !db) return;
  const raw = { redis_url: redisUrl, providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } }, pricing: { "up:gpt-4o": { input: 1, output: 1 } }, routing: { retries: 0 } };
  for (let i = 0; i < 3; i++) gws.push(await startTestGateway(raw, { databaseUrl: db.url }));
}, 60_000);

afterAll(async () => {
  for (const gw of gws) await gw.stop();
  gws = [];
  await fake?.close();
  await new Promise((r) => hooks?.close(r));
  await db?.drop();
});

beforeEach(() => {
  fake.reset();
  alerts.length = 0;
});

async function keyWithBudget(maxMicros: number, thresholds: number[] = []): Promise<{ key: string; id: string }> {
  const hook = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  const budgetId = `shared-${Math.random().toString(36).slice(2, 10)}`;
  const b = await gws[0].post("/v1/budgets", { budget_id: budgetId, max_budget: maxMicros / 1e6, alert_thresholds: thresholds, alert_webhook_url: hook });
  expect(b.status).toBe(201);
  const k = await gws[0].post("/v1/keys", { key_name: "shared-budget", budget_id: budgetId });
  expect(k.status).toBe(201);
  return (await k.json()) as { key: string; id: string };
}

const call = (gw: TestGateway, key: string, prompt = messages) => gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 50, messages: prompt }, { authorization: `Bearer ${key}` });

describe("a budget shared by three gateways through Redis", () => {
  it("200 concurrent requests spread over three instances against a budget that fits 20: exactly 20 served, spend = budget", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const prompt = await estimatePromptTokens(oneByte);
    expect(promptTokenBound(oneByte)).toBe(prompt);
    const perRequest = prompt + 50;
    const { key, id } = await keyWithBudget(20 * perRequest);
    // Let the other instances load the new key's budget (the invalidation channel: milliseconds).
    for (const gw of gws.slice(1)) for (let i = 0; i < 100 && !gw.runtime.budgets.book.get("key", id); i++) await new Promise((r) => setTimeout(r, 10));
    fake.setDefault({ text: "one two three", delayMs: 30, usage: { prompt_tokens: prompt, completion_tokens: 50 } });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => call(gws[i % 3], key, oneByte).then(async (r) => (await r.text(), r.status))));
    fake.setDefault({});
    expect(results.filter((s) => s === 200)).toHaveLength(20);
    expect(results.filter((s) => s === 402)).toHaveLength(180);
    expect(fake.calls).toHaveLength(20);
    for (const gw of gws) await gw.usage.flush();
    expect(await ledgerSpend(gws[0].store.db, "key", id, new Date(0))).toBe(20 * perRequest);
    // (Without the shared budget each instance serves up to 20 of its own: 60 in all.)
  });

  it("an alert threshold crossed on one instance is announced once, not once per instance", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const prompt = await estimatePromptTokens(messages);
    const { key, id } = await keyWithBudget(10 * (prompt + 50), [50]);
    for (const gw of gws.slice(1)) for (let i = 0; i < 100 && !gw.runtime.budgets.book.get("key", id); i++) await new Promise((r) => setTimeout(r, 10));
    fake.setDefault({ text: "x", usage: { prompt_tokens: prompt, completion_tokens: 50 } });
    for (let i = 0; i < 8; i++) expect((await call(gws[i % 3], key)).status).toBe(200);
    fake.setDefault({});
    for (let i = 0; i < 100 && alerts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    for (const gw of gws) await gw.runtime.budgets.idle();
    expect(alerts.filter((a) => a.threshold_percent === 50)).toHaveLength(1);
  });

  it("spend lost with Redis (its data flushed) is rebuilt from the ledger", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const prompt = await estimatePromptTokens(messages);
    const perRequest = prompt + 50;
    const { key, id } = await keyWithBudget(3 * perRequest);
    for (const gw of gws.slice(1)) for (let i = 0; i < 100 && !gw.runtime.budgets.book.get("key", id); i++) await new Promise((r) => setTimeout(r, 10));
    fake.setDefault({ text: "x", usage: { prompt_tokens: prompt, completion_tokens: 50 } });
    expect((await call(gws[0], key)).status).toBe(200);
    expect((await call(gws[1], key)).status).toBe(200);
    for (const gw of gws) await gw.usage.flush();
    // Only this test's budget hashes are dropped (other suites share this Redis).
    const keys = (await redisCommand(redisUrl, "KEYS", "switchboard:budget:*")) as string[];
    const a = gws[0].runtime.budgets.book.get("key", id)!;
    for (const k of keys.filter((k) => k.includes(a.id))) await redisCommand(redisUrl, "DEL", k);
    expect((await call(gws[2], key)).status).toBe(200); // seeded from the ledger: 2 spent, 1 left
    expect((await call(gws[0], key)).status).toBe(402);
    fake.setDefault({});
    expect(fake.calls).toHaveLength(3);
  });
});

describe("a shared budget while Redis does not answer", () => {
  for (const policy of ["open", "closed"] as const) {
    it(`limits.redis_failure: ${policy}`, async (t) => {
      if (!db) return t.skip();
      const redis = await ownRedis();
      if (!redis) {
        if (process.env.CI === "true") throw new Error("redis-server is required in CI");
        return t.skip();
      }
      await redis.start();
      const gw = await startTestGateway(
        {
          redis_url: redis.url,
          limits: { redis_failure: policy },
          providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
          pricing: { "up:gpt-4o": { input: 1, output: 1 } },
          routing: { retries: 0 },
        },
        { databaseUrl: db.url },
      );
      try {
        const b = await gw.post("/v1/budgets", { budget_id: `down-${policy}`, max_budget: 1 });
        expect(b.status).toBe(201);
        const { key } = (await (await gw.post("/v1/keys", { key_name: "down", budget_id: `down-${policy}` })).json()) as { key: string };
        expect((await call(gw, key)).status).toBe(200);
        await redis.stop();
        const down = await call(gw, key);
        if (policy === "open") expect(down.status).toBe(200);
        else {
          expect(down.status).toBe(503);
          expect(((await down.json()) as { error: { message: string } }).error.message).toContain("budgets cannot be checked right now");
        }
      } finally {
        await gw.stop();
        await redis.stop();
      }
    }, 60_000);
  }
});

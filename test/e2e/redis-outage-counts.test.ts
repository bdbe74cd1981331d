/**
 * A Redis that stops answering for a while but keeps its data (paused, overloaded, cut off by the
 * network): requests judged meanwhile by the instance alone (`limits.redis_failure: open`) spend
 * and count too, and once Redis answers again the shared spend and windows must hold them, or
 * every instance would go on spending (and admitting) what was already spent (and admitted).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { estimatePromptTokens } from "../../src/core/tokens.js";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { redisCommand } from "../support/redis.js";
import { ownRedis, type OwnRedis } from "../support/own-redis.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let db: TestDatabase | null = null;
let redis: OwnRedis | null = null;
let fake: FakeOpenAI;
let current: TestGateway | undefined;

beforeAll(async () => {
  db = await withPostgres();
  redis = await ownRedis();
  if (!redis && process.env.CI === "true") throw new Error("redis-server is required in CI");
  fake = await startFakeOpenAI();
  await redis?.start();
}, 30_000);

afterAll(async () => {
  await current?.stop();
  await redis?.stop();
  await fake?.close();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gateway on the test's own Redis, `limits.redis_failure: open`. */
async function gateway(): Promise<TestGateway> {
  await current?.stop();
  current = await startTestGateway(
    {
      redis_url: redis!.url,
      limits: { redis_failure: "open" },
      providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
      pricing: { "up:gpt-4o": { input: 1, output: 1 } },
      routing: { retries: 0 },
      usage: { flush_interval_ms: 20 },
    },
    { databaseUrl: db!.url },
  );
  return current;
}

/** A chat request whose one-byte user message `tag` tells its calls apart in the fake's log; answers the status. */
async function chat(gw: TestGateway, key: string, tag: string): Promise<number> {
  const r = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 10, messages: [{ role: "user", content: tag }] }, { authorization: `Bearer ${key}` });
  await r.text();
  return r.status;
}

const reached = (tag: string) => fake.calls.filter((c) => c.body?.messages?.[0]?.content === tag).length;

it("what an instance spent alone while Redis did not answer counts in Redis once it answers again: the budget is not spent twice", async (t) => {
  if (!db || !redis) return t.skip();
  const gw = await gateway();
  const oneByte = [{ role: "user", content: "b" }];
  const prompt = await estimatePromptTokens(oneByte);
  const perRequest = prompt + 10;
  const b = await gw.post("/v1/budgets", { budget_id: "outage", max_budget: (4 * perRequest) / 1e6 });
  expect(b.status).toBe(201);
  const { key } = (await (await gw.post("/v1/keys", { key_name: "outage", budget_id: "outage" })).json()) as { key: string };
  fake.setDefault({ usage: { prompt_tokens: prompt, completion_tokens: 10 } });
  try {
    expect(await chat(gw, key, "b")).toBe(200); // counted in Redis
    // Redis stops answering for 1.5 s and keeps its data.
    await redisCommand(redis.url, "CLIENT", "PAUSE", 1500, "ALL");
    expect(await chat(gw, key, "b")).toBe(200); // judged by this instance alone (after the link's 250 ms)
    expect(await chat(gw, key, "b")).toBe(200);
    await sleep(1800);
    // Redis answers again: 3 of the 4 are spent, so one more is served and then no more.
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push(await chat(gw, key, "b"));
    expect(after).toEqual([200, 402, 402, 402]);
    expect(reached("b")).toBe(4);
  } finally {
    fake.setDefault({});
  }
}, 60_000);

it("what an instance admitted alone while Redis did not answer counts in Redis's windows once it answers again: rpm_limit and rpd_limit are not admitted twice", async (t) => {
  if (!db || !redis) return t.skip();
  const gw = await gateway();
  for (const limit of [{ rpm_limit: 4 }, { rpd_limit: 4 }]) {
    const name = Object.keys(limit)[0];
    const { key } = (await (await gw.post("/v1/keys", { key_name: name, ...limit })).json()) as { key: string };
    expect(await chat(gw, key, name)).toBe(200); // counted in Redis
    await redisCommand(redis.url, "CLIENT", "PAUSE", 1200, "ALL");
    expect(await chat(gw, key, name)).toBe(200); // counted by this instance alone
    expect(await chat(gw, key, name)).toBe(200);
    await sleep(1400);
    // Redis answers again: 3 of the 4 are used, so one more is admitted and then no more.
    const after: number[] = [];
    for (let i = 0; i < 3; i++) after.push(await chat(gw, key, name));
    expect(after).toEqual([200, 429, 429]);
    expect(reached(name)).toBe(4);
  }
}, 60_000);

/**
 * Rate limits shared through Redis by several gateways on one PostgreSQL database: the limits
 * hold across instances exactly (counted from the fake upstream's log), and while Redis does not
 * answer they follow `limits.redis_failure` (open: counted in process; closed: 503), coming back
 * to Redis on their own when it answers again.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { redisTestServer } from "../support/redis.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let db: TestDatabase | null = null;
let redisUrl: string | null = null;
let fake: FakeOpenAI;
const gws: TestGateway[] = [];
const messages = [{ role: "user", content: "hi" }];

const providers = () => ({ up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } });

async function newKey(gw: TestGateway, limits: Record<string, number>): Promise<string> {
  const res = await gw.post("/v1/keys", { key_name: "shared-limits", ...limits });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

const chat = (gw: TestGateway, key: string, body: Record<string, unknown> = {}) =>
  gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 10, messages, ...body }, { authorization: `Bearer ${key}` });

beforeAll(async () => {
  redisUrl = await redisTestServer();
  db = await withPostgres();
  fake = await startFakeOpenAI();
  if (!redisUrl || !db) return;
  for (let i = 0; i < 3; i++) gws.push(await startTestGateway({ redis_url: redisUrl, providers: providers() }, { databaseUrl: db.url }));
}, 60_000);

afterAll(async () => {
  for (const gw of gws) await gw.stop();
  await fake?.close();
  await db?.drop();
});

describe("rate limits shared by three gateways through Redis", () => {
  it("rpm_limit 30: 60 requests spread over three instances, exactly 30 reach the upstream", async (t) => {
    if (!redisUrl || !db) return t.skip();
    fake.reset();
    const key = await newKey(gws[0], { rpm_limit: 30 });
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => chat(gws[i % 3], key).then(async (r) => (await r.text(), r.status))));
    expect(statuses.filter((s) => s === 200).length).toBe(30);
    expect(statuses.filter((s) => s === 429).length).toBe(30);
    expect(fake.calls.length).toBe(30);
  });

  it("max_parallel 2: a third request in flight on any instance is refused; slots come back when requests end", async (t) => {
    if (!redisUrl || !db) return t.skip();
    fake.reset();
    const key = await newKey(gws[0], { max_parallel: 2 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    fake.enqueue({ holdUntil: held });
    fake.enqueue({ holdUntil: held });
    const a = chat(gws[0], key);
    const b = chat(gws[1], key);
    await fake.received(2);
    const c = await chat(gws[2], key);
    expect(c.status).toBe(429);
    expect(((await c.json()) as { error: { message: string } }).error.message).toContain("concurrent requests (max_parallel)");
    release();
    expect((await a).status).toBe(200);
    expect((await b).status).toBe(200);
    // The slots are freed by a script sent when each request ends: bounded wait for it.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await chat(gws[2], key)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe(200);
  });

  it("tpm_limit: tokens used through one instance count on the others (actual counts replace estimates)", async (t) => {
    if (!redisUrl || !db) return t.skip();
    fake.reset();
    const key = await newKey(gws[0], { tpm_limit: 1000 });
    fake.enqueue({ usage: { prompt_tokens: 500, completion_tokens: 300 } });
    expect((await chat(gws[0], key, { max_tokens: 10 })).status).toBe(200);
    // 800 actual tokens are counted (the true-up is sent when the request ends: wait for it, bounded).
    let remaining = -1;
    for (let i = 0; i < 100; i++) {
      const r = await chat(gws[1], key, { max_tokens: 1 });
      remaining = Number(r.headers.get("x-ratelimit-remaining-tokens"));
      if (r.status === 200 && remaining <= 200) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(remaining).toBeLessThanOrEqual(200);
    const over = await chat(gws[2], key, { max_tokens: 400 });
    expect(over.status).toBe(429);
  });

  it("x-ratelimit headers come from the shared counts", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const key = await newKey(gws[0], { rpm_limit: 5 });
    const r1 = await chat(gws[0], key);
    const r2 = await chat(gws[1], key);
    expect(r1.headers.get("x-ratelimit-remaining-requests")).toBe("4");
    expect(r2.headers.get("x-ratelimit-remaining-requests")).toBe("3");
  });
});

/** A Redis server of the test's own, on a free port, that the test can stop and start again. */
async function ownRedis(): Promise<{ url: string; start(): Promise<void>; stop(): Promise<void> } | null> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) return null;
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    async start() {
      child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child!.stdout!.on("data", (d) => {
          out += d;
          if (out.includes("Ready to accept connections")) resolve();
        });
        child!.on("exit", (code) => reject(new Error(`redis-server exited ${code}`)));
      });
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

describe("when Redis does not answer", () => {
  for (const policy of ["open", "closed"] as const) {
    it(`limits.redis_failure: ${policy} — degraded while Redis is down, back on Redis when it returns`, async (t) => {
      if (!db) return t.skip();
      const redis = await ownRedis();
      if (!redis) {
        if (process.env.CI === "true") throw new Error("redis-server is required in CI");
        return t.skip();
      }
      await redis.start();
      const gw = await startTestGateway({ redis_url: redis.url, limits: { redis_failure: policy }, providers: providers() }, { databaseUrl: db.url });
      try {
        fake.reset();
        const key = await newKey(gw, { rpm_limit: 3 });
        const free = await newKey(gw, {});
        expect((await chat(gw, key)).status).toBe(200);
        await redis.stop();
        const down = await chat(gw, key);
        const metrics = await (await fetch(`${gw.url}/metrics`)).text();
        expect(metrics).toContain("switchboard_redis_degraded 1");
        const ready = await fetch(`${gw.url}/readyz`);
        const readyBody = (await ready.json()) as { checks: { redis: { status: string; state?: string } } };
        if (policy === "open") {
          expect(down.status).toBe(200); // counted in this process (one instance seen: the whole limit)
          await down.text();
          expect(ready.status).toBe(200);
          expect(readyBody.checks.redis).toMatchObject({ status: "ok", state: "degraded", failure_policy: "open" });
        } else {
          expect(down.status).toBe(503);
          expect(((await down.json()) as { error: { code: string } }).error.code).toBe("not_ready");
          expect(ready.status).toBe(503);
          expect(readyBody.checks.redis.status).toBe("error");
        }
        // A key without limits never asks Redis: served either way.
        expect((await chat(gw, free)).status).toBe(200);
        await redis.start();
        // Back on Redis without a restart (bounded wait for the reconnect).
        let back = false;
        for (let i = 0; i < 300 && !back; i++) {
          back = (await (await fetch(`${gw.url}/metrics`)).text()).includes("switchboard_redis_degraded 0");
          if (!back) await new Promise((r) => setTimeout(r, 20));
        }
        expect(back).toBe(true);
        // The restarted Redis lost the count made before it stopped; the one this instance made
        // alone meanwhile (open) is owed to it and counted first: of 3, one is used, and the limit holds.
        const after = [];
        for (let i = 0; i < 4; i++) after.push((await chat(gw, key)).status);
        expect(after).toEqual(policy === "open" ? [200, 200, 429, 429] : [200, 200, 200, 429]);
      } finally {
        await gw.stop();
        await redis.stop();
      }
    }, 60_000);
  }
});

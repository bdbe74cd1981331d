/**
 * Scale-out as operators run it: several gateway PROCESSES (the built CLI) on one PostgreSQL
 * database and one Redis, in front of one fake upstream. What reaches the upstream is counted
 * from the fake's log, so every limit is checked by exact counts, not only by status codes:
 * rpm, tpm (with the true-up) and max_parallel hold across processes; a key revoked through one
 * process is refused by the others within a second; a process stopped with SIGTERM drains and
 * gives its concurrency slots back; and a Redis stopped and restarted under load is handled by
 * `limits.redis_failure` (open and closed) and returned to without a restart.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { redisTestServer } from "../support/redis.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { killAll, requireBuiltCli, startGatewayProcess, terminate, type GatewayProcess } from "../support/gateway-processes.js";
import { ownRedis, type OwnRedis } from "../support/own-redis.js";
import { estimatePromptTokens, promptTokenBound } from "../../src/core/tokens.js";

const MASTER_KEY = "sb-master-scale-out-0123456789abcdef";

let db: TestDatabase | null = null;
let redisUrl: string | null = null;
let fake: FakeOpenAI;
let procs: GatewayProcess[] = [];
/** Every redis-server of the test's own, stopped in afterAll whatever happened. */
const ownServers: OwnRedis[] = [];

const config = (policy: "open" | "closed" = "open") => ({
  providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
  usage: { flush_interval_ms: 20 },
  limits: { redis_failure: policy },
});

/** Starts `n` processes: the first alone (it migrates the fresh database), the others together. */
async function startProcesses(n: number, redis: string, policy: "open" | "closed" = "open"): Promise<GatewayProcess[]> {
  const env = { SWITCHBOARD_MASTER_KEY: MASTER_KEY, DATABASE_URL: db!.url, REDIS_URL: redis };
  const first = await startGatewayProcess(config(policy), env);
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => startGatewayProcess(config(policy), env)));
  return [first, ...rest];
}

const admin = (p: GatewayProcess, method: string, path: string, body?: unknown) =>
  fetch(p.url + path, { method, headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

async function newKey(p: GatewayProcess, limits: Record<string, number> = {}): Promise<{ id: string; key: string }> {
  const res = await admin(p, "POST", "/v1/keys", { key_name: "scale-out", ...limits });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

/** A chat request; `tag` is the user message, so the fake's log tells which requests reached it. */
const chat = (p: GatewayProcess, key: string, tag = "hi", body: Record<string, unknown> = {}) =>
  fetch(`${p.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "up:gpt-4o", max_tokens: 10, messages: [{ role: "user", content: tag }], ...body }),
  });

/** Status, body and headers of a finished response (the body is read, so the request has ended). */
async function settle(r: Response | Promise<Response>): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await r;
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** How many calls with this user message reached the fake upstream. */
const reached = (tag: string) => fake.calls.filter((c) => c.body?.messages?.[0]?.content === tag).length;

/** Waits (bounded) until `n` calls with this user message have reached the fake (a call is recorded before its body is read). */
async function reachedAtLeast(tag: string, n: number): Promise<number> {
  await eventually(5000, () => reached(tag) >= n, 5);
  return reached(tag);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `every` ms until it holds, at most `ms`; returns whether it held. */
async function eventually(ms: number, check: () => boolean | Promise<boolean>, every = 20): Promise<boolean> {
  const t0 = performance.now();
  for (;;) {
    if (await check()) return true;
    if (performance.now() - t0 > ms) return false;
    await sleep(every);
  }
}

const degradedGauge = async (p: GatewayProcess) => /^switchboard_redis_degraded (\d)$/m.exec(await (await fetch(`${p.url}/metrics`)).text())?.[1];
const readyz = async (p: GatewayProcess) => {
  const r = await fetch(`${p.url}/readyz`);
  return { status: r.status, body: (await r.json()) as { checks: { redis?: { status: string; state?: string; instances?: number } } } };
};

/**
 * Requests of a key without limits, round-robin over `targets`, one at a time, until stopped
 * (bounded: at most `max` requests, more than a test waits for at any speed). Resolves with every status seen.
 */
function backgroundLoad(targets: GatewayProcess[], key: string, max = 20_000) {
  let stopped = false;
  const statuses: number[] = [];
  const done = (async () => {
    for (let i = 0; i < max && !stopped; i++) {
      const r = await settle(chat(targets[i % targets.length], key, "load")).catch((e: Error) => ({ status: -1, body: e.message }));
      statuses.push(r.status);
    }
  })();
  return {
    statuses,
    /** Resolves once `n` more requests have been answered. */
    async served(n: number): Promise<void> {
      const want = statuses.length + n;
      const ok = await eventually(10_000, () => statuses.length >= want || stopped, 5);
      if (!ok || statuses.length < want) throw new Error(`the background load did not get ${n} more answers (statuses ${JSON.stringify(statuses.slice(-5))})`);
    },
    async stop(): Promise<number[]> {
      stopped = true;
      await done;
      return statuses;
    },
  };
}

beforeAll(async () => {
  redisUrl = await redisTestServer();
  db = await withPostgres();
  fake = await startFakeOpenAI();
  if (!redisUrl || !db) return;
  requireBuiltCli();
  procs = await startProcesses(3, redisUrl);
}, 60_000);

afterAll(async () => {
  await killAll();
  await Promise.all(ownServers.map((r) => r.stop()));
  await fake?.close();
  await db?.drop();
}, 30_000);

describe("three gateway processes on one PostgreSQL and one Redis", () => {
  it("rpm_limit 30: of 90 requests spread round-robin over three processes, exactly 30 reach the upstream; 60 get 429 with Retry-After", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const { key } = await newKey(procs[0], { rpm_limit: 30 });
    // One through each process in turn: each sees the count of the others.
    const results: Array<Awaited<ReturnType<typeof settle>>> = [];
    for (let i = 0; i < 3; i++) {
      const r = await settle(chat(procs[i], key, "rpm"));
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-remaining-requests")).toBe(String(29 - i));
      results.push(r);
    }
    // Then the other 87 at once, still round-robin.
    results.push(...(await Promise.all(Array.from({ length: 87 }, (_, i) => settle(chat(procs[i % 3], key, "rpm"))))));
    expect(results.filter((r) => r.status === 200)).toHaveLength(30);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(60);
    for (const r of refused) {
      expect(r.body.error.code).toBe("rate_limit_exceeded");
      expect(r.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    }
    expect(reached("rpm")).toBe(30);
  });

  it("a budget that fits 20 requests: of 200 concurrent requests spread over three processes at most 20 (exactly 20 while Redis answers) reach the upstream, and every process reports the same spend", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const [a] = procs as [GatewayProcess, GatewayProcess, GatewayProcess];
    // $1 per million tokens: a request costs one micro-USD per token.
    expect((await admin(a, "POST", "/v1/pricing", { model: "up:gpt-4o", input_price_per_million: 1, output_price_per_million: 1 })).status).toBe(201);
    // The other processes hear of the price through Redis within milliseconds: wait until each bills at it.
    const billsAtApiPrice = async (p: GatewayProcess) => ((await (await admin(p, "GET", "/v1/models/up:gpt-4o")).json()) as { pricing?: { source?: string } }).pricing?.source === "api";
    expect(await eventually(5000, async () => (await Promise.all(procs.map(billsAtApiPrice))).every(Boolean))).toBe(true);
    // A one-byte prompt: its byte bound (what a reservation first holds) equals its token estimate,
    // so every reservation is exactly what the request settles to and 20 fit however the 200
    // interleave. With a longer prompt the early requests hold their byte bound until they end,
    // and those that are judged meanwhile may be refused a little early (docs/budgets.md).
    const tag = "b";
    const messages = [{ role: "user", content: tag }];
    const prompt = await estimatePromptTokens(messages);
    expect(promptTokenBound(messages)).toBe(prompt);
    const perRequest = prompt + 10;
    const budget = await admin(a, "POST", "/v1/budgets", { max_budget: (20 * perRequest) / 1e6, budget_duration: "1d" });
    expect(budget.status).toBe(201);
    const budgetId = ((await budget.json()) as { budget_id: string }).budget_id;
    const key = ((await (await admin(a, "POST", "/v1/keys", { key_name: "shared-budget", budget_id: budgetId })).json()) as { key: string }).key;
    fake.setDefault({ delayMs: 30, usage: { prompt_tokens: prompt, completion_tokens: 10 } });
    let spent = 0;
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => settle(chat(procs[i % 3], key, tag))));
      const served = results.filter((r) => r.status === 200).length;
      // Never more than the budget. Exactly the budget unless Redis missed its 250 ms somewhere
      // (a loaded machine): then an instance judged alone, on its share, and may have served fewer.
      expect(served).toBeLessThanOrEqual(20);
      expect(reached(tag)).toBe(served);
      const degraded = procs.some((p) => p.output().includes("redis: not answering"));
      if (!degraded) {
        expect(served).toBe(20);
        expect(results.filter((r) => r.status === 402)).toHaveLength(180);
      }
      spent = served * perRequest;
    } finally {
      fake.setDefault({});
    }
    // Every process reads the same spend: what was served, to the micro-dollar (after the ledger's flush).
    expect(
      await eventually(5000, async () =>
        (
          await Promise.all(procs.map(async (p) => ((await (await admin(p, "GET", `/v1/budgets/${budgetId}`)).json()) as { assignments: Array<{ spend_usd: string }> }).assignments[0]?.spend_usd))
        ).every((v) => Number(v) === spent / 1e6),
      ),
    ).toBe(true);
  });

  it("tpm_limit 1000: the tokens the upstream reports through one process are what the others count (the estimate is trued up)", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const [a, b, c] = procs as [GatewayProcess, GatewayProcess, GatewayProcess];
    const { key } = await newKey(a, { tpm_limit: 1000 });
    // A probe estimated above the whole limit is refused without counting anything; its headers tell the shared count.
    const remaining = async (p: GatewayProcess) => {
      const r = await settle(chat(p, key, "probe", { max_tokens: 5000 }));
      expect(r.status).toBe(429);
      expect(r.headers.get("retry-after")).toBeNull();
      return Number(r.headers.get("x-ratelimit-remaining-tokens"));
    };
    expect(await remaining(b)).toBe(1000);
    fake.enqueue({ usage: { prompt_tokens: 500, completion_tokens: 300 } });
    const first = await settle(chat(a, key, "tpm", { max_tokens: 10 }));
    expect(first.status).toBe(200);
    expect(Number(first.headers.get("x-ratelimit-remaining-tokens"))).toBeGreaterThan(900); // the estimate, before the true-up
    // The true-up is sent when the request ends: wait for it (bounded), then it is exactly 800.
    let left = -1;
    expect(await eventually(3000, async () => (left = await remaining(b)) === 200)).toBe(true);
    expect(left).toBe(200);
    // 250 tokens asked for do not fit in the 200 left, on any process.
    const over = await settle(chat(c, key, "tpm", { max_tokens: 250 }));
    expect(over.status).toBe(429);
    expect(over.body.error.message).toContain("tokens per minute (tpm_limit)");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // 150 do; the upstream reports 200 (more than the estimate): the window is full.
    fake.enqueue({ usage: { prompt_tokens: 120, completion_tokens: 80 } });
    expect((await settle(chat(c, key, "tpm", { max_tokens: 150 }))).status).toBe(200);
    expect(await eventually(3000, async () => (left = await remaining(a)) === 0)).toBe(true);
    expect((await settle(chat(b, key, "tpm", { max_tokens: 1 }))).status).toBe(429);
    expect(reached("tpm")).toBe(2);
    expect(reached("probe")).toBe(0);
  });

  it("max_parallel 3: with three requests held at the upstream (one per process), a fourth is refused on every process; the slots come back", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const { key } = await newKey(procs[0], { max_parallel: 3 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    for (let i = 0; i < 3; i++) fake.enqueue({ holdUntil: held });
    const inFlight = procs.map((p) => settle(chat(p, key, "parallel")));
    try {
      expect(await reachedAtLeast("parallel", 3)).toBe(3);
      for (const p of procs) {
        const r = await settle(chat(p, key, "parallel-over"));
        expect(r.status).toBe(429);
        expect(r.body.error.message).toContain("3 of 3 concurrent requests (max_parallel)");
      }
      expect(reached("parallel")).toBe(3);
      expect(reached("parallel-over")).toBe(0);
    } finally {
      release();
    }
    for (const r of await Promise.all(inFlight)) expect(r.status).toBe(200);
    // Ending a request frees its slot by a script sent without waiting: bounded wait for three to fit again.
    let again: number[] = [];
    const fits = await eventually(3000, async () => {
      again = (await Promise.all(procs.map((p) => settle(chat(p, key, "parallel-again"))))).map((r) => r.status);
      return again.every((s) => s === 200);
    });
    expect(fits, `statuses ${again.join(",")}`).toBe(true);
  });

  it("a key revoked through one process is refused by the two others within 1 s (20 revocations: p50 and p99)", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const [a, b, c] = procs as [GatewayProcess, GatewayProcess, GatewayProcess];
    const took: number[] = [];
    for (let i = 0; i < 20; i++) {
      const k = await newKey(a);
      // b and c have the key cached now.
      expect((await settle(chat(b, k.key))).status).toBe(200);
      expect((await settle(chat(c, k.key))).status).toBe(200);
      expect((await admin(a, "DELETE", `/v1/keys/${k.id}`)).status).toBe(200);
      const t0 = performance.now();
      const refusedBy = new Set<GatewayProcess>();
      const refused = await eventually(
        1000,
        async () => {
          for (const p of [b, c]) if (!refusedBy.has(p) && (await settle(chat(p, k.key))).status === 401) refusedBy.add(p);
          return refusedBy.size === 2;
        },
        2,
      );
      expect(refused, `revocation ${i + 1} not seen by both other processes within 1 s`).toBe(true);
      took.push(performance.now() - t0);
    }
    took.sort((x, y) => x - y);
    const p = (q: number) => took[Math.min(took.length - 1, Math.ceil(q * took.length) - 1)];
    console.log(`[scale-out] key revoked through one process, refused by both others after p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms (n=20, including the polling requests)`);
    expect(p(0.99)).toBeLessThan(1000);
  });

  it("SIGTERM of one process under load: it drains its in-flight requests and exits 0, the others keep serving, its slots are free at once", async (t) => {
    if (!redisUrl || !db) return t.skip();
    const [a, b, c] = procs as [GatewayProcess, GatewayProcess, GatewayProcess];
    const { key } = await newKey(a, { max_parallel: 3 });
    const loadKey = await newKey(a, { rpm_limit: 100_000 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    for (let i = 0; i < 3; i++) fake.enqueue({ holdUntil: held });
    // Every slot of the key is taken by requests held on the process about to stop.
    const onC = Array.from({ length: 3 }, () => settle(chat(c, key, "draining")));
    let load: ReturnType<typeof backgroundLoad> | undefined;
    try {
      expect(await reachedAtLeast("draining", 3)).toBe(3);
      // The held answers are taken: the load (answered at once) starts now.
      load = backgroundLoad([a, b], loadKey.key);
      onTestFinished(() => load?.stop().then(() => undefined));
      await load.served(5);
      c.child.kill("SIGTERM");
      // It waits for its three requests while the others go on serving.
      expect(await eventually(5000, () => /SIGTERM: stopping: waiting up to \d+ s for 3 in-flight requests/.test(c.output()))).toBe(true);
      await load.served(20);
      expect(c.alive()).toBe(true);
      // A stopping process takes no new connection.
      await expect(fetch(`${c.url}/healthz`)).rejects.toThrow();
    } finally {
      release();
    }
    const drained = await Promise.all(onC);
    for (const r of drained) {
      expect(r.status).toBe(200);
      expect(r.body.choices[0].message.content).toBe("Echo: draining");
    }
    expect(await c.exited).toBe(0);
    await load.served(5);
    const statuses = await load.stop();
    expect(
      statuses.filter((s) => s !== 200),
      "the others refused or failed requests",
    ).toEqual([]);

    // Right after, the key can run 3 requests at once on the remaining processes: the stopped process's slots are free.
    let releaseAgain!: () => void;
    const heldAgain = new Promise<void>((r) => (releaseAgain = r));
    for (let i = 0; i < 3; i++) fake.enqueue({ holdUntil: heldAgain });
    let answered = 0;
    const again = [a, b, a].map((p) => settle(chat(p, key, "after-stop")).finally(() => answered++));
    try {
      // Each of the three either reaches the upstream (and is held there) or is answered (refused) at once.
      expect(await eventually(5000, () => reached("after-stop") + answered === 3, 5)).toBe(true);
      expect(answered, "some of the 3 were refused: the stopped process's slots were not freed").toBe(0);
      expect(reached("after-stop")).toBe(3);
      const fourth = await settle(chat(b, key, "after-stop-over"));
      expect(fourth.status).toBe(429);
    } finally {
      releaseAgain();
    }
    for (const r of await Promise.all(again)) expect(r.status).toBe(200);
    expect(reached("after-stop")).toBe(3);
    expect(reached("after-stop-over")).toBe(0);
  });
});

describe("Redis stopped and restarted under load (a redis-server of the test's own)", () => {
  for (const policy of ["open", "closed"] as const) {
    it(`limits.redis_failure: ${policy}`, async (t) => {
      if (!db) return t.skip();
      const redis = await ownRedis();
      if (!redis) return t.skip();
      ownServers.push(redis);
      await redis.start();
      const group = await startProcesses(3, redis.url, policy);
      try {
        // Each process counts the instances alive every 5 s: wait until all three see three.
        const seen = await eventually(12_000, async () => (await Promise.all(group.map(readyz))).every((r) => r.body.checks.redis?.instances === 3), 100);
        expect(seen, "the processes did not see each other through Redis").toBe(true);
        const free = await newKey(group[0]);
        const { key } = await newKey(group[0], { rpm_limit: 10 });
        // Redis is answering: the limit is shared.
        expect((await settle(chat(group[1], key, `${policy}-before`))).headers.get("x-ratelimit-remaining-requests")).toBe("9");
        for (const p of group) expect(await degradedGauge(p)).toBe("0");

        const load = backgroundLoad(group, free.key);
        onTestFinished(() => load.stop().then(() => undefined));
        await load.served(6);
        await redis.stop();
        try {
          if (policy === "closed") {
            // Readiness follows Redis itself, before any limited request has found it gone.
            const unready = await eventually(2000, async () => (await Promise.all(group.map(readyz))).every((r) => r.status === 503), 50);
            expect(unready, "/readyz stayed 200 with Redis down until a limited request came").toBe(true);
          }
          // Four limited requests on each process while Redis is down.
          const down = await Promise.all(
            group.map(async (p) => {
              const out = [];
              for (let i = 0; i < 4; i++) out.push(await settle(chat(p, key, `${policy}-down`)));
              return out;
            }),
          );
          for (const p of group) expect(await degradedGauge(p)).toBe("1");
          const ready = await Promise.all(group.map(readyz));
          if (policy === "open") {
            // Counted in each process from zero, the limit of 10 shared among the three seen: 3 each.
            for (const perProcess of down) expect(perProcess.map((r) => r.status)).toEqual([200, 200, 200, 429]);
            expect(reached(`${policy}-down`)).toBe(9);
            for (const r of ready) {
              expect(r.status).toBe(200);
              expect(r.body.checks.redis).toMatchObject({ status: "ok", state: "degraded" });
            }
          } else {
            for (const r of down.flat()) {
              expect(r.status).toBe(503);
              expect(r.body.error.code).toBe("not_ready");
              expect(r.headers.get("retry-after")).toBe("1");
            }
            expect(reached(`${policy}-down`)).toBe(0);
            for (const r of ready) {
              expect(r.status).toBe(503);
              expect(r.body.checks.redis?.status).toBe("error");
            }
          }
          await load.served(6); // a key without limits is served throughout
        } finally {
          await redis.start();
        }
        // Back on Redis without a restart (bounded wait for the reconnect).
        const back = await eventually(10_000, async () => (await Promise.all(group.map(degradedGauge))).every((g) => g === "0"), 50);
        expect(back, "switchboard_redis_degraded did not go back to 0 on every process").toBe(true);
        for (const r of await Promise.all(group.map(readyz))) {
          expect(r.status).toBe(200);
          expect(r.body.checks.redis).toMatchObject({ status: "ok", state: "connected" });
        }
        await load.served(6);
        const statuses = await load.stop();
        expect(
          statuses.filter((s) => s !== 200),
          "requests of a key without limits were refused or failed",
        ).toEqual([]);
        // Shared again: a new key with rpm_limit 5, 15 requests over the three, exactly 5 reach the upstream
        // (counted in each process it would be 1 each, or 5 each).
        const again = await newKey(group[0], { rpm_limit: 5 });
        const after = await Promise.all(Array.from({ length: 15 }, (_, i) => settle(chat(group[i % 3], again.key, `${policy}-after`))));
        expect(after.filter((r) => r.status === 200)).toHaveLength(5);
        expect(after.filter((r) => r.status === 429)).toHaveLength(10);
        expect(reached(`${policy}-after`)).toBe(5);
      } finally {
        await Promise.all(group.map((p) => terminate(p)));
        await redis.stop();
      }
    }, 40_000);
  }
});

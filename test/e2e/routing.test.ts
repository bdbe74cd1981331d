/**
 * Routing through the gateway, against fake OpenAI upstreams that count what reaches them:
 * strategies, fallback chains and their precedence, circuit breakers and health checks, the
 * context-window and content-policy fallbacks, bare model names, `/v1/providers` and receipts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const fakes: FakeOpenAI[] = [];
const gateways: TestGateway[] = [];
let a: FakeOpenAI;
let b: FakeOpenAI;
let c: FakeOpenAI;

beforeAll(async () => {
  [a, b, c] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeOpenAI()]);
  fakes.push(a, b, c);
});
afterEach(() => {
  for (const f of fakes) {
    f.reset();
    f.setDefault({});
  }
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(fakes.map((f) => f.close()));
});

const providers = () => ({
  a: { type: "openai", base_url: a.url, api_key: "sk-a-000000" },
  b: { type: "openai", base_url: b.url, api_key: "sk-b-000000" },
  c: { type: "openai", base_url: c.url, api_key: "sk-c-000000" },
});

async function gateway(extra: Record<string, unknown>): Promise<TestGateway> {
  const gw = await startTestGateway({ providers: providers(), ...extra });
  gateways.push(gw);
  return gw;
}

const chat = (gw: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gw.post("/v1/chat/completions", { messages: [{ role: "user", content: "hi" }], ...body }, headers);

/** The request's receipt, once every attempt it made is in the ledger. */
async function receipt(gw: TestGateway, res: Response): Promise<any> {
  const id = res.headers.get("x-switchboard-request-id")!;
  const attempts = Number(res.headers.get("x-switchboard-attempts"));
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${gw.url}/v1/logs/${id}`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
    if (r.status === 200) {
      const body = (await r.json()) as { attempts: unknown[] };
      if (body.attempts.length === attempts) return body;
    }
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`no complete receipt for ${id}`);
}

async function admin(gw: TestGateway, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

describe("strategies", () => {
  it("round-robin sends 6 requests over 3 deployments, 2 to each", async () => {
    const gw = await gateway({ models: [{ name: "rr", strategy: "round-robin", deployments: ["a:gpt-4o-mini", "b:gpt-4o-mini", "c:gpt-4o-mini"] }] });
    for (let i = 0; i < 6; i++) expect((await chat(gw, { model: "rr" })).status).toBe(200);
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([2, 2, 2]);
  });

  it("weighted 3:1 sends about three quarters of 400 requests to the heavier deployment", async () => {
    const gw = await gateway({
      models: [
        {
          name: "w",
          strategy: "weighted",
          deployments: [
            { model: "a:gpt-4o-mini", weight: 3 },
            { model: "b:gpt-4o-mini", weight: 1 },
          ],
        },
      ],
    });
    for (let i = 0; i < 400; i++) await chat(gw, { model: "w" });
    expect(a.calls.length + b.calls.length).toBe(400);
    expect(a.calls.length).toBeGreaterThan(300 - 45);
    expect(a.calls.length).toBeLessThan(300 + 45);
  });

  it("cheapest goes to the lowest price for the request", async () => {
    const gw = await gateway({
      models: [{ name: "cheap", strategy: "cheapest", deployments: ["a:gpt-4o", "b:gpt-4o-mini", "c:gpt-4.1"] }],
    });
    const res = await chat(gw, { model: "cheap" });
    expect(res.status).toBe(200);
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([0, 1, 0]);
    expect((await receipt(gw, res)).routing).toMatchObject({ strategy: "cheapest", candidates: ["b:gpt-4o-mini", "c:gpt-4.1", "a:gpt-4o"] });
  });

  it("usage-based keeps each deployment under its own rpm", async () => {
    const gw = await gateway({
      models: [
        {
          name: "u",
          strategy: "usage-based",
          deployments: [
            { model: "a:gpt-4o-mini", rpm: 2 },
            { model: "b:gpt-4o-mini", rpm: 100 },
          ],
        },
      ],
    });
    for (let i = 0; i < 10; i++) expect((await chat(gw, { model: "u" })).status).toBe(200);
    expect(a.calls.length).toBeLessThanOrEqual(2);
    expect(a.calls.length + b.calls.length).toBe(10);
  });
});

describe("fallbacks", () => {
  it("a group's fallbacks answer when its deployments fail; the receipt says which and why", async () => {
    const gw = await gateway({
      routing: { retries: 1 },
      models: [
        { name: "main", deployments: ["a:gpt-4o-mini"], fallbacks: ["backup"] },
        { name: "backup", deployments: ["b:gpt-4o-mini"] },
      ],
    });
    a.setDefault({ status: 500 });
    const res = await chat(gw, { model: "main" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-attempts")).toBe("3");
    expect([a.calls.length, b.calls.length]).toEqual([2, 1]);
    const r = await receipt(gw, res);
    expect(r.routing).toMatchObject({
      fallbacks: ["backup"],
      candidates: ["a:gpt-4o-mini", "b:gpt-4o-mini"],
      answered_by: { deployment: "b:gpt-4o-mini", via: "backup", fallback: true, reason: "after upstream_error from a:gpt-4o-mini" },
    });
    expect(r.attempts.map((x: any) => [x.provider, x.status])).toEqual([
      ["a", 502],
      ["a", 502],
      ["b", 200],
    ]);
  });

  it("x-fallback-chain and x-switchboard-fallbacks come after the group's own, each name once, and never reach the upstream", async () => {
    const gw = await gateway({ routing: { retries: 0 }, models: [{ name: "main", deployments: ["a:gpt-4o-mini"], fallbacks: ["b:gpt-4o-mini"] }] });
    a.setDefault({ status: 503 });
    b.setDefault({ status: 503 });
    const res = await chat(gw, { model: "main", "x-fallback-chain": ["b:gpt-4o-mini", "c:gpt-4o"], "x-routing-hints": { priority: "cost" } }, { "x-switchboard-fallbacks": "c:gpt-4o-mini" });
    expect(res.status).toBe(200);
    expect((await receipt(gw, res)).routing).toMatchObject({ fallbacks: ["b:gpt-4o-mini", "c:gpt-4o", "c:gpt-4o-mini"], answered_by: { deployment: "c:gpt-4o", via: "c:gpt-4o" } });
    expect(c.calls[0].body["x-fallback-chain"]).toBeUndefined();
    expect(c.calls[0].body["x-routing-hints"]).toBeUndefined();
    expect(res.headers.get("x-switchboard-warnings")).toContain("x-routing-hints applies to model");
  });

  it("a key may fall back only to models it is allowed", async () => {
    const gw = await gateway({});
    const key = (await admin(gw, "POST", "/v1/keys", { key_name: "narrow", allowed_models: ["a:*"] })).body.key;
    const res = await chat(gw, { model: "a:gpt-4o-mini", "x-fallback-chain": ["b:gpt-4o"] }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(403);
    expect(b.calls.length + a.calls.length).toBe(0);
  });

  it("an unknown fallback is a 400 naming it", async () => {
    const gw = await gateway({});
    const res = await chat(gw, { model: "a:gpt-4o-mini", "x-fallback-chain": ["nosuch:model"] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("nosuch");
    expect(a.calls.length).toBe(0);
  });

  it("the budget reserves for the most expensive deployment a fallback may reach", async () => {
    const gw = await gateway({ pricing: { "a:gpt-4o-mini": { input: 1, output: 1 }, "b:gpt-4o": { input: 1000, output: 1000 } } });
    await admin(gw, "POST", "/v1/budgets", { budget_id: "small", max_budget: 0.01, budget_duration: "1d" });
    const key = (await admin(gw, "POST", "/v1/keys", { key_name: "budgeted", budget_id: "small" })).body.key;
    const alone = await chat(gw, { model: "a:gpt-4o-mini", max_tokens: 100 }, { authorization: `Bearer ${key}` });
    expect(alone.status).toBe(200);
    const withFallback = await chat(gw, { model: "a:gpt-4o-mini", max_tokens: 100, "x-fallback-chain": ["b:gpt-4o"] }, { authorization: `Bearer ${key}` });
    expect(withFallback.status).toBe(402);
  });

  it("context window: a prompt too long for a model goes to one it fits, before any call; none fits is a 400", async () => {
    const gw = await gateway({
      models: [
        { name: "long", deployments: ["a:gpt-4o", "b:gpt-4.1"] },
        { name: "short", deployments: ["a:gpt-4o"] },
      ],
    });
    const big = "word ".repeat(140_000); // about 140,000 tokens: more than gpt-4o's 128,000, within gpt-4.1's window
    const res = await chat(gw, { model: "long", messages: [{ role: "user", content: big }] });
    expect(res.status).toBe(200);
    expect([a.calls.length, b.calls.length]).toEqual([0, 1]);
    expect((await receipt(gw, res)).routing.dropped[0]).toMatchObject({ deployment: "a:gpt-4o" });
    const none = await chat(gw, { model: "short", messages: [{ role: "user", content: big }] });
    expect(none.status).toBe(400);
    expect(((await none.json()) as any).error.code).toBe("context_length_exceeded");
    expect(a.calls.length).toBe(0);
  });

  it("content policy: a content-filter refusal tries the next candidate only when routing.content_policy_fallback is on", async () => {
    const refusal = { status: 400, error: { message: "filtered", type: "invalid_request_error", code: "content_filter" } };
    const off = await gateway({ models: [{ name: "cp", deployments: ["a:gpt-4o-mini"], fallbacks: ["b:gpt-4o-mini"] }] });
    a.setDefault(refusal);
    expect((await chat(off, { model: "cp" })).status).toBe(400);
    expect(b.calls.length).toBe(0);
    const on = await gateway({ routing: { content_policy_fallback: true }, models: [{ name: "cp", deployments: ["a:gpt-4o-mini"], fallbacks: ["b:gpt-4o-mini"] }] });
    const res = await chat(on, { model: "cp" });
    expect(res.status).toBe(200);
    expect(b.calls.length).toBe(1);
    expect((await receipt(on, res)).routing.answered_by.reason).toBe("after invalid_request (content filter) from a:gpt-4o-mini");
    // A plain 400 is the client's own error: no fallback.
    a.setDefault({ status: 400, error: { message: "bad", type: "invalid_request_error", code: "bad_param" } });
    expect((await chat(on, { model: "cp" })).status).toBe(400);
    expect(b.calls.length).toBe(1);
  });
});

describe("circuit breakers", () => {
  it("open after N failures: the deployment is skipped while another is healthy, probed once after the cooldown, and 503 when all are open", async () => {
    const gw = await gateway({
      routing: { retries: 0, circuit_breaker: { failures: 2, window_ms: 60_000, cooldown_ms: 1500 } },
      models: [
        { name: "g", strategy: "least-busy", deployments: ["a:gpt-4o-mini", "b:gpt-4o-mini"] },
        { name: "only-a", deployments: ["a:gpt-4o-mini"] },
      ],
    });
    a.setDefault({ status: 500 });
    await chat(gw, { model: "g" });
    await chat(gw, { model: "g" });
    expect(a.calls.length).toBe(2); // the second failure opens it
    for (let i = 0; i < 5; i++) expect((await chat(gw, { model: "g" })).status).toBe(200);
    expect(a.calls.length).toBe(2);
    const providers = (await admin(gw, "GET", "/v1/providers")).body.data;
    expect(providers.find((p: any) => p.deployment === "a:gpt-4o-mini")).toMatchObject({ state: "open", errors: 2, provider: "a", model: "gpt-4o-mini" });
    expect(providers.find((p: any) => p.deployment === "b:gpt-4o-mini")).toMatchObject({ state: "closed", errors: 0 });
    const blocked = await chat(gw, { model: "only-a" });
    expect(blocked.status).toBe(503);
    expect(((await blocked.json()) as any).error.code).toBe("no_healthy_deployment");
    expect(a.calls.length).toBe(2);
    await new Promise((r) => setTimeout(r, 1600));
    // Half-open: of three concurrent requests exactly one probes a; the probe succeeds and closes it.
    a.setDefault({ delayMs: 100 });
    const three = await Promise.all([chat(gw, { model: "g" }), chat(gw, { model: "g" }), chat(gw, { model: "g" })]);
    expect(three.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(a.calls.length).toBe(3);
    expect((await admin(gw, "GET", "/v1/providers")).body.data.find((p: any) => p.deployment === "a:gpt-4o-mini").state).toBe("closed");
  });

  it("active health checks close a recovered deployment without user traffic, and its probes are in the ledger", async () => {
    const gw = await gateway({
      routing: { retries: 0, circuit_breaker: { failures: 1, window_ms: 60_000, cooldown_ms: 100 }, health_checks: { interval_ms: 50 } },
      models: [{ name: "h", deployments: ["a:gpt-4o-mini"] }],
    });
    a.setDefault({ status: 500 });
    expect((await chat(gw, { model: "h" })).status).toBe(502);
    // A deployment a client named itself, not the configuration, is not probed: it recovers on its own traffic.
    expect((await chat(gw, { model: "b:gpt-4o" }, { "x-switchboard-fallbacks": "a:gpt-4o-mini" })).status).toBe(200);
    a.setDefault({});
    let state = "open";
    for (let i = 0; i < 100 && state !== "closed"; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await admin(gw, "GET", "/v1/providers")).body.data.find((p: any) => p.deployment === "a:gpt-4o-mini").state;
    }
    expect(state).toBe("closed");
    const probeCall = a.calls.find((call) => call.body.max_tokens === 1);
    expect(probeCall?.body.messages).toEqual([{ role: "user", content: "ping" }]);
    let logged: any[] = [];
    for (let i = 0; i < 50 && logged.length === 0; i++) {
      logged = (await admin(gw, "GET", "/v1/logs?model=health-check")).body.data ?? [];
      if (logged.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(logged.length).toBeGreaterThan(0);
  });
});

describe("bare model names", () => {
  it("go to every configured provider that serves the model, cheapest first, the others as fallbacks", async () => {
    const gw = await gateway({ routing: { retries: 0 }, pricing: { "a:gpt-4o-mini": { input: 5, output: 5 }, "b:gpt-4o-mini": { input: 1, output: 1 }, "c:gpt-4o-mini": { input: 9, output: 9 } } });
    const first = await chat(gw, { model: "gpt-4o-mini" });
    expect(first.status).toBe(200);
    expect([a.calls.length, b.calls.length]).toEqual([0, 1]);
    expect(b.calls[0].body.model).toBe("gpt-4o-mini");
    b.setDefault({ status: 500 });
    const second = await chat(gw, { model: "gpt-4o-mini" });
    expect(second.status).toBe(200);
    expect([a.calls.length, c.calls.length]).toEqual([1, 0]);
    expect((await receipt(gw, second)).routing).toMatchObject({ strategy: "cheapest", bare_model: true, candidates: ["b:gpt-4o-mini", "a:gpt-4o-mini", "c:gpt-4o-mini"] });
    const unknown = await chat(gw, { model: "no-such-model-anywhere" });
    expect(unknown.status).toBe(404);
  });
});

describe('model: "auto"', () => {
  const autoConfig = () => ({
    routing: { retries: 0, auto: { candidates: ["a:gpt-4o", "b:gpt-4o-mini", "c:gpt-4.1"], quality: { "a:gpt-4o": 0.9, "b:gpt-4o-mini": 0.5, "c:gpt-4.1": 0.8 } } },
  });

  it("picks by the request's priority and says why in x-switchboard-route-reason and the receipt", async () => {
    const gw = await gateway(autoConfig());
    const cheap = await chat(gw, { model: "auto" });
    expect(cheap.status).toBe(200);
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([0, 1, 0]);
    const reason = cheap.headers.get("x-switchboard-route-reason");
    expect(reason).toMatch(/cheapest/);
    const r = await receipt(gw, cheap);
    expect(r.routing.strategy).toBe("auto");
    expect(r.routing.auto).toMatchObject({ priority: "cost", winner: { name: "b:gpt-4o-mini" } });
    expect(r.routing.auto.candidates).toHaveLength(3);
    expect(r.routing.candidates[0]).toBe("b:gpt-4o-mini");
    // The same request again: the winner is the same (its score moves with the latency now measured).
    const again = await chat(gw, { model: "auto" });
    expect(again.headers.get("x-switchboard-route-reason")).toMatch(/^cheapest among 3 candidates/);
    expect(b.calls.length).toBe(2);
    const quality = await chat(gw, { model: "auto", "x-routing-hints": { priority: "quality" } });
    expect(quality.status).toBe(200);
    expect(a.calls.length).toBe(1); // the highest quality score
    expect(a.calls[0].body["x-routing-hints"]).toBeUndefined();
  });

  it("falls back to the next-ranked candidate, honours exclude_providers, and refuses hints that exclude everything", async () => {
    const gw = await gateway(autoConfig());
    b.setDefault({ status: 500 });
    const res = await chat(gw, { model: "auto" });
    expect(res.status).toBe(200);
    expect(b.calls.length).toBe(1);
    expect(a.calls.length + c.calls.length).toBe(1);
    b.setDefault({});
    await chat(gw, { model: "auto", "x-routing-hints": { exclude_providers: ["b"] } });
    expect(b.calls.length).toBe(1);
    const none = await chat(gw, { model: "auto", "x-routing-hints": { exclude_providers: ["a", "b", "c"] } });
    expect(none.status).toBe(400);
    const err = ((await none.json()) as any).error;
    expect(err.message).toContain("exclude_providers");
    expect(err.param).toBe("x-routing-hints");
    const bad = await chat(gw, { model: "auto", "x-routing-hints": { priority: "speed" } });
    expect(bad.status).toBe(400);
    expect(a.calls.length + c.calls.length).toBe(2);
  });

  it("chooses only among the models a restricted key may use", async () => {
    const gw = await gateway(autoConfig());
    const key = (await admin(gw, "POST", "/v1/keys", { key_name: "only-c", allowed_models: ["c:*"] })).body.key;
    const res = await chat(gw, { model: "auto" }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([0, 0, 1]);
  });
});

describe("circuit breakers and the client's own choices", () => {
  it("timeouts a client chose with x-switchboard-timeout-ms do not open the circuit for everyone", async () => {
    const gw = await gateway({ routing: { retries: 0, circuit_breaker: { failures: 2, window_ms: 60_000, cooldown_ms: 60_000 } } });
    a.setDefault({ delayMs: 300 });
    for (let i = 0; i < 4; i++) expect((await chat(gw, { model: "a:gpt-4o-mini" }, { "x-switchboard-timeout-ms": "50" })).status).toBe(504);
    a.setDefault({});
    expect((await chat(gw, { model: "a:gpt-4o-mini" })).status).toBe(200);
    expect((await admin(gw, "GET", "/v1/providers")).body.data.find((p: any) => p.deployment === "a:gpt-4o-mini")).toMatchObject({ state: "closed" });
  });
});

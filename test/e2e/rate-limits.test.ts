/**
 * Rate and concurrency limits of virtual keys, through the gateway: exact counts from the fake
 * upstream's log, the 429 with Retry-After, the x-ratelimit-* headers (streams included), the
 * slot given back on every exit path, and tokens trued up to the actual count.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;
const messages = [{ role: "user", content: "hi" }];

async function newKey(limits: Record<string, number | string>): Promise<string> {
  const res = await gw.post("/v1/keys", { key_name: "limited", ...limits });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

const chat = (key: string, body: Record<string, unknown> = {}) => gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 10, messages, ...body }, { authorization: `Bearer ${key}` });

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("rate limits of a virtual key", () => {
  it("rpm_limit 2: five requests in a row, two reach the upstream, three get 429 with Retry-After and the headers", async () => {
    const key = await newKey({ rpm_limit: 2 });
    const statuses: number[] = [];
    const responses: Response[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await chat(key);
      statuses.push(res.status);
      responses.push(res);
      await res.text();
    }
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect(fake.calls.length).toBe(2);
    expect(responses[0].headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(responses[0].headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(responses[1].headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(["59s", "1m0s"]).toContain(responses[0].headers.get("x-ratelimit-reset-requests")); // the window empties 59-60 s after the request
    const refused = responses[2];
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(refused.headers.get("x-ratelimit-limit-tokens")).toBeNull(); // no tpm limit on this key
  });

  it("the 429 body is OpenAI's rate_limit_error, and the official SDK sees a RateLimitError", async () => {
    const key = await newKey({ rpm_limit: 1 });
    expect((await chat(key)).status).toBe(200);
    const res = await chat(key);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: "rate_limit_exceeded",
      type: "rate_limit_error",
      message: expect.stringContaining("1 requests per minute (rpm_limit)"),
    });
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(fake.calls.length).toBe(1);
  });

  it("streams carry the headers too", async () => {
    const key = await newKey({ rpm_limit: 5, tpm_limit: 10_000 });
    const res = await chat(key, { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("4");
    expect(res.headers.get("x-ratelimit-limit-tokens")).toBe("10000");
    expect(Number(res.headers.get("x-ratelimit-remaining-tokens"))).toBeLessThan(10_000);
    await res.text();
  });

  it("max_parallel 1: a second request while one is in flight is refused; the slot comes back after success, upstream error and client disconnect", async () => {
    const key = await newKey({ max_parallel: 1 });
    // Success.
    let release!: () => void;
    fake.enqueue({ holdUntil: new Promise<void>((r) => (release = r)) });
    const first = chat(key);
    await fake.received(1);
    const second = await chat(key);
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { message: string } }).error.message).toContain("1 of 1 concurrent requests");
    release();
    expect((await first).status).toBe(200);
    // An upstream error.
    fake.enqueue({ status: 400, error: { message: "bad" } });
    expect((await chat(key)).status).toBe(400);
    // A client that goes away while the upstream works.
    fake.enqueue({ silent: true });
    const ac = new AbortController();
    const gone = fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      signal: ac.signal,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "up:gpt-4o", messages }),
    }).catch(() => null);
    await fake.received(3);
    ac.abort();
    await gone;
    await fake.closed(3);
    // The slot is free again: the next request goes through.
    for (let i = 0; i < 50; i++) {
      const res = await chat(key);
      if (res.status === 200) break;
      expect(res.status).toBe(429); // the disconnect may still be settling; bounded
      await new Promise((r) => setImmediate(r));
    }
    expect(fake.calls.filter((c) => !c.aborted).length).toBeGreaterThanOrEqual(3);
    expect(fake.calls.length).toBe(4);
  });

  it("tpm_limit: the estimate counts up front, the actual count replaces it; a request that can never fit gets 429 without Retry-After", async () => {
    const key = await newKey({ tpm_limit: 1000 });
    fake.enqueue({ usage: { prompt_tokens: 300, completion_tokens: 200 } });
    const a = await chat(key, { max_tokens: 400 });
    expect(a.status).toBe(200);
    // Estimate: 400 output + the prompt's bytes / 4; remaining says so at admission.
    expect(Number(a.headers.get("x-ratelimit-remaining-tokens"))).toBeLessThanOrEqual(600);
    // After it: 500 actual tokens counted, so 500 are left, and a request estimated at 450+ fits.
    const b = await chat(key, { max_tokens: 450 });
    expect(b.status).toBe(200);
    const rem = Number(b.headers.get("x-ratelimit-remaining-tokens"));
    expect(rem).toBeLessThan(50);
    expect(rem).toBeGreaterThanOrEqual(0);
    const never = await chat(key, { max_tokens: 5000 });
    expect(never.status).toBe(429);
    expect(never.headers.get("retry-after")).toBeNull();
    expect(((await never.json()) as { error: { message: string } }).error.message).toContain("lower max_tokens");
    expect(fake.calls.length).toBe(2);
  });

  it("a request refused before any upstream call (an unknown model) does not count", async () => {
    const key = await newKey({ rpm_limit: 1 });
    const bad = await chat(key, { model: "up-nope:x" });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(429);
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(429);
    expect(fake.calls.length).toBe(1);
  });

  it("embeddings count against the same limits", async () => {
    const key = await newKey({ rpm_limit: 1 });
    const e = await gw.post("/v1/embeddings", { model: "up:text-embedding-3-small", input: ["a", "b"] }, { authorization: `Bearer ${key}` });
    expect(e.status).toBe(200);
    expect(e.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect((await chat(key)).status).toBe(429);
  });

  it("a key without limits gets no x-ratelimit headers", async () => {
    const key = await newKey({});
    const res = await chat(key);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
    expect(res.headers.get("x-ratelimit-limit-tokens")).toBeNull();
  });
});

describe("rate limits of users and teams", () => {
  it("a user's rpm_limit holds across all of the user's keys; a team's across all of its users; the master key acting for a user gets the user's and the team's", async () => {
    expect((await gw.post("/v1/teams", { team_id: "rl-team", rpm_limit: 3 })).status).toBe(201);
    expect((await gw.post("/v1/users", { user_id: "rl-ann", team_id: "rl-team", rpm_limit: 2 })).status).toBe(201);
    expect((await gw.post("/v1/users", { user_id: "rl-bo", team_id: "rl-team" })).status).toBe(201);
    const ann1 = await newKey({ user_id: "rl-ann" });
    const ann2 = await newKey({ user_id: "rl-ann" });
    const bo = await newKey({ user_id: "rl-bo" });
    expect((await chat(ann1)).status).toBe(200);
    const second = await chat(ann2);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-ratelimit-remaining-requests")).toBe("0"); // the user's 2 is tighter than the team's 3
    const third = await chat(ann1);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { message: string } }).error.message).toContain("user rl-ann is at its limit of 2 requests per minute");
    // bo is not limited himself, but the team has one of its 3 left.
    expect((await chat(bo)).status).toBe(200);
    const teamFull = await chat(bo);
    expect(teamFull.status).toBe(429);
    expect(((await teamFull.json()) as { error: { message: string } }).error.message).toContain("team rl-team is at its limit of 3 requests per minute");
    // The master key acting for bo is held to the team's limit too.
    const acting = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 10, messages, user: "rl-bo" });
    expect(acting.status).toBe(429);
    expect(fake.calls.length).toBe(3);
  });

  it("a limit set on a user applies to the user's keys at once", async () => {
    expect((await gw.post("/v1/users", { user_id: "rl-cy" })).status).toBe(201);
    const key = await newKey({ user_id: "rl-cy" });
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).headers.get("x-ratelimit-limit-requests")).toBeNull();
    const patched = await fetch(`${gw.url}/v1/users/rl-cy`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ rpm_limit: 1 }),
    });
    expect(patched.status).toBe(200);
    const res = await chat(key);
    expect(res.status).toBe(200); // the first request under the new limit
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("1");
    expect((await chat(key)).status).toBe(429);
  });
});

describe("rate limits: the edges an abuser would try", () => {
  it("tpm_limit 200: five concurrent requests without max_tokens cannot all start on the same room", async () => {
    const key = await newKey({ tpm_limit: 200 });
    let release!: () => void;
    fake.enqueue({ holdUntil: new Promise<void>((r) => (release = r)), usage: { prompt_tokens: 10, completion_tokens: 90 } });
    const body = { model: "up:gpt-4o", messages };
    const first = gw.post("/v1/chat/completions", body, { authorization: `Bearer ${key}` });
    await fake.received(1);
    const others = await Promise.all(Array.from({ length: 4 }, () => gw.post("/v1/chat/completions", body, { authorization: `Bearer ${key}` })));
    expect(others.map((r) => r.status)).toEqual([429, 429, 429, 429]);
    release();
    expect((await first).status).toBe(200);
    expect(fake.calls.length).toBe(1);
    // The true-up gave back what the output did not use: 100 of 200 used, so the next one starts.
    expect((await gw.post("/v1/chat/completions", body, { authorization: `Bearer ${key}` })).status).toBe(200);
  });

  it("embeddings given as token ids count every id", async () => {
    const key = await newKey({ tpm_limit: 100 });
    const res = await gw.post("/v1/embeddings", { model: "up:text-embedding-3-small", input: [Array.from({ length: 300 }, (_, i) => i)] }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(429);
    expect(fake.calls.length).toBe(0);
  });

  it("a request taken back (refused by its budget, no upstream reached) says so in its headers; one refused before its limits were checked has none", async () => {
    const budget = await gw.post("/v1/budgets", { budget_id: "rl-tiny", max_budget: 0.000001 });
    expect(budget.status).toBe(201);
    await gw.post("/v1/pricing", { model: "up:gpt-4o", input_price_per_million: 1000, output_price_per_million: 1000 });
    const key = await newKey({ rpm_limit: 2, budget_id: "rl-tiny" });
    const refused = await chat(key);
    expect(refused.status).toBe(402);
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("2"); // counted, then given back
    const unknown = await chat(key, { model: "up-nope:x" });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-ratelimit-remaining-requests")).toBeNull(); // refused before the limits were checked
    const cleared = await fetch(`${gw.url}/v1/pricing/up:gpt-4o`, { method: "DELETE", headers: { authorization: `Bearer ${gw.masterKey}` } });
    expect(cleared.status).toBe(200);
    expect(fake.calls).toHaveLength(0);
  });

  it("an upstream that refuses the connection was never reached: the request does not count", async () => {
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const down = await startTestGateway({ providers: { up: { type: "openai", base_url: `http://127.0.0.1:${port}/v1`, api_key: "sk-up-000000" } }, routing: { retries: 0 } });
    try {
      const res = await down.post("/v1/keys", { key_name: "x", rpm_limit: 1 });
      const { key } = (await res.json()) as { key: string };
      const call = () => down.post("/v1/chat/completions", { model: "up:gpt-4o", messages }, { authorization: `Bearer ${key}` });
      const r1 = await call();
      expect(r1.status).toBe(502);
      expect(await r1.text()).toContain("ECONNREFUSED");
      expect((await call()).status).toBe(502); // not 429: the first one was taken back
    } finally {
      await down.stop();
    }
  });
});

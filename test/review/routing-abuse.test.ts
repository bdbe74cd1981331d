/**
 * Routing under an abusive client: what a client controls (its own timeout, leaving early, the
 * model name it sends) must not decide a deployment's circuit for everyone, nor break the
 * answer the gateway writes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const gateways: TestGateway[] = [];
let a: FakeOpenAI;

beforeAll(async () => {
  a = await startFakeOpenAI();
});
afterEach(() => {
  a.reset();
  a.setDefault({});
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await a.close();
});

async function gateway(extra: Record<string, unknown>): Promise<TestGateway> {
  const gw = await startTestGateway({ providers: { a: { type: "openai", base_url: a.url, api_key: "sk-a-000000" } }, ...extra });
  gateways.push(gw);
  return gw;
}

const chat = (gw: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
    signal,
  });

async function stateOf(gw: TestGateway, deployment: string): Promise<{ state: string; in_flight: number } | undefined> {
  const r = await fetch(`${gw.url}/v1/providers`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
  const body = (await r.json()) as { data: Array<{ deployment: string; state: string; in_flight: number }> };
  return body.data.find((p) => p.deployment === deployment);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gateway whose deployment a:gpt-4o-mini has its circuit open (one failure opens it) and its cooldown of 150 ms over. */
async function openedAndCooled(): Promise<TestGateway> {
  const gw = await gateway({ routing: { retries: 0, circuit_breaker: { failures: 1, window_ms: 60_000, cooldown_ms: 150 } } });
  a.setDefault({ status: 500 });
  expect((await chat(gw, { model: "a:gpt-4o-mini" })).status).toBe(502);
  expect((await stateOf(gw, "a:gpt-4o-mini"))?.state).toBe("open");
  await sleep(200);
  return gw;
}

describe("a half-open probe the client cuts short decides nothing", () => {
  it("a probe ended by the client's own x-switchboard-timeout-ms does not close the circuit of a deployment that still hangs", async () => {
    const gw = await openedAndCooled();
    a.setDefault({ delayMs: 1000, status: 500 });
    // The client's own 30 ms run out while the probe waits on the hanging deployment.
    expect((await chat(gw, { model: "a:gpt-4o-mini" }, { "x-switchboard-timeout-ms": "30" })).status).toBe(504);
    expect((await stateOf(gw, "a:gpt-4o-mini"))?.state).not.toBe("closed");
    // The next request is the probe, and its real failure opens the circuit again.
    a.setDefault({ status: 500 });
    expect((await chat(gw, { model: "a:gpt-4o-mini" })).status).toBe(502);
    expect(await stateOf(gw, "a:gpt-4o-mini")).toMatchObject({ state: "open", in_flight: 0 });
  });

  it("a probe whose client leaves does not close the circuit, and the probe is not held: the next request probes", async () => {
    const gw = await openedAndCooled();
    a.setDefault({ delayMs: 300, status: 500 });
    const gone = new AbortController();
    const left = chat(gw, { model: "a:gpt-4o-mini" }, {}, gone.signal).catch(() => "aborted");
    await sleep(60);
    gone.abort();
    expect(await left).toBe("aborted");
    await sleep(350);
    expect((await stateOf(gw, "a:gpt-4o-mini"))?.state).not.toBe("closed");
    a.setDefault({});
    expect((await chat(gw, { model: "a:gpt-4o-mini" })).status).toBe(200);
    expect(await stateOf(gw, "a:gpt-4o-mini")).toMatchObject({ state: "closed", in_flight: 0 });
  });

  it("a timeout header above the operator's total has no effect, so the operator's own timeouts still count against a hanging deployment", async () => {
    const gw = await gateway({ routing: { retries: 0, timeouts: { total_ms: 80 }, circuit_breaker: { failures: 2, window_ms: 60_000, cooldown_ms: 60_000 } } });
    a.setDefault({ delayMs: 400 });
    for (let i = 0; i < 2; i++) expect((await chat(gw, { model: "a:gpt-4o-mini" }, { "x-switchboard-timeout-ms": "600000" })).status).toBe(504);
    expect((await stateOf(gw, "a:gpt-4o-mini"))?.state).toBe("open");
  });
});

describe("circuits on model names a client makes up", () => {
  it("a model the provider does not know (404) opens no circuit, so active health checks never probe names a client chose", async () => {
    const gw = await gateway({ routing: { retries: 0, circuit_breaker: { failures: 1, window_ms: 60_000, cooldown_ms: 50 }, health_checks: { interval_ms: 50 } } });
    a.setDefault({ status: 404, error: { message: "The model does not exist", type: "invalid_request_error", code: "model_not_found" } });
    for (let i = 0; i < 5; i++) expect((await chat(gw, { model: `a:made-up-${i}` })).status).toBe(404);
    await sleep(400);
    // Only the five requests reached the provider: no probes of the made-up names.
    expect(a.calls.length).toBe(5);
    for (let i = 0; i < 5; i++) expect((await stateOf(gw, `a:made-up-${i}`))?.state).toBe("closed");
  });
});

describe("a stream the client's own timeout cuts", () => {
  // The stream's end is reported from the relay (src/pipeline/chat.ts) with the same verdict as a failed attempt.
  it("does not count against the deployment, so streaming clients with a short x-switchboard-timeout-ms cannot open its circuit", async () => {
    const gw = await gateway({ routing: { retries: 0, circuit_breaker: { failures: 2, window_ms: 60_000, cooldown_ms: 60_000 } } });
    a.setDefault({ chunks: 20, chunkDelayMs: 40 });
    for (let i = 0; i < 3; i++) {
      const res = await chat(gw, { model: "a:gpt-4o-mini", stream: true }, { "x-switchboard-timeout-ms": "150" });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("error");
    }
    expect((await stateOf(gw, "a:gpt-4o-mini"))?.state).toBe("closed");
  });
});

describe("client-chosen model names", () => {
  it("a model name too long to be a routing key is refused before any call, as the model or as a fallback, and leaves nothing in the health map", async () => {
    const gw = await gateway({});
    const long = "a:" + "x".repeat(20_000);
    for (const [body, headers] of [
      [{ model: long }, {}],
      [{ model: long, stream: true }, {}],
      [{ model: "a:gpt-4o-mini", "x-fallback-chain": [long] }, {}],
      [{ model: "a:gpt-4o-mini" }, { "x-switchboard-fallbacks": "a:" + "y".repeat(300) }],
    ] as Array<[Record<string, unknown>, Record<string, string>]>) {
      const res = await chat(gw, body, headers);
      expect(res.status).toBe(400);
      const err = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe("invalid_request");
      expect(err.message.length).toBeLessThan(300);
    }
    expect(a.calls.length).toBe(0);
    expect(await stateOf(gw, long)).toBeUndefined();
    // A name of ordinary length still goes through.
    expect((await chat(gw, { model: "a:" + "z".repeat(200) })).status).toBe(200);
  });
});

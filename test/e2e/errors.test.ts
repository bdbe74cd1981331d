/** Every error status of SPEC §4 as a client sees it, in OpenAI's envelope. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const UPSTREAM_KEY = "sk-upstream-canary-abcdef012345";
let fake: FakeOpenAI;
let gw: TestGateway;
const messages = [{ role: "user", content: "hi" }];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    server: { port: 0, max_body_bytes: 2048 },
    providers: { up: { type: "openai", base_url: fake.url, api_key: UPSTREAM_KEY }, down: { type: "openai", base_url: "http://127.0.0.1:9/v1", api_key: "x" } },
    // Each test's failures would otherwise open the upstream's circuit for the next ones.
    routing: { retries: 2, timeouts: { connect_ms: 1000, first_token_ms: 400, idle_ms: 400, total_ms: 3000 }, circuit_breaker: { failures: 1000 } },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function expectError(res: Response, status: number, code: string, type: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as any;
  expect(body.error).toMatchObject({ code, type });
  expect(typeof body.error.message).toBe("string");
  expect(body.error).toHaveProperty("param");
  expect(JSON.stringify(body)).not.toContain(UPSTREAM_KEY);
  return body.error;
}

describe("client errors", () => {
  it("400 on malformed JSON", async () => {
    await expectError(await gw.post("/v1/chat/completions", "{not json"), 400, "invalid_request", "invalid_request_error");
  });
  it("400 on a body nested deeper than 128 levels, before any upstream call (deeper ones overflowed the stack: a 500, or a retried 502)", async () => {
    const deep = "[".repeat(200) + "]".repeat(200);
    const body = `{"model":"up:gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`;
    const res = await gw.post("/v1/chat/completions", body);
    await expectError(res, 400, "invalid_request", "invalid_request_error");
    expect(((await gw.post("/v1/chat/completions", body).then((r) => r.json())) as any).error.message).toBe("request body is nested deeper than 128 levels");
    expect(fake.calls).toHaveLength(0);
    // 120 levels inside the request (under the limit) are taken.
    const fine = `{"model":"up:gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata_probe":${"[".repeat(120) + "]".repeat(120)}}`;
    expect((await gw.post("/v1/chat/completions", fine)).status).not.toBe(400);
  });

  it("400 on a schema violation, naming the parameter", async () => {
    const e = await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages: [{ role: "wizard", content: "x" }] }), 400, "invalid_request", "invalid_request_error");
    expect(e.param).toBe("messages[0].role");
    await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages, temperature: "hot" }), 400, "invalid_request", "invalid_request_error");
    await expectError(await gw.post("/v1/chat/completions", [1, 2]), 400, "invalid_request", "invalid_request_error");
    await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }, { "x-switchboard-timeout-ms": "soon" }), 400, "invalid_request", "invalid_request_error");
  });
  it("401 without a key or with a wrong key, through every accepted header", async () => {
    await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }, { authorization: "" }), 401, "invalid_api_key", "authentication_error");
    await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }, { authorization: "Bearer wrong" }), 401, "invalid_api_key", "authentication_error");
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "sb-wrong", maxRetries: 0 });
    await expect(sdk.chat.completions.create({ model: "up:x", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    for (const h of [{ "x-api-key": gw.masterKey }, { "anyllm-key": `Bearer ${gw.masterKey}` }, { "x-anyllm-key": `Bearer ${gw.masterKey}` }] as Array<Record<string, string>>) {
      const res = await gw.post("/v1/chat/completions", { model: "up:x", messages }, { authorization: "", ...h });
      expect(res.status).toBe(200);
    }
  });
  it("404 for an unknown model or provider", async () => {
    await expectError(await gw.post("/v1/chat/completions", { model: "nosuch:gpt", messages }), 404, "model_not_found", "invalid_request_error");
    await expectError(await gw.post("/v1/chat/completions", { model: "no-separator", messages }), 404, "model_not_found", "invalid_request_error");
    expect(fake.calls).toHaveLength(0);
  });
  it("413 for a body over max_body_bytes, seen by the client (not a reset)", async () => {
    const big = { model: "up:x", messages: [{ role: "user", content: "x".repeat(10_000) }] };
    await expectError(await gw.post("/v1/chat/completions", big), 413, "request_too_large", "invalid_request_error");
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
    await expect(sdk.chat.completions.create(big as never)).rejects.toMatchObject({ status: 413 });
  });
  it("404 envelope for unknown routes", async () => {
    await expectError(await gw.post("/v1/nothing-here", {}), 404, "not_found", "invalid_request_error");
  });
});

describe("upstream errors", () => {
  it("retries 5xx and succeeds, counting attempts", async () => {
    fake.enqueue({ status: 503 });
    fake.enqueue({ status: 500 });
    const res = await gw.post("/v1/chat/completions", { model: "up:x", messages });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-attempts")).toBe("3");
    expect(fake.calls).toHaveLength(3);
  });
  it("502 upstream_error once retries are exhausted, with the provider's message", async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ status: 500, error: { message: `boom ${UPSTREAM_KEY}` } });
    const e = await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }), 502, "upstream_error", "api_error");
    expect(e.message).toContain("boom");
    expect(fake.calls).toHaveLength(3);
  });
  it("a provider's 400 and 404 pass through with its message, without retries", async () => {
    fake.enqueue({ status: 400, error: { message: "bad temperature for this model" } });
    const e = await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }), 400, "invalid_request", "invalid_request_error");
    expect(e.message).toBe("bad temperature for this model");
    fake.enqueue({ status: 404, error: { message: "The model `x` does not exist" } });
    await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }), 404, "model_not_found", "invalid_request_error");
    fake.enqueue({ status: 422, error: { message: "unprocessable" } });
    await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }), 400, "invalid_request", "invalid_request_error");
    expect(fake.calls).toHaveLength(3);
  });
  it("429 stays 429 after retries, with Retry-After", async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ status: 429, retryAfter: 0, error: { message: "slow down" } });
    const res = await gw.post("/v1/chat/completions", { model: "up:x", messages });
    await expectError(res, 429, "rate_limit_exceeded", "rate_limit_error");
    expect(res.headers.get("retry-after")).toBe("0");
    expect(fake.calls).toHaveLength(3);
  });
  it("502 upstream_auth_error when the provider rejects the gateway's credentials", async () => {
    fake.enqueue({ status: 401, error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}` } });
    const e = await expectError(await gw.post("/v1/chat/completions", { model: "up:x", messages }), 502, "upstream_auth_error", "api_error");
    expect(e.message).not.toContain(UPSTREAM_KEY);
  });
  it("502 when the upstream cannot be reached", async () => {
    await expectError(await gw.post("/v1/chat/completions", { model: "down:x", messages }), 502, "upstream_error", "api_error");
  });
  it("504 when the upstream stays silent, after retrying", async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ silent: true });
    const res = await gw.post("/v1/chat/completions", { model: "up:x", messages });
    await expectError(res, 504, "upstream_timeout", "timeout_error");
    expect(fake.calls).toHaveLength(3);
    expect(res.headers.get("x-switchboard-attempts")).toBe("3");
  });
  it("a first-token timeout on a stream is retried before any byte reaches the client", async () => {
    fake.enqueue({ delayMs: 1000, text: "late" });
    fake.enqueue({ text: "on time" });
    const res = await gw.post("/v1/chat/completions", { model: "up:x", messages, stream: true });
    expect(res.status).toBe(200);
    const body = await res.text();
    const text = body
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe("on time");
    expect(res.headers.get("x-switchboard-attempts")).toBe("2");
  });
  it("x-switchboard-timeout-ms overrides the total timeout", async () => {
    fake.enqueue({ delayMs: 300, text: "slow" });
    fake.enqueue({ delayMs: 300, text: "slow" });
    fake.enqueue({ delayMs: 300, text: "slow" });
    const res = await gw.post("/v1/chat/completions", { model: "up:x", messages }, { "x-switchboard-timeout-ms": "100" });
    await expectError(res, 504, "upstream_timeout", "timeout_error");
  });
});

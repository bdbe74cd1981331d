/**
 * The access line (one JSON line per request at level info) and the redaction of secrets on
 * every path through a running gateway: answered, streamed, failed upstream with an error that
 * echoes the provider's key, refused for a bad key, and start-up lines.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startLoggedGateway, type LoggedGateway } from "./support.js";

const PROVIDER_KEY = "sk-up-CANARYprovider0123456789abcdef";
const BAD_KEY = "sb-live-CANARYbadkey0123456789abcdefgh"; // the shape of a key: 32 base62 after the prefix
const HEADER_SECRET = "CANARYheaderSecret0123";

let fake: FakeOpenAI;
let gw: LoggedGateway;
let key: { key: string; id: string };

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startLoggedGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: PROVIDER_KEY, headers: { "x-org-secret": HEADER_SECRET } } },
    pricing: { "up:gpt-4o": { input: 1, output: 2 } },
  });
  const created = await gw.call("POST", "/v1/keys", { key_name: "log-test" });
  expect(created.status).toBe(201);
  key = { key: created.body.key, id: created.body.id };
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gw.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "hello" }], ...body }, { authorization: `Bearer ${key.key}`, ...headers });

function lineOf(requestId: string | null): Record<string, any> {
  const found = gw.access().filter((l) => l.request_id === requestId);
  expect(found).toHaveLength(1);
  return found[0];
}

describe("access lines", () => {
  it("one per answered request: ids, key, model, provider, status, tokens, cost, timings", async () => {
    fake.enqueue({ text: "hi there", usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 } });
    const res = await chat({});
    expect(res.status).toBe(200);
    const line = lineOf(res.headers.get("x-switchboard-request-id"));
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      endpoint: "chat",
      key_id: key.id,
      model: "up:gpt-4o",
      provider: "up",
      upstream_model: "gpt-4o",
      status: 200,
      error_code: null,
      attempts: 1,
      prompt_tokens: 10,
      completion_tokens: 4,
      cost_usd: "0.000018",
      ttft_ms: null,
    });
    expect(line.total_ms).toBeGreaterThan(0);
    expect(line.overhead_ms).toBeGreaterThanOrEqual(0);
    expect(line.overhead_ms).toBeLessThanOrEqual(line.total_ms);
    expect(typeof line.time).toBe("string");
  });

  it("a stream's line has its time to first token", async () => {
    fake.enqueue({ text: "streamed words here", chunks: 3, usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
    const res = await chat({ stream: true });
    expect(res.status).toBe(200);
    const line = lineOf(res.headers.get("x-switchboard-request-id"));
    expect(line).toMatchObject({ status: 200, prompt_tokens: 5, completion_tokens: 3 });
    expect(line.ttft_ms).toBeGreaterThan(0);
    expect(line.ttft_ms).toBeLessThanOrEqual(line.total_ms);
  });

  it("an upstream error that echoes the provider's key: the line has the status and code, never the key", async () => {
    fake.enqueue({ status: 401, error: { message: `Incorrect API key provided: ${PROVIDER_KEY}. Header ${HEADER_SECRET}`, type: "invalid_request_error", code: "invalid_api_key" } });
    const res = await chat({});
    expect(res.status).toBeGreaterThanOrEqual(400);
    const line = lineOf(res.headers.get("x-switchboard-request-id"));
    expect(line.status).toBe(res.status);
    expect(line.error_code).toBe(res.body.error.code);
    expect(line.attempts).toBe(1);
  });

  it("a refused request (bad key, in either header) has its line, without the key", async () => {
    const variants: Array<Record<string, string>> = [{ authorization: `Bearer ${BAD_KEY}` }, { authorization: "", "x-api-key": BAD_KEY }];
    for (const headers of variants) {
      const res = await chat({}, headers);
      expect(res.status).toBe(401);
      const line = lineOf(res.headers.get("x-switchboard-request-id"));
      expect(line).toMatchObject({ status: 401, error_code: "invalid_api_key", key_id: null, attempts: 0, cost_usd: "0" });
    }
  });

  it("no secret reaches the log on any of these paths", () => {
    const all = gw.lines.join("\n");
    expect(all).not.toContain("CANARY");
    expect(all).not.toContain(key.key);
    expect(all).not.toContain(gw.masterKey);
    expect(gw.access().length).toBeGreaterThanOrEqual(5);
  });
});

describe("logging.level", () => {
  it("warn: no access lines", async () => {
    const quiet = await startLoggedGateway({ logging: { level: "warn" }, providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-x" } } });
    try {
      fake.enqueue({ text: "ok" });
      const res = await quiet.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] });
      expect(res.status).toBe(200);
      await quiet.usage.flush();
      expect(quiet.access()).toEqual([]);
    } finally {
      await quiet.stop();
    }
  });
});

/**
 * Requests refused before any upstream call (401, 403, 429, 402) are logged: a row in `/v1/logs`
 * with the status, the error code and the key when known, 0 attempts and no cost; `/v1/usage`
 * does not count them. A flood is sampled: at most so many rows and lines per second, the rest
 * counted and reported in one warning line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RefusalSampler } from "../../src/usage/refusals.js";
import { countUsage } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startLoggedGateway, type LoggedGateway } from "./support.js";

let fake: FakeOpenAI;
let gw: LoggedGateway;

const chat = (key: string, model = "up:gpt-4o") =>
  gw.call("POST", "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] }, { authorization: `Bearer ${key}`, "x-switchboard-tags": "refusal-test" });

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setDefault({ text: "ok" });
  gw = await startLoggedGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-x" } }, pricing: { "up:gpt-4o": { input: 1, output: 1 } } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

async function logOf(requestId: string | null) {
  await gw.usage.flush();
  const r = await gw.call("GET", `/v1/logs/${requestId}`);
  expect(r.status).toBe(200);
  const list = await gw.call("GET", "/v1/logs?status=4xx&limit=200");
  return { receipt: r.body, listed: list.body.data.find((d: any) => d.request_id === requestId) };
}

describe("refused requests in the logs", () => {
  it("401 (bad key): status, code, no key, 0 attempts, no cost", async () => {
    const res = await chat("sb-live-00000000000000000000000000000000");
    expect(res.status).toBe(401);
    const { receipt, listed } = await logOf(res.headers.get("x-switchboard-request-id"));
    expect(listed).toMatchObject({ status: 401, error_code: "invalid_api_key", attempts: 0, cost_usd: "0", key_id: null, prompt_tokens: 0 });
    expect(receipt).toMatchObject({ status: 401, error_code: "invalid_api_key", attempts: [], refused: { error_message: "invalid API key" } });
  });

  it("403 (model not allowed) and 429 (rate limit): with the key id and the model asked for", async () => {
    const k = (await gw.call("POST", "/v1/keys", { allowed_models: ["up:gpt-4o"], rpm_limit: 1 })).body;
    const denied = await chat(k.key, "up:gpt-4o-mini");
    expect(denied.status).toBe(403);
    const d = await logOf(denied.headers.get("x-switchboard-request-id"));
    expect(d.listed).toMatchObject({ status: 403, key_id: k.id, requested_model: "up:gpt-4o-mini", attempts: 0, cost_usd: "0" });
    expect(d.receipt.tags).toEqual(["refusal-test"]);

    expect((await chat(k.key)).status).toBe(200);
    const limited = await chat(k.key);
    expect(limited.status).toBe(429);
    const l = await logOf(limited.headers.get("x-switchboard-request-id"));
    expect(l.listed).toMatchObject({ status: 429, key_id: k.id, attempts: 0, cost_usd: "0" });
    expect(l.receipt.error_code).toBe(limited.body.error.code);
  });

  it("/v1/usage counts none of them", async () => {
    const r = await gw.call("GET", "/v1/usage?tag=refusal-test");
    expect(r.body.data[0]).toMatchObject({ requests: 1, attempts: 1, errors: 0 });
  });

  it("a flood of bad keys: every refusal either logged (row and line) or counted", async () => {
    await gw.usage.flush();
    const rowsBefore = await countUsage(gw.store.db);
    const stats = { ...gw.runtime.refusals.stats };
    const linesBefore = gw.access().length;
    const n = 300;
    for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: 50 }, () => chat("sb-live-11111111111111111111111111111111")));
    await gw.usage.flush();
    const logged = gw.runtime.refusals.stats.logged - stats.logged;
    const suppressed = gw.runtime.refusals.stats.suppressed - stats.suppressed;
    expect(logged + suppressed).toBe(n);
    expect((await countUsage(gw.store.db)) - rowsBefore).toBe(logged);
    expect(gw.access().length - linesBefore).toBe(logged);
    if (suppressed > 0) {
      gw.runtime.refusals.flush();
      const warn = gw.lines.filter((l) => l.includes("refused requests:")).map((l) => JSON.parse(l));
      expect(warn.at(-1)).toMatchObject({ level: "warn", refused: { invalid_api_key: expect.any(Number) } });
    }
  });
});

describe("RefusalSampler", () => {
  it("logs up to the bound per second, counts the rest, and reports them by code", () => {
    let now = 1_000_000;
    const reports: Array<[Record<string, number>, number]> = [];
    const s = new RefusalSampler(
      (counts, total) => reports.push([Object.fromEntries(counts), total]),
      3,
      () => now,
    );
    const admitted = Array.from({ length: 5 }, (_, i) => s.admit(i < 4 ? "invalid_api_key" : "rate_limited"));
    expect(admitted).toEqual([true, true, true, false, false]);
    now += 1000; // the next second
    expect(s.admit("invalid_api_key")).toBe(true);
    s.flush();
    expect(reports).toEqual([[{ invalid_api_key: 1, rate_limited: 1 }, 2]]);
    expect(s.stats).toEqual({ logged: 4, suppressed: 2 });
    s.flush();
    expect(reports).toHaveLength(1);
  });
});

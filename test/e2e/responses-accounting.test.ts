/**
 * POST /v1/responses pays and counts exactly as chat completions: the ledger row (endpoint
 * `responses`) at the cost of the same exchange on /v1/chat/completions, a budget that refuses
 * (402), a stream the upstream cuts mid-way (the SDK raises the API's error event; the attempt
 * is recorded as failed) and a client that leaves mid-stream (499; its limits released).
 */
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listUsageByRequest } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;

const MODEL = "up:gpt-4o";

async function newKey(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await gw.admin("POST", "/v1/keys", { key_name: "responses-accounting", ...fields });
  expect(res.status).toBe(201);
  return res.body.key as string;
}

const sdk = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });

async function ledger(requestId: string) {
  await gw.usage.flush();
  return listUsageByRequest(gw.store.db, requestId);
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("the ledger and the budgets, as on chat completions", () => {
  it("records endpoint responses at the same usage and cost as the same exchange on /v1/chat/completions, shown by /v1/logs", async () => {
    const key = await newKey();
    const usage = { prompt_tokens: 1000, completion_tokens: 200, prompt_tokens_details: { cached_tokens: 0 } };
    fake.enqueue({ text: "same", usage });
    const viaResponses = await sdk(key).responses.create({ model: MODEL, input: "price me", max_output_tokens: 300 }).withResponse();
    fake.enqueue({ text: "same", usage });
    const viaChat = await gw.post("/v1/chat/completions", { model: MODEL, max_completion_tokens: 300, messages: [{ role: "user", content: "price me" }] }, { authorization: `Bearer ${key}` });
    expect(viaChat.status).toBe(200);
    expect(viaResponses.response.headers.get("x-switchboard-cost-usd")).toBe(viaChat.headers.get("x-switchboard-cost-usd"));
    await gw.usage.flush();
    const r = (await gw.admin("GET", `/v1/logs/${viaResponses.response.headers.get("x-switchboard-request-id")}`)).body;
    const c = (await gw.admin("GET", `/v1/logs/${viaChat.headers.get("x-switchboard-request-id")}`)).body;
    expect(r.endpoint).toBe("responses");
    expect(c.endpoint).toBe("chat");
    expect(r.attempts[0]).toMatchObject({ status: 200, prompt_tokens: 1000, completion_tokens: 200 });
    // gpt-4o: $2.50 / $10 per million → 0.0025 + 0.002
    expect(r.cost.total_usd).toBe("0.0045");
    expect(r.cost).toEqual(c.cost);
    const list = (await gw.admin("GET", "/v1/logs?limit=10")).body;
    expect(list.data.map((d: any) => d.endpoint)).toContain("responses");
  });

  it("a stream records the usage the provider reported", async () => {
    const key = await newKey();
    fake.enqueue({ text: "a b c", chunks: 3, usage: { prompt_tokens: 40, completion_tokens: 3 } });
    const { data: stream, response } = await sdk(key).responses.create({ model: MODEL, input: "x", stream: true }).withResponse();
    for await (const _ of stream) void _;
    const rows = await ledger(response.headers.get("x-switchboard-request-id")!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "responses", status: 200, promptTokens: 40, completionTokens: 3, streamed: true });
  });

  it("the master key acting for a user: the row is the user's, and a blocked user is refused before any upstream call", async () => {
    expect((await gw.admin("POST", "/v1/users", { user_id: "resp-alice" })).status).toBe(201);
    expect((await gw.admin("POST", "/v1/users", { user_id: "resp-bob", blocked: true })).status).toBe(201);
    fake.enqueue({ text: "for alice" });
    const { response } = await gw.client.responses.create({ model: MODEL, input: "x", user: "resp-alice" }).withResponse();
    const rows = await ledger(response.headers.get("x-switchboard-request-id")!);
    expect(rows[0]).toMatchObject({ endpoint: "responses", userId: "resp-alice" });
    const err = await gw.client.responses.create({ model: MODEL, input: "x", user: "resp-bob" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    expect(fake.calls).toHaveLength(1);
  });

  it("an exhausted budget is 402 before any upstream call, in OpenAI's envelope", async () => {
    await gw.admin("POST", "/v1/pricing", { model: "up:gpt-4o-mini", input_price_per_million: 1, output_price_per_million: 1 });
    expect((await gw.admin("POST", "/v1/budgets", { budget_id: "responses-cap", max_budget: 0.0001, budget_duration: "1d" })).status).toBe(201);
    const capped = sdk(await newKey({ budget_id: "responses-cap" }));
    fake.setDefault({ text: "ok", usage: { prompt_tokens: 100, completion_tokens: 100 } });
    await capped.responses.create({ model: "up:gpt-4o-mini", input: "x", max_output_tokens: 20 });
    const err = await capped.responses.create({ model: "up:gpt-4o-mini", input: "x", max_output_tokens: 20 }).catch((e: unknown) => e);
    fake.setDefault({});
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: "insufficient_quota", code: "budget_exceeded" });
    expect(fake.calls).toHaveLength(1);
  });
});

describe("a stream that fails after it began", () => {
  it("the upstream cut: response.failed, then the error event the SDK raises; the attempt recorded as failed; nothing stored", async () => {
    const key = await newKey();
    fake.enqueue({ text: "a b c d e f", chunks: 6, cutAfterChunks: 3 });
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, input: "x", stream: true }),
    });
    expect(res.status).toBe(200);
    const events = [...(await res.text()).matchAll(/^event: (.+)\ndata: (.+)$/gm)].map((m) => ({ name: m[1], data: JSON.parse(m[2]) }));
    expect(events.map((e) => e.name).slice(-2)).toEqual(["response.failed", "error"]);
    expect(events.every((e) => e.name === e.data.type)).toBe(true);
    const failed = events.at(-2)!.data;
    expect(failed.response).toMatchObject({ status: "failed", error: { code: "server_error" } });
    const error = events.at(-1)!.data;
    const recorded = JSON.parse(readFileSync(new URL("../fixtures/openai-responses/error-event.json", import.meta.url), "utf8"));
    expect(Object.keys(error).sort()).toEqual(Object.keys(recorded).sort());
    expect(Object.keys(error.error).sort()).toEqual(Object.keys(recorded.error).sort());
    expect(error).toMatchObject({ code: "upstream_error", error: { type: "api_error", code: "upstream_error" } });
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const rows = await ledger(res.headers.get("x-switchboard-request-id")!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "responses", status: 502 });
    const id = failed.response.id as string;
    expect((await fetch(`${gw.url}/v1/responses/${id}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(404);

    fake.enqueue({ text: "a b c d e f", chunks: 6, cutAfterChunks: 3 });
    const stream = await sdk(key).responses.create({ model: MODEL, input: "x", stream: true });
    const consumed = (async () => {
      for await (const _ of stream) void _;
    })();
    await expect(consumed).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(consumed).rejects.toMatchObject({ code: "upstream_error", type: "api_error" });
  });

  it("a client that leaves mid-stream: 499 in the ledger, the upstream call aborted, its concurrency slot given back", async () => {
    const key = await newKey({ max_parallel: 1 });
    fake.enqueue({ text: "w1 w2 w3 w4 w5 w6 w7 w8", chunks: 8, chunkDelayMs: 150 });
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, input: "x", stream: true }),
      signal: controller.signal,
    });
    await res.body!.getReader().read();
    controller.abort();
    await expect.poll(() => fake.calls[0]?.aborted, { timeout: 5000 }).toBe(true);
    const id = res.headers.get("x-switchboard-request-id")!;
    await expect.poll(async () => (await ledger(id)).length, { timeout: 5000 }).toBe(1);
    expect((await ledger(id))[0]).toMatchObject({ endpoint: "responses", status: 499 });
    fake.enqueue({ text: "next" });
    await expect.poll(async () => (await gw.post("/v1/responses", { model: MODEL, input: "x" }, { authorization: `Bearer ${key}` })).status, { timeout: 5000 }).toBe(200);
  });
});

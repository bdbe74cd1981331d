/** Embeddings, models, health and readiness, and the mock provider, through real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-key-0000000000" } },
    models: [{ name: "fast", deployments: [{ model: "up:gpt-4o-mini" }] }],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

describe("embeddings", () => {
  it("returns vectors from the upstream through the SDK", async () => {
    fake.enqueue({ path: "/v1/embeddings", vectors: [[0.1, 0.2, 0.3]] });
    const r = await gw.client.embeddings.create({ model: "up:text-embedding-3-small", input: ["a", "b"], encoding_format: "float" });
    expect(r.data).toHaveLength(2);
    expect(r.data[0].embedding).toEqual([0.1, 0.2, 0.3]);
    expect(fake.calls.at(-1)!.body).toMatchObject({ model: "text-embedding-3-small", input: ["a", "b"] });
  });
  it("works on the mock provider, deterministically", async () => {
    const a = await gw.client.embeddings.create({ model: "mock:mock-embedding-1", input: "same text", encoding_format: "float" });
    const b = await gw.client.embeddings.create({ model: "mock:mock-embedding-1", input: "same text", encoding_format: "float" });
    expect(a.data[0].embedding).toEqual(b.data[0].embedding);
    expect(a.data[0].embedding).toHaveLength(64);
  });
  it("400 on a bad input", async () => {
    const res = await gw.post("/v1/embeddings", { model: "mock:mock-embedding-1", input: 42 });
    expect(res.status).toBe(400);
  });
});

describe("models", () => {
  it("lists aliases and each configured provider's catalog models", async () => {
    const list = await gw.client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain("fast");
    expect(ids).toContain("mock:mock-1");
    expect(ids).not.toContain("openai:gpt-4o");
    const raw = (await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.masterKey}` } })).json()) as any;
    expect(raw).toMatchObject({ object: "list", next_cursor: null });
  });
  it("retrieves one model by provider:model or provider/model, 404 otherwise", async () => {
    expect((await gw.client.models.retrieve("mock:mock-1")).id).toBe("mock:mock-1");
    const slash = await fetch(`${gw.url}/v1/models/mock/mock-1`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
    expect(((await slash.json()) as any).id).toBe("mock:mock-1");
    await expect(gw.client.models.retrieve("nosuch:model")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
  it("requires a key", async () => {
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(401);
  });
});

describe("probes", () => {
  it("healthz and readyz answer without a key", async () => {
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", checks: { database: { status: "ok" } } });
  });
});

describe("mock provider", () => {
  it("answers deterministically, streams, and calls tools", async () => {
    const a = await gw.client.chat.completions.create({ model: "mock:mock-1", messages: [{ role: "user", content: "Ping" }] });
    expect(a.choices[0].message.content).toBe("This is a mock response to: Ping");
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens);
    const stream = await gw.client.chat.completions.create({ model: "mock:mock-1", messages: [{ role: "user", content: "Ping" }], stream: true });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe(a.choices[0].message.content);
    const t = await gw.client.chat.completions.create({
      model: "mock:mock-1",
      messages: [{ role: "user", content: "weather?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }],
    });
    const call = t.choices[0].message.tool_calls![0];
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "mock" });
    expect(t.choices[0].finish_reason).toBe("tool_calls");
  });
  it("simulates upstream errors by model name", async () => {
    const res = await gw.post("/v1/chat/completions", { model: "mock:error-503", messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(502);
    expect(res.headers.get("x-switchboard-attempts")).toBe("3");
  });
});

/**
 * /v1/models with prices and capabilities, through the real HTTP gateway: each model shows the
 * price the gateway bills it at and where that price was set (POST /v1/pricing → api, `pricing:`
 * → config, the built-in catalog → catalog), null when no price applies, and what the capability
 * catalog knows of it; aliases name their deployments.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCatalogModel } from "../../src/catalog/models.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

interface ModelJson {
  id: string;
  object: string;
  created: number;
  owned_by: string;
  context_window?: number;
  max_output_tokens?: number;
  pricing?: { input: number; output: number; cached_input?: number; source: string } | null;
  capabilities?: { tools: boolean; vision: boolean; json_mode: boolean; reasoning: boolean } | null;
  deployments?: string[];
}

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setDefault({
    path: "/v1/models",
    body: {
      object: "list",
      data: [
        { id: "llama3", object: "model", created: 1730000000, owned_by: "vllm" },
        { id: "qwen3", object: "model" },
      ],
    },
  });
  gw = await startTestGateway({
    providers: { mock: { type: "mock" }, up: { type: "openai", api_key: "sk-up-000000" }, local: { type: "vllm", base_url: fake.url } },
    pricing: { "up:gpt-4o": { input: 2, output: 9 }, "local:llama3": { input: 0.1, output: 0.2, cached_input: 0.05 } },
    models: [{ name: "fast", deployments: ["up:gpt-4o-mini", "local:llama3"] }],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

async function get(path: string): Promise<{ status: number; body: { data: ModelJson[] } & ModelJson }> {
  const res = await fetch(gw.url + path, { headers: { authorization: `Bearer ${gw.masterKey}` } });
  return { status: res.status, body: (await res.json()) as { data: ModelJson[] } & ModelJson };
}

async function listed(id: string): Promise<ModelJson | undefined> {
  return (await get("/v1/models")).body.data.find((m) => m.id === id);
}

describe("GET /v1/models: prices", () => {
  it("a catalog price, with its cached-input price, marked catalog", async () => {
    const catalog = findCatalogModel("openai", "gpt-4o-mini")!.price!;
    expect(catalog.cachedInput).toBeDefined();
    expect((await listed("up:gpt-4o-mini"))?.pricing).toEqual({ input: catalog.input, output: catalog.output, cached_input: catalog.cachedInput, source: "catalog" });
  });

  it("a price under `pricing:` wins over the catalog, marked config", async () => {
    expect((await listed("up:gpt-4o"))?.pricing).toEqual({ input: 2, output: 9, source: "config" });
    // A server-listed model the catalog does not know, priced in the config.
    expect((await listed("local:llama3"))?.pricing).toEqual({ input: 0.1, output: 0.2, cached_input: 0.05, source: "config" });
  });

  it("a price set with POST /v1/pricing shows up at once, marked api, in the list and on retrieval", async () => {
    const res = await fetch(`${gw.url}/v1/pricing`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock:mock-1", input_price_per_million: 7, output_price_per_million: "11.5" }),
    });
    expect(res.status).toBe(201);
    await expect.poll(async () => (await listed("mock:mock-1"))?.pricing).toEqual({ input: 7, output: 11.5, source: "api" });
    expect((await get("/v1/models/mock:mock-1")).body.pricing).toEqual({ input: 7, output: 11.5, source: "api" });
    // The API price wins over a config price too.
    await fetch(`${gw.url}/v1/pricing`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "up/gpt-4o", input_price_per_million: 3, output_price_per_million: 4, cached_input_price_per_million: 1 }),
    });
    await expect.poll(async () => (await get("/v1/models/up:gpt-4o")).body.pricing).toEqual({ input: 3, output: 4, cached_input: 1, source: "api" });
  });

  it("a model with no price anywhere has pricing null", async () => {
    expect((await listed("local:qwen3"))?.pricing).toBeNull();
    const unknown = await get("/v1/models/mock:no-such-model");
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ id: "mock:no-such-model", object: "model", owned_by: "mock", pricing: null, capabilities: null });
  });
});

describe("GET /v1/models: capabilities and limits", () => {
  it("the capability catalog's answer, with the catalog's context window and output limit", async () => {
    const m = await listed("up:gpt-4o-mini");
    expect(m?.capabilities).toEqual({ tools: true, vision: true, json_mode: true, reasoning: false });
    expect(m?.context_window).toBe(findCatalogModel("openai", "gpt-4o-mini")!.contextWindow);
    expect(m?.max_output_tokens).toBe(findCatalogModel("openai", "gpt-4o-mini")!.maxOutputTokens);
    expect((await listed("up:o3"))?.capabilities).toEqual({ tools: true, vision: true, json_mode: true, reasoning: true });
  });

  it("null when the model is not known to the capability catalog", async () => {
    expect((await listed("local:llama3"))?.capabilities).toBeNull();
    expect((await listed("mock:mock-embedding-1"))?.capabilities).toBeNull();
  });

  it("retrieving a model agrees with the list", async () => {
    const one = (await get("/v1/models/up/gpt-4o-mini")).body;
    expect(one).toEqual(await listed("up:gpt-4o-mini"));
  });
});

describe("aliases", () => {
  it("name their deployments and carry no price of their own", async () => {
    const alias = await listed("fast");
    expect(alias).toEqual({ id: "fast", object: "model", created: expect.any(Number), owned_by: "switchboard", deployments: ["up:gpt-4o-mini", "local:llama3"] });
  });
});

describe("through the openai SDK", () => {
  it("models.list() and models.retrieve() keep the OpenAI fields and pass the details through", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
    const one = (await client.models.retrieve("up:gpt-4o")) as OpenAI.Models.Model & { pricing?: unknown };
    expect(one).toMatchObject({ id: "up:gpt-4o", object: "model", owned_by: "up", created: expect.any(Number) });
    expect(one.pricing).toMatchObject({ source: expect.stringMatching(/^(config|api)$/) });
  });
});

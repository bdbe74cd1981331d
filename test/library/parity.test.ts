/**
 * The library's calling conventions, through its public API against fake upstreams: the provider
 * given apart from the model, typed errors for bare and unknown model names, `listModels` asking
 * each provider's own models endpoint (and the catalog when it cannot), and plain functions as tools.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { catalogModels } from "../../src/catalog/models.js";
import {
  completion,
  createProvider,
  embedding,
  InvalidRequestError,
  listModels,
  ModelNotFoundError,
  ProviderError,
  SwitchboardError,
  tool,
  UnsupportedProviderError,
  type ModelInfo,
} from "../../src/sdk/index.js";
import { normaliseTools, runTool } from "../../src/sdk/tools.js";
import type { RecordedUpstreamCall } from "../conformance/types.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { sendJson, startFakeServer, type FakeServer } from "../support/fake-server.js";

const messages = [{ role: "user" as const, content: "Hi" }];
const KEY = "sk-test-0000000000";

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

let openai: FakeOpenAI;
beforeAll(async () => {
  openai = await startFakeOpenAI();
});
afterAll(async () => openai?.close());
beforeEach(() => openai.reset());

describe("the provider given apart from the model", () => {
  const at = { baseUrl: "", apiKey: KEY };
  beforeEach(() => {
    at.baseUrl = openai.url;
  });

  it("provider: 'openai' with the provider's own model name, and 'openai:…' alone, send the same model", async () => {
    await completion({ provider: "openai", model: "gpt-4o-mini", messages, ...at });
    await completion({ model: "openai:gpt-4o-mini", messages, ...at });
    await completion({ provider: "openai", model: "openai/gpt-4o-mini", messages, ...at });
    expect(openai.calls.map((c) => (c.body as { model: string }).model)).toEqual(["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini"]);
    expect(openai.calls[0].headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("a model named with another provider is an InvalidRequestError naming both, before any call", async () => {
    const e = await caught(() => completion({ provider: "openai", model: "anthropic:claude-sonnet-4-5", messages, ...at }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toBeInstanceOf(SwitchboardError);
    expect(e).toMatchObject({ param: "provider", message: "model 'anthropic:claude-sonnet-4-5' names provider 'anthropic' but provider is 'openai': give one of them, or both alike" });
    expect(openai.calls).toHaveLength(0);
  });

  it("names of the provider's own that contain ':' or '/' are sent as written", async () => {
    await completion({ provider: "openai", model: "qwen2.5:7b", messages, ...at });
    await completion({ provider: "openai", model: "meta-llama/Llama-3.3-70B-Instruct", messages, ...at });
    expect(openai.calls.map((c) => (c.body as { model: string }).model)).toEqual(["qwen2.5:7b", "meta-llama/Llama-3.3-70B-Instruct"]);
  });

  it("embeddings and streams take it too", async () => {
    await embedding({ provider: "openai", model: "text-embedding-3-small", input: "x", ...at });
    const stream = await completion({ provider: "openai", model: "gpt-4o-mini", messages, stream: true, ...at });
    for await (const chunk of stream) void chunk;
    expect(openai.calls.map((c) => [c.path, (c.body as { model: string }).model])).toEqual([
      ["/v1/embeddings", "text-embedding-3-small"],
      ["/v1/chat/completions", "gpt-4o-mini"],
    ]);
  });

  it("settings for the provider the model names still go in provider: { … }", async () => {
    await completion({ model: "local:llama", messages, provider: { type: "openai", baseUrl: openai.url, apiKey: KEY } });
    expect((openai.calls[0].body as { model: string }).model).toBe("llama");
  });

  it("a provider that is neither a name nor settings is an InvalidRequestError", async () => {
    const e = await caught(() => completion({ provider: 42 as unknown as string, model: "gpt-4o-mini", messages }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({ param: "provider" });
  });
});

describe("bare and unknown model names raise the library's typed errors", () => {
  it("a bare name the catalog knows: an InvalidRequestError that says how to name it", async () => {
    const e = await caught(() => completion({ model: "gpt-4o-mini", messages }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toBeInstanceOf(SwitchboardError);
    expect(e).not.toBeInstanceOf(GatewayError);
    expect((e as Error).message).toBe(
      "model 'gpt-4o-mini' must name its provider: 'provider:model' (e.g. 'openai:gpt-4o-mini'), or pass provider; the catalog knows 'gpt-4o-mini' as 'openai:gpt-4o-mini'",
    );
  });

  it("a bare name nobody knows: the same error, without suggestions", async () => {
    const e = await caught(() => completion({ model: "no-such-model-anywhere", messages }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect((e as Error).message).toBe("model 'no-such-model-anywhere' must name its provider: 'provider:model' (e.g. 'openai:gpt-4o-mini'), or pass provider");
  });

  it("an unknown provider, by prefix or by name: UnsupportedProviderError", async () => {
    for (const run of [() => completion({ model: "nosuch:gpt-4o", messages }), () => completion({ provider: "nosuch", model: "gpt-4o", messages })]) {
      const e = await caught(run);
      expect(e).toBeInstanceOf(UnsupportedProviderError);
      expect((e as UnsupportedProviderError).provider).toBe("nosuch");
    }
  });

  it("a model the provider does not know: ModelNotFoundError, a ProviderError with status 404", async () => {
    openai.enqueue({ status: 404, error: { message: "The model `gpt-99` does not exist or you do not have access to it." } });
    const e = await caught(() => completion({ provider: "openai", model: "gpt-99", messages, baseUrl: openai.url, apiKey: KEY }));
    expect(e).toBeInstanceOf(ModelNotFoundError);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toBeInstanceOf(SwitchboardError);
    expect(e).toMatchObject({ name: "ModelNotFoundError", status: 404, code: "model_not_found", retryable: false });
    expect((e as Error).message).toContain("The model `gpt-99` does not exist");
  });
});

/** A fake of another provider's models endpoint: answers `body` on GET `path`, recording calls. */
async function fakeModels(path: string, body: unknown): Promise<FakeServer<object>> {
  return startFakeServer<object>({
    handle(call: RecordedUpstreamCall, res: ServerResponse) {
      if (call.method === "GET" && call.path === path) return sendJson(res, 200, body);
      sendJson(res, 404, { error: { message: `no route ${call.path}` } });
    },
  });
}

const ids = (models: ModelInfo[]) => models.map((m) => m.id);

describe("listModels asks the provider's own models endpoint", () => {
  it("an OpenAI-compatible server: GET {baseUrl}/models with the key; known models keep the catalog's details", async () => {
    openai.setDefault({
      path: "/v1/models",
      body: {
        object: "list",
        data: [
          { id: "gpt-4o", object: "model", created: 1 },
          { id: "served-here", object: "model", max_model_len: 32768 },
        ],
      },
    });
    const models = await listModels("openai", { baseUrl: openai.url, apiKey: KEY });
    const gpt4o = catalogModels("openai").find((m) => m.id === "gpt-4o")!;
    expect(models).toEqual([
      { id: "openai:gpt-4o", provider: "openai", mode: "chat", contextWindow: gpt4o.contextWindow, maxOutputTokens: gpt4o.maxOutputTokens, source: "provider" },
      { id: "openai:served-here", provider: "openai", contextWindow: 32768, source: "provider" },
    ]);
    const call = openai.calls.find((c) => c.method === "GET")!;
    expect(call.path).toBe("/v1/models");
    expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("Anthropic: GET /v1/models with x-api-key and anthropic-version; its limits and dates", async () => {
    const server = await fakeModels("/v1/models?limit=1000", {
      data: [
        { type: "model", id: "claude-sonnet-4-5", display_name: "Claude Sonnet 4.5", created_at: "2025-09-29T00:00:00Z", max_input_tokens: 200000, max_tokens: 64000 },
        { type: "model", id: "claude-new-one", display_name: "New", created_at: "2026-11-01T00:00:00Z" },
      ],
      has_more: false,
    });
    try {
      const models = await listModels("anthropic", { baseUrl: server.url, apiKey: KEY });
      expect(models).toEqual([
        { id: "anthropic:claude-sonnet-4-5", provider: "anthropic", mode: "chat", contextWindow: 200000, maxOutputTokens: 64000, source: "provider" },
        { id: "anthropic:claude-new-one", provider: "anthropic", mode: "chat", source: "provider" },
      ]);
      expect(server.calls[0].headers["x-api-key"]).toBe(KEY);
      expect(server.calls[0].headers["anthropic-version"]).toBe("2023-06-01");
    } finally {
      await server.close();
    }
  });

  it("Gemini: GET /v1beta/models with x-goog-api-key; chat and embedding models told apart", async () => {
    const server = await fakeModels("/v1beta/models?pageSize=1000", {
      models: [
        { name: "models/gemini-2.5-pro", inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ["generateContent", "countTokens"] },
        { name: "models/text-embedding-004", inputTokenLimit: 2048, outputTokenLimit: 1, supportedGenerationMethods: ["embedContent"] },
      ],
    });
    try {
      const models = await listModels("gemini", { baseUrl: server.url, apiKey: KEY });
      expect(models).toEqual([
        { id: "gemini:gemini-2.5-pro", provider: "gemini", mode: "chat", contextWindow: 1048576, maxOutputTokens: 65536, source: "provider" },
        { id: "gemini:text-embedding-004", provider: "gemini", mode: "embedding", contextWindow: 2048, maxOutputTokens: 1, source: "provider" },
      ]);
      expect(server.calls[0].headers["x-goog-api-key"]).toBe(KEY);
    } finally {
      await server.close();
    }
  });

  it("a bound provider lists under its own name", async () => {
    openai.setDefault({ path: "/v1/models", body: { object: "list", data: [{ id: "llama3" }] } });
    const local = createProvider("local", { type: "openai", baseUrl: openai.url, apiKey: KEY });
    expect(await local.listModels()).toEqual([{ id: "local:llama3", provider: "local", source: "provider" }]);
  });
});

describe("listModels falls back to the catalog, marked, and says why", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("when the endpoint answers an error", async () => {
    openai.setDefault({ path: "/v1/models", status: 500, error: { message: "registry down" } });
    const warnings: string[] = [];
    const models = await listModels("openai", { baseUrl: openai.url, apiKey: KEY, onWarning: (w) => warnings.push(w) });
    expect(ids(models)).toEqual(catalogModels("openai").map((m) => `openai:${m.id}`));
    expect(models.every((m) => m.source === "catalog")).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^provider 'openai': could not list its models \(.*registry down.*\); its catalog's models are listed instead$/);
  });

  it("when the endpoint does not answer within the timeouts given", async () => {
    openai.setDefault({ path: "/v1/models", silent: true });
    const warnings: string[] = [];
    const t0 = performance.now();
    const models = await listModels("openai", { baseUrl: openai.url, apiKey: KEY, timeouts: { totalMs: 300 }, onWarning: (w) => warnings.push(w) });
    // A correctness bound (the server never answers), not a timing figure.
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(models[0].source).toBe("catalog");
    expect(warnings[0]).toContain("could not list its models");
  });

  it("when there is no key to ask with", async () => {
    vi.stubEnv("MISTRAL_API_KEY", undefined);
    const warnings: string[] = [];
    const models = await listModels("mistral", { onWarning: (w) => warnings.push(w) });
    expect(ids(models)).toEqual(catalogModels("mistral").map((m) => `mistral:${m.id}`));
    expect(models.every((m) => m.source === "catalog")).toBe(true);
    expect(warnings[0]).toMatch(/^provider 'mistral': no API key for provider 'mistral'/);
  });

  it("for a provider without a models endpoint, without any call", async () => {
    expect(await listModels("mock")).toEqual(
      catalogModels("mock").map((m) => ({ id: `mock:${m.id}`, provider: "mock", mode: m.mode, contextWindow: m.contextWindow, maxOutputTokens: m.maxOutputTokens, source: "catalog" })),
    );
  });

  it("an unknown provider is still an UnsupportedProviderError", async () => {
    await expect(listModels("nosuch")).rejects.toBeInstanceOf(UnsupportedProviderError);
  });
});

/** A plain function documented with JSDoc: its parameters, their types and the description become the tool. */
function get_weather(city: string, unit = "celsius", days?: number) {
  /**
   * Current weather for a city.
   * @param {string} city The city's name
   * @param {"celsius" | "fahrenheit"} [unit] Temperature unit
   * @param {integer} [days] How many days
   *   of forecast
   */
  weatherCalls.push({ city, unit, days });
  return { city, unit, temperature: 21 };
}
const weatherCalls: Array<Record<string, unknown>> = [];

describe("plain functions as tools", () => {
  beforeEach(() => {
    weatherCalls.length = 0;
  });

  it("a JSDoc-documented function becomes a typed, described tool", () => {
    const { wire } = normaliseTools({ get_weather });
    expect(wire).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather for a city.",
          parameters: {
            type: "object",
            properties: {
              city: { type: "string", description: "The city's name" },
              unit: { type: "string", enum: ["celsius", "fahrenheit"], description: "Temperature unit" },
              days: { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: "How many days of forecast" },
            },
            required: ["city"],
            additionalProperties: false,
          },
        },
      },
    ]);
  });

  it("completion runs it with its arguments in order and answers with the result", async () => {
    const r = await completion({ model: "mock:mock-1", messages: [{ role: "user", content: "Weather?" }], tools: [get_weather] });
    expect(weatherCalls).toHaveLength(1);
    expect(weatherCalls[0]).toMatchObject({ city: expect.any(String), unit: "celsius" });
    expect(r.choices[0].message.content).toContain('"temperature":21');
  });

  it("a function taking one destructured object is called with the arguments object", async () => {
    const seen: unknown[] = [];
    const lookup = ({ sku, qty = 1 }: { sku: string; qty?: number }) => {
      /**
       * Stock for a product.
       * @param {object} args
       * @param {string} args.sku Product code
       * @param {number} [args.qty]
       */
      seen.push({ sku, qty });
      return "in stock";
    };
    const { wire } = normaliseTools({ lookup });
    expect(wire![0].function).toMatchObject({
      description: "Stock for a product.",
      parameters: { properties: { sku: { type: "string", description: "Product code" }, qty: { type: "number" } }, required: ["sku"] },
    });
    const r = await completion({ model: "mock:mock-1", messages: [{ role: "user", content: "Stock?" }], tools: { lookup } });
    expect(seen).toEqual([{ sku: expect.any(String), qty: expect.any(Number) }]);
    expect(r.choices[0].message.content).toContain("in stock");
  });

  it("arguments are validated against the JSDoc types before the function runs", async () => {
    const { executors } = normaliseTools({ get_weather });
    const out = await runTool(executors.get("get_weather")!, JSON.stringify({ city: 3 }));
    expect(JSON.parse(out)).toMatchObject({ error: expect.stringContaining("invalid arguments") });
    expect(weatherCalls).toHaveLength(0);
    expect(await runTool(executors.get("get_weather")!, JSON.stringify({ city: "Oslo", unit: "fahrenheit" }))).toBe('{"city":"Oslo","unit":"fahrenheit","temperature":21}');
    expect(weatherCalls).toEqual([{ city: "Oslo", unit: "fahrenheit", days: undefined }]);
  });

  it("a description over several lines is one paragraph; a blank line starts another", () => {
    function save_note(text: string) {
      /**
       * Saves a note
       * for later.
       *
       * Notes are private.
       * @param {string} text
       */
      return text;
    }
    expect(normaliseTools({ save_note }).wire![0].function.description).toBe("Saves a note for later.\n\nNotes are private.");
  });

  it("a function without JSDoc still works, its parameters accepting any value", () => {
    const add = (a: number, b: number) => a + b;
    const { wire } = normaliseTools([add]);
    expect(wire![0].function).toEqual({ name: "add", parameters: { type: "object", properties: { a: {}, b: {} }, required: ["a", "b"], additionalProperties: false } });
  });

  it("a zod schema's description describes the tool: tool(fn, schema) and tool({ parameters })", () => {
    const schema = z.object({ city: z.string() }).describe("Current weather for a city");
    const { wire } = normaliseTools({ by_fn: tool(({ city }: { city: string }) => city, schema), by_def: tool({ parameters: schema, execute: ({ city }) => city }) });
    expect(wire!.map((t) => t.function.description)).toEqual(["Current weather for a city", "Current weather for a city"]);
    expect(wire![0].function.parameters).toMatchObject({ properties: { city: { type: "string" } }, required: ["city"] });
  });

  it("OpenAI tool objects and functions mix in one array", () => {
    const search = { type: "function" as const, function: { name: "search", parameters: { type: "object", properties: {} } } };
    const { wire, executors } = normaliseTools([search, get_weather]);
    expect(wire!.map((t) => t.function.name)).toEqual(["search", "get_weather"]);
    expect([...executors.keys()]).toEqual(["get_weather"]);
  });

  it("a function without a usable name is an InvalidRequestError", async () => {
    const e = await caught(() => completion({ model: "mock:mock-1", messages, tools: [(x: string) => x] }));
    // An arrow function given inline has no name.
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({ param: "tools", message: expect.stringContaining("tool name ''") });
  });
});

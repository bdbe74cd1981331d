/** Azure OpenAI: URLs, api-version, deployments, auth, stream clean-up, errors, env detection — and the fake's strictness. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { apiKeyFromEnv, detectProviders } from "../../src/config/env.js";
import type { ProviderSettings } from "../../src/config/types.js";
import { GatewayError } from "../../src/core/errors.js";
import { azureOptions, azureWire, DEFAULT_API_VERSION } from "../../src/providers/azure/index.js";
import { chatRequest, embeddingsRequest, type AzureWireOptions } from "../../src/providers/azure/to-upstream.js";
import { providerDefinition } from "../../src/providers/registry.js";
import type { CallOptions, Provider, StreamState } from "../../src/providers/types.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";
import { RAW_JSON } from "../../src/wire/raw.js";
import { startFakeAzure, type FakeAzure } from "../support/fake-azure.js";

const timeouts = { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10000 };
const opts: CallOptions = { timeouts };
const deployments: AzureWireOptions = { mode: "deployments", apiVersion: DEFAULT_API_VERSION, deployments: { "gpt-4o": "prod-gpt4o" }, streamUsage: true };
const settings = (over: Partial<ProviderSettings> = {}): ProviderSettings => ({ id: "az", type: "azure", headers: {}, extra: {}, ...over });
const req = (r: Record<string, unknown> = {}) => ({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }], ...r }) as ChatRequest;

describe("azure request translation", () => {
  it("uses the deployments path with the api-version query and the mapped deployment name", () => {
    const up = chatRequest(req({ temperature: 0.2 }), false, deployments);
    expect(up.path).toBe("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21");
    expect(up.body).toEqual({ model: "prod-gpt4o", messages: [{ role: "user", content: "Hi" }], temperature: 0.2 });
  });

  it("uses the model name as the deployment when it is not mapped, URL-encoded", () => {
    expect(chatRequest(req({ model: "my deployment" }), false, deployments).path).toBe("/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21");
  });

  it("asks for usage in streams unless stream_usage is off", () => {
    expect((chatRequest(req(), true, deployments).body as ChatRequest).stream_options).toEqual({ include_usage: true });
    const off = chatRequest(req(), true, { ...deployments, streamUsage: false }).body as ChatRequest;
    expect(off.stream).toBe(true);
    expect(off.stream_options).toBeUndefined();
  });

  it("never sends stream fields on a non-stream call", () => {
    const body = chatRequest(req({ stream: true, stream_options: { include_usage: true } }), false, deployments).body as ChatRequest;
    expect(body.stream).toBeUndefined();
    expect(body.stream_options).toBeUndefined();
  });

  it("v1 mode uses OpenAI's paths, the deployment as model, and an api-version only when configured", () => {
    const v1: AzureWireOptions = { mode: "v1", deployments: { "gpt-4o": "prod-gpt4o" }, streamUsage: true };
    const up = chatRequest(req(), false, v1);
    expect(up.path).toBe("/chat/completions");
    expect((up.body as ChatRequest).model).toBe("prod-gpt4o");
    expect(embeddingsRequest({ model: "emb", input: "x" }, { ...v1, apiVersion: "preview" }).path).toBe("/embeddings?api-version=preview");
  });

  it("embeddings go to the deployment's embeddings path", () => {
    const up = embeddingsRequest({ model: "text-embedding-3-small", input: ["a"] }, deployments);
    expect(up.path).toBe("/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21");
    expect(up.body).toEqual({ model: "text-embedding-3-small", input: ["a"] });
  });
});

describe("azure settings", () => {
  it("sends the key as api-key, or an Entra ID token as a bearer token", () => {
    expect(azureOptions(settings({ baseUrl: "https://r.openai.azure.com", apiKey: "k1" })).headers).toEqual({ "api-key": "k1" });
    const ad = azureOptions(settings({ baseUrl: "https://r.openai.azure.com", extra: { azure_ad_token: "tok-123456" } }));
    expect(ad.headers).toEqual({ authorization: "Bearer tok-123456" });
    expect(ad.secrets).toEqual(["tok-123456"]);
  });

  it("normalises the base URL: trailing slashes and /openai removed; /openai/v1 selects the v1 API", () => {
    expect(azureOptions(settings({ baseUrl: "https://r.openai.azure.com/openai/" }))).toMatchObject({ baseUrl: "https://r.openai.azure.com", wire: { mode: "deployments", apiVersion: "2024-10-21" } });
    expect(azureOptions(settings({ baseUrl: "https://r.openai.azure.com/openai/v1/" }))).toMatchObject({
      baseUrl: "https://r.openai.azure.com/openai/v1",
      wire: { mode: "v1", apiVersion: undefined },
    });
    expect(azureOptions(settings({ extra: { endpoint: "https://e.openai.azure.com", api_version: "2025-04-01-preview" } }))).toMatchObject({
      baseUrl: "https://e.openai.azure.com",
      wire: { apiVersion: "2025-04-01-preview" },
    });
  });

  it("rejects a missing base URL and malformed settings with the provider's name", () => {
    expect(() => azureOptions(settings())).toThrow(/provider 'az' \(azure\): base_url is required/);
    expect(() => azureOptions(settings({ baseUrl: "https://r", extra: { deployments: ["x"] } }))).toThrow(/deployments must be a map/);
    expect(() => azureOptions(settings({ baseUrl: "https://r", extra: { api_version: 5 } }))).toThrow(/api_version must be a string/);
  });
});

describe("azure stream events", () => {
  const wire = azureWire("az", [], deployments);
  const state = (): StreamState => ({ clientWantsUsage: true, data: {} });

  it("drops the prompt-filter chunk but keeps the usage chunk", () => {
    const s = state();
    expect(wire.streamEvent({ data: JSON.stringify({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [] }) }, s)).toEqual([]);
    const usage = wire.streamEvent(
      { data: JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }) },
      s,
    ) as ChatChunk[];
    expect(usage[0].usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect(wire.streamEvent({ data: "[DONE]" }, s)).toBe("done");
  });

  it("gives content-filter annotation choices an empty delta", () => {
    const out = wire.streamEvent(
      { data: JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, finish_reason: null, content_filter_results: {} }] }) },
      state(),
    ) as ChatChunk[];
    expect(out[0].choices[0].delta).toEqual({});
    // Changed after parsing: the writer must serialise it, not relay the upstream's text.
    expect(RAW_JSON.has(out[0])).toBe(false);
    const untouched = wire.streamEvent(
      { data: JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "x" }, finish_reason: null }] }) },
      state(),
    ) as ChatChunk[];
    expect(JSON.parse(RAW_JSON.get(untouched[0])!)).toEqual(untouched[0]);
  });
});

describe("azure errors", () => {
  const wire = azureWire("az", ["secret-key-123"], deployments);

  it("a content-filter refusal stays a 400 with Azure's message and the filtered categories", () => {
    const body = JSON.stringify({
      error: {
        code: "content_filter",
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        status: 400,
        innererror: { code: "ResponsibleAIPolicyViolation", content_filter_result: { hate: { filtered: true, severity: "medium" }, violence: { filtered: false, severity: "safe" } } },
      },
    });
    const e = wire.error(400, body, {});
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.status).toBe(400);
    expect(e.code).toBe("invalid_request");
    expect(e.message).toBe("The response was filtered due to the prompt triggering Azure OpenAI's content management policy. (filtered: hate (medium))");
  });

  it("maps auth, missing deployments and throttling", () => {
    expect(wire.error(401, JSON.stringify({ error: { code: "401", message: "Access denied due to invalid subscription key" } }), {}).code).toBe("upstream_auth_error");
    const nf = wire.error(404, JSON.stringify({ error: { code: "DeploymentNotFound", message: "The API deployment for this resource does not exist." } }), {});
    expect([nf.code, nf.status]).toEqual(["model_not_found", 404]);
    const rl = wire.error(429, JSON.stringify({ error: { code: "429", message: "Rate limit is exceeded. Try again in 6 seconds." } }), { "retry-after": "6" });
    expect([rl.code, rl.retryAfterSeconds]).toEqual(["rate_limit_exceeded", 6]);
    expect(wire.error(401, JSON.stringify({ statusCode: 401, message: "key secret-key-123 bad" }), {}).message).not.toContain("secret-key-123");
  });
});

describe("azure provider against the fake", () => {
  let fake: FakeAzure;
  let provider: Provider;
  beforeAll(async () => {
    fake = await startFakeAzure({ apiKey: "az-key", adToken: "entra-token-1", deployments: ["prod-gpt4o", "emb"] });
    provider = providerDefinition("azure")!.create(settings({ baseUrl: fake.url, apiKey: "az-key", extra: { deployments: { "gpt-4o": "prod-gpt4o" } } }), { connectTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await provider.close?.();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it("calls the mapped deployment with api-key and the default api-version", async () => {
    const r = await provider.chat(req(), opts);
    expect(r.choices[0].message.content).toBe("Hello from the fake");
    expect(fake.calls[0].path).toBe("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21");
    expect(fake.calls[0].headers["api-key"]).toBe("az-key");
    expect(fake.calls[0].headers.authorization).toBeUndefined();
  });

  it("authenticates with an Entra ID token, and through the v1 API", async () => {
    const ad = providerDefinition("azure")!.create(settings({ baseUrl: fake.url, extra: { azure_ad_token: "entra-token-1", deployments: { "gpt-4o": "prod-gpt4o" } } }), { connectTimeoutMs: 2000 });
    expect((await ad.chat(req(), opts)).choices[0].message.content).toBe("Hello from the fake");
    const v1 = providerDefinition("azure")!.create(settings({ baseUrl: `${fake.url}/openai/v1`, apiKey: "az-key" }), { connectTimeoutMs: 2000 });
    expect((await v1.chat(req({ model: "prod-gpt4o" }), opts)).choices[0].message.content).toBe("Hello from the fake");
    expect(fake.calls.map((c) => c.path)).toEqual(["/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", "/openai/v1/chat/completions"]);
    expect(fake.calls[1].body.model).toBe("prod-gpt4o");
    await ad.close?.();
    await v1.close?.();
  });

  it("an unknown deployment is a 404 model_not_found; a wrong key is upstream_auth_error", async () => {
    await expect(provider.chat(req({ model: "nope" }), opts)).rejects.toMatchObject({ code: "model_not_found", status: 404 });
    const bad = providerDefinition("azure")!.create(settings({ baseUrl: fake.url, apiKey: "wrong-key" }), { connectTimeoutMs: 2000 });
    await expect(bad.chat(req({ model: "prod-gpt4o" }), opts)).rejects.toMatchObject({ code: "upstream_auth_error" });
    await bad.close?.();
  });

  it("streams without Azure's annotation chunk, ending with usage", async () => {
    const chunks: ChatChunk[] = [];
    for await (const c of await provider.chatStream(req({ stream: true }), opts)) chunks.push(c);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.every((c) => c.id === "chatcmpl-AzureFake1")).toBe(true);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 9 });
    expect(fake.calls[0].body.stream_options).toEqual({ include_usage: true });
  });

  it("embeddings use the deployment's embeddings path", async () => {
    const r = await provider.embeddings!({ model: "emb", input: ["a", "b"] }, opts);
    expect(r.data).toHaveLength(2);
    expect(fake.calls[0].path).toBe("/openai/deployments/emb/embeddings?api-version=2024-10-21");
  });

  it("the fake rejects what Azure rejects", async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = { "api-key": "az-key" }) =>
      fetch(fake.url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    const ok = { messages: [{ role: "user", content: "hi" }] };
    const json = async (r: Response) => (await r.json()) as { error: { code: string; message: string } };
    let res = await post("/openai/deployments/prod-gpt4o/chat/completions", ok);
    expect([res.status, (await json(res)).error.message]).toEqual([404, "Resource not found"]);
    res = await post("/openai/deployments/prod-gpt4o/chat/completions?api-version=latest", ok);
    expect([res.status, (await json(res)).error.code]).toEqual([400, "BadRequest"]);
    res = await post("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", ok, { authorization: "Bearer az-key" });
    expect(res.status).toBe(401);
    res = await post("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", { messages: [{ role: "tool", content: "x" }] });
    expect([res.status, (await json(res)).error.message]).toEqual([400, "Missing required parameter: 'messages[0].tool_call_id'."]);
    res = await post("/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21", { ...ok, stream_options: { include_usage: true } });
    expect(res.status).toBe(400);
  });
});

describe("azure from the environment", () => {
  it("is detected when both AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT are set", () => {
    expect(detectProviders({ AZURE_OPENAI_API_KEY: "k" }).find((d) => d.id === "azure")).toBeUndefined();
    expect(detectProviders({ AZURE_OPENAI_API_KEY: "k", AZURE_OPENAI_ENDPOINT: "https://r.openai.azure.com" }).find((d) => d.id === "azure")).toEqual({
      id: "azure",
      envVar: "AZURE_OPENAI_API_KEY",
      apiKey: "k",
      extra: { endpoint: "https://r.openai.azure.com" },
    });
    expect(apiKeyFromEnv("azure", { AZURE_OPENAI_API_KEY: "k" })).toBe("k");
  });

  it("gives a provider the gateway can build, and a configured azure entry takes its key from the environment", () => {
    const env = { AZURE_OPENAI_API_KEY: "k", AZURE_OPENAI_ENDPOINT: "https://r.openai.azure.com" };
    const detected = parseConfig({}, { env }).providers.azure;
    expect(detected).toMatchObject({ type: "azure", apiKey: "k", extra: { endpoint: "https://r.openai.azure.com" } });
    expect(azureOptions(detected).baseUrl).toBe("https://r.openai.azure.com");
    const configured = parseConfig({ providers: { azure: { base_url: "https://other.openai.azure.com", api_version: "2025-04-01-preview" } } }, { env: { AZURE_OPENAI_API_KEY: "k" } }).providers.azure;
    expect(configured).toMatchObject({ apiKey: "k", baseUrl: "https://other.openai.azure.com", extra: { api_version: "2025-04-01-preview" } });
  });
});

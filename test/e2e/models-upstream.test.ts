/**
 * /v1/models for OpenAI-compatible servers at their own base URL: the server's own model list
 * (cached), the catalog's models marked as such when the server is down, failing or silent, and
 * key restrictions over both — through real HTTP and the openai SDK.
 */
import { createServer } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogModels } from "../../src/catalog/models.js";
import { MODEL_LIST_MAX_BYTES, MODEL_LIST_TIMEOUT_MS } from "../../src/providers/model-list.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const SERVED = {
  object: "list",
  data: [
    { id: "meta-llama/Llama-3.1-8B-Instruct", object: "model", created: 1730000000, owned_by: "vllm", max_model_len: 32768 },
    { id: "qwen2.5:7b", object: "model", created: 1730000001, owned_by: "library" },
    { id: "gpt-4o", object: "model", created: 1730000002, owned_by: "system" },
  ],
};

let local: FakeOpenAI; // a healthy server, reached as type `openai` at its own base URL
let vllm: FakeOpenAI; // a healthy server, type `vllm` (no catalog of its own)
let failing: FakeOpenAI; // answers 500
let silent: FakeOpenAI; // accepts and never answers
let huge: FakeOpenAI; // answers a list longer than the bound
let downUrl: string; // nothing listens there
let gw: TestGateway;

const modelCalls = (f: FakeOpenAI) => f.calls.filter((c) => c.method === "GET" && c.path === "/v1/models");

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

interface ModelJson {
  id: string;
  object: string;
  created: number;
  owned_by: string;
  context_window?: number;
  switchboard?: { source: string; error?: string };
}
/** A list, a model or an error envelope, as the route answers. */
type Body = { data: ModelJson[]; error?: { code: string } } & ModelJson;

async function get(path: string, key = gw.masterKey) {
  const res = await fetch(gw.url + path, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
}

beforeAll(async () => {
  [local, vllm, failing, silent, huge] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeOpenAI(), startFakeOpenAI(), startFakeOpenAI()]);
  local.setDefault({ path: "/v1/models", body: SERVED });
  vllm.setDefault({ path: "/v1/models", body: { object: "list", data: [{ id: "served-by-vllm", object: "model", created: 1, owned_by: "vllm" }] } });
  failing.setDefault({ path: "/v1/models", status: 500, error: { message: "model registry unavailable" } });
  silent.setDefault({ path: "/v1/models", silent: true });
  huge.setDefault({ path: "/v1/models", body: JSON.stringify({ object: "list", data: [{ id: "x".repeat(MODEL_LIST_MAX_BYTES) }] }) });
  downUrl = await closedPortUrl();
  gw = await startTestGateway({
    providers: {
      local: { type: "openai", base_url: local.url, api_key: "sk-local-server-key", headers: { "x-tenant": "lab" } },
      vllm: { type: "vllm", base_url: vllm.url },
      failing: { type: "mistral", base_url: failing.url, api_key: "sk-failing" },
      silent: { type: "groq", base_url: silent.url, api_key: "sk-silent" },
      huge: { type: "deepseek", base_url: huge.url, api_key: "sk-huge" },
      down: { type: "openai", base_url: downUrl, api_key: "sk-down" },
      cloud: { type: "xai", api_key: "sk-cloud" },
    },
    models: [{ name: "fast", deployments: [{ model: "local:qwen2.5:7b" }] }],
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([local, vllm, failing, silent, huge].map((f) => f?.close()));
});

describe("GET /v1/models with OpenAI-compatible servers", () => {
  let first: Awaited<ReturnType<typeof get>>;
  let elapsedMs: number;
  beforeAll(async () => {
    const t0 = performance.now();
    first = await get("/v1/models");
    elapsedMs = performance.now() - t0;
  });

  it("lists the server's own models, not the catalog of the provider type", () => {
    expect(first.status).toBe(200);
    const mine = first.body.data.filter((m) => m.owned_by === "local");
    expect(mine).toEqual([
      {
        id: "local:meta-llama/Llama-3.1-8B-Instruct",
        object: "model",
        created: 1730000000,
        owned_by: "local",
        context_window: 32768,
        pricing: null,
        capabilities: null,
        switchboard: { source: "upstream" },
      },
      { id: "local:qwen2.5:7b", object: "model", created: 1730000001, owned_by: "local", pricing: null, capabilities: null, switchboard: { source: "upstream" } },
      // A model the catalog knows keeps the catalog's details.
      {
        id: "local:gpt-4o",
        object: "model",
        created: 1730000002,
        owned_by: "local",
        mode: "chat",
        context_window: 128000,
        max_output_tokens: 16384,
        pricing: expect.objectContaining({ source: "catalog" }),
        capabilities: { tools: true, vision: true, json_mode: true, reasoning: false },
        switchboard: { source: "upstream" },
      },
    ]);
    expect(first.body.data.filter((m) => m.owned_by === "vllm").map((m) => m.id)).toEqual(["vllm:served-by-vllm"]);
  });

  it("asks the server with the provider's credentials and headers", () => {
    const [call] = modelCalls(local);
    expect(call.headers.authorization).toBe("Bearer sk-local-server-key");
    expect(call.headers["x-tenant"]).toBe("lab");
  });

  it("keeps aliases and catalog providers as they were, unmarked", () => {
    const ids = first.body.data.map((m) => m.id);
    expect(ids[0]).toBe("fast");
    const cloud = first.body.data.filter((m) => m.owned_by === "cloud");
    expect(cloud.map((m) => m.id)).toEqual(catalogModels("xai").map((m) => `cloud:${m.id}`));
    expect(cloud.every((m) => m.switchboard === undefined)).toBe(true);
  });

  it("falls back to the catalog, marked, when the server answers 500, is down, is silent or sends too much", () => {
    const marked = (id: string) => first.body.data.filter((m) => m.owned_by === id);
    const failingModels = marked("failing");
    expect(failingModels.map((m) => m.id)).toEqual(catalogModels("mistral").map((m) => `failing:${m.id}`));
    for (const m of failingModels) expect(m.switchboard).toEqual({ source: "catalog", error: "the server answered HTTP 500: model registry unavailable" });
    const down = marked("down");
    expect(down.map((m) => m.id)).toEqual(catalogModels("openai").map((m) => `down:${m.id}`));
    expect(down[0].switchboard).toMatchObject({ source: "catalog", error: expect.stringContaining("ECONNREFUSED") });
    const silentModels = marked("silent");
    expect(silentModels.map((m) => m.id)).toEqual(catalogModels("groq").map((m) => `silent:${m.id}`));
    expect(silentModels[0].switchboard).toEqual({ source: "catalog", error: `upstream did not complete within ${MODEL_LIST_TIMEOUT_MS} ms` });
    const hugeModels = marked("huge");
    expect(hugeModels.length).toBe(catalogModels("deepseek").length);
    expect(hugeModels[0].switchboard).toEqual({ source: "catalog", error: `the model list is longer than ${MODEL_LIST_MAX_BYTES} bytes` });
  });

  it("says which servers could not be listed in x-switchboard-warnings", () => {
    const w = first.headers.get("x-switchboard-warnings") ?? "";
    for (const id of ["failing", "down", "silent", "huge"]) expect(w).toContain(`provider '${id}': could not list the server's models (`);
    expect(w).not.toContain("provider 'local'");
    expect(w).not.toContain("provider 'cloud'");
  });

  it("answers within the bound although a server never answers, and gives up the call", async () => {
    // A correctness bound (the silent server would otherwise hold the request forever), not a timing figure.
    expect(elapsedMs).toBeLessThan(MODEL_LIST_TIMEOUT_MS + 3000);
    expect(modelCalls(silent)).toHaveLength(1);
    await expect.poll(() => modelCalls(silent)[0].aborted).toBe(true);
  });

  it("asks each server once within the cache time, failed ones included", async () => {
    const again = await get("/v1/models");
    expect(again.body.data.map((m) => m.id)).toEqual(first.body.data.map((m) => m.id));
    await get("/v1/models/local:gpt-4o");
    for (const f of [local, vllm, failing, silent, huge]) expect(modelCalls(f)).toHaveLength(1);
  });
});

describe("GET /v1/models/{id} agrees with the list", () => {
  it("returns a server-listed model, by provider:model or provider/model", async () => {
    const r = await get(`/v1/models/${encodeURIComponent("local/meta-llama/Llama-3.1-8B-Instruct")}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: "local:meta-llama/Llama-3.1-8B-Instruct", context_window: 32768, switchboard: { source: "upstream" } });
    expect((await get("/v1/models/local:qwen2.5:7b")).body.id).toBe("local:qwen2.5:7b");
  });

  it("404 for a model the server does not list (its list is complete)", async () => {
    const r = await get("/v1/models/local:gpt-5.5");
    expect(r.status).toBe(404);
    expect(r.body.error?.code).toBe("model_not_found");
  });

  it("a provider listed from the catalog after a failure keeps answering for any model, marked where listed", async () => {
    expect((await get("/v1/models/failing:mistral-large-latest")).body.switchboard).toMatchObject({ source: "catalog" });
    expect((await get("/v1/models/down:some-unlisted-model")).body).toEqual({
      id: "down:some-unlisted-model",
      object: "model",
      created: expect.any(Number),
      owned_by: "down",
      pricing: null,
      capabilities: null,
    });
  });
});

describe("key restrictions apply to server-listed models", () => {
  let key: string;
  beforeAll(async () => {
    const res = await fetch(`${gw.url}/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ allowed_models: ["local:qwen*", "vllm/*", "failing:mistral-large*"] }),
    });
    expect(res.status).toBe(201);
    key = ((await res.json()) as { key: string }).key;
  });

  it("the list shows only the allowed models, upstream and fallback alike", async () => {
    const ids = (await get("/v1/models", key)).body.data.map((m) => m.id);
    expect(ids).toEqual([
      "local:qwen2.5:7b",
      "vllm:served-by-vllm",
      ...catalogModels("mistral")
        .filter((m) => m.id.startsWith("mistral-large"))
        .map((m) => `failing:${m.id}`),
    ]);
  });

  it("retrieving a model outside the key's list is 404, inside 200", async () => {
    expect((await get("/v1/models/local:qwen2.5:7b", key)).status).toBe(200);
    expect((await get(`/v1/models/${encodeURIComponent("local:meta-llama/Llama-3.1-8B-Instruct")}`, key)).status).toBe(404);
    expect((await get("/v1/models/local:gpt-4o", key)).status).toBe(404);
  });
});

describe("through the openai SDK", () => {
  it("models.list() and models.retrieve() see the server's models", async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(["local:meta-llama/Llama-3.1-8B-Instruct", "local:qwen2.5:7b", "local:gpt-4o", "vllm:served-by-vllm"]));
    expect(ids).not.toContain("local:gpt-5.5");
    const one = await client.models.retrieve("local:qwen2.5:7b");
    expect(one).toMatchObject({ id: "local:qwen2.5:7b", object: "model", created: 1730000001, owned_by: "local" });
    await expect(client.models.retrieve("local:not-served")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});

describe("through the undici transport", () => {
  let other: TestGateway;
  let ok: FakeOpenAI;
  let mute: FakeOpenAI;
  beforeAll(async () => {
    [ok, mute] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    ok.setDefault({ path: "/v1/models", body: SERVED });
    mute.setDefault({ path: "/v1/models", silent: true });
    other = await startTestGateway({
      upstream: { transport: "undici" },
      providers: { local: { type: "vllm", base_url: ok.url, api_key: "sk-undici" }, silent: { type: "openai", base_url: mute.url, api_key: "sk-mute" } },
    });
  });
  afterAll(async () => {
    await other?.stop();
    await Promise.all([ok, mute].map((f) => f?.close()));
  });

  it("lists the server's models, and falls back within the bound when a server is silent", async () => {
    const res = await fetch(`${other.url}/v1/models`, { headers: { authorization: `Bearer ${other.masterKey}` } });
    const body = (await res.json()) as Body;
    expect(body.data.filter((m) => m.owned_by === "local").map((m) => m.id)).toEqual(SERVED.data.map((m) => `local:${m.id}`));
    expect(modelCalls(ok)[0].headers.authorization).toBe("Bearer sk-undici");
    const silentModels = body.data.filter((m) => m.owned_by === "silent");
    expect(silentModels.map((m) => m.id)).toEqual(catalogModels("openai").map((m) => `silent:${m.id}`));
    expect(silentModels[0].switchboard).toEqual({ source: "catalog", error: `upstream did not complete within ${MODEL_LIST_TIMEOUT_MS} ms` });
    await expect.poll(() => modelCalls(mute)[0]?.aborted).toBe(true);
  });
});

/** The server model lists: which providers have one, parsing OpenAI's list, and the cache's expiry on a fake clock. */
import { describe, expect, it } from "vitest";
import type { ProviderSettings } from "../../src/config/types.js";
import { GatewayError } from "../../src/core/errors.js";
import { ServerModelLists } from "../../src/providers/model-list.js";
import { MAX_LISTED_MODELS, modelsResponse } from "../../src/providers/openai/models.js";
import { listsServerModels } from "../../src/providers/openai-compatible/model-list.js";
import { OPENAI_COMPATIBLE_PRESETS } from "../../src/providers/openai-compatible/presets.js";
import { providerDefinition } from "../../src/providers/registry.js";
import type { Provider, UpstreamModel } from "../../src/providers/types.js";

const settings = (type: string, baseUrl?: string): ProviderSettings => ({ id: type, type, baseUrl, apiKey: "sk-x", headers: {}, extra: {} });

describe("which providers list their server's models", () => {
  it("local servers always; other presets only at a base URL of their own", () => {
    expect(listsServerModels(settings("ollama"), OPENAI_COMPATIBLE_PRESETS.ollama)).toBe(true);
    expect(listsServerModels(settings("vllm"), OPENAI_COMPATIBLE_PRESETS.vllm)).toBe(true);
    expect(listsServerModels(settings("openai"), OPENAI_COMPATIBLE_PRESETS.openai)).toBe(false);
    expect(listsServerModels(settings("openai", "https://api.openai.com/v1/"), OPENAI_COMPATIBLE_PRESETS.openai)).toBe(false);
    expect(listsServerModels(settings("openai", "http://10.0.0.5:8000/v1"), OPENAI_COMPATIBLE_PRESETS.openai)).toBe(true);
    expect(listsServerModels(settings("groq", "https://proxy.internal/groq/v1"), OPENAI_COMPATIBLE_PRESETS.groq)).toBe(true);
  });
  it("the created provider has listModels exactly then; other wire formats never", () => {
    const create = (type: string, baseUrl?: string) => providerDefinition(type)!.create(settings(type, baseUrl), { connectTimeoutMs: 1000 });
    expect(typeof create("lmstudio").listModels).toBe("function");
    expect(typeof create("openai", "http://127.0.0.1:9/v1").listModels).toBe("function");
    expect(typeof create("openai").listModels).toBe("undefined");
    expect(typeof create("mistral").listModels).toBe("undefined");
    expect(typeof create("anthropic", "http://127.0.0.1:9").listModels).toBe("undefined");
  });
});

describe("OpenAI's model list", () => {
  it("keeps ids, created and vLLM's max_model_len; skips bad and repeated entries", () => {
    const body = {
      object: "list",
      data: [
        { id: "a", object: "model", created: 1700000000, owned_by: "x", max_model_len: 8192 },
        { id: "b", created: "yesterday", max_model_len: -1 },
        { id: "a", created: 1 },
        { id: "" },
        { id: 42 },
        { id: "z".repeat(257) },
        null,
        "c",
      ],
    };
    expect(modelsResponse(body)).toEqual([{ id: "a", created: 1700000000, contextWindow: 8192 }, { id: "b" }]);
  });
  it("refuses a body that is not a list", () => {
    for (const body of [null, [], { data: {} }, { models: [] }, "list"]) {
      expect(() => modelsResponse(body)).toThrow(/without a data array/);
    }
  });
  it("keeps at most MAX_LISTED_MODELS entries", () => {
    const data = Array.from({ length: MAX_LISTED_MODELS + 5 }, (_, i) => ({ id: `m${i}` }));
    const out = modelsResponse({ data });
    expect(out).toHaveLength(MAX_LISTED_MODELS);
    expect(out.at(-1)!.id).toBe(`m${MAX_LISTED_MODELS - 1}`);
  });
});

/** A provider whose listModels answers what the test says, counting calls. */
function fakeProvider() {
  const calls: Array<{ totalMs: number; maxBytes: number; resolve: (m: UpstreamModel[]) => void; reject: (e: unknown) => void }> = [];
  const provider = {
    id: "p",
    type: "vllm",
    listModels: (opts, maxBytes) => new Promise<UpstreamModel[]>((resolve, reject) => calls.push({ totalMs: opts.timeouts.totalMs, maxBytes, resolve, reject })),
  } as Partial<Provider> as Provider;
  return { provider, calls };
}

const settled = () => new Promise<void>((r) => setImmediate(r));

describe("ServerModelLists", () => {
  it("null for a provider without listModels", () => {
    expect(new ServerModelLists().get({ id: "x", type: "openai" } as Provider)).toBeNull();
  });

  it("shares one fetch, reuses it until the TTL ends, then asks again", async () => {
    let now = 1_000_000;
    const lists = new ServerModelLists({ ttlMs: 60_000, timeoutMs: 1500, maxBytes: 4096, now: () => now });
    const { provider, calls } = fakeProvider();
    const a = lists.get(provider)!;
    const b = lists.get(provider)!;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ totalMs: 1500, maxBytes: 4096 });
    calls[0].resolve([{ id: "m1" }]);
    expect(await a).toEqual({ source: "upstream", models: [{ id: "m1" }] });
    expect(await b).toEqual(await a);
    now += 59_999;
    expect(await lists.get(provider)).toEqual({ source: "upstream", models: [{ id: "m1" }] });
    expect(calls).toHaveLength(1);
    now += 1;
    const c = lists.get(provider)!;
    expect(calls).toHaveLength(2);
    calls[1].resolve([{ id: "m2" }]);
    expect(await c).toEqual({ source: "upstream", models: [{ id: "m2" }] });
  });

  it("remembers a failure for the failure TTL, with its reason, then tries again", async () => {
    let now = 0;
    const lists = new ServerModelLists({ ttlMs: 60_000, failureTtlMs: 10_000, now: () => now });
    const { provider, calls } = fakeProvider();
    const a = lists.get(provider)!;
    calls[0].reject(new GatewayError("upstream_error", "boom", { upstreamStatus: 503 }));
    expect(await a).toEqual({ source: "catalog", error: "the server answered HTTP 503: boom" });
    now += 9_999;
    expect(await lists.get(provider)).toEqual({ source: "catalog", error: "the server answered HTTP 503: boom" });
    expect(calls).toHaveLength(1);
    now += 1;
    const b = lists.get(provider)!;
    await settled();
    expect(calls).toHaveLength(2);
    calls[1].reject(new Error("socket hang up"));
    expect(await b).toEqual({ source: "catalog", error: "socket hang up" });
  });
});

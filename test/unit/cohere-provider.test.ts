/** The Cohere provider over HTTP against the fake v2 API: auth, paths, model names, streams, embeddings — and the fake's strictness. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProviderSettings } from "../../src/config/types.js";
import { providerDefinition } from "../../src/providers/registry.js";
import type { CallOptions, Provider } from "../../src/providers/types.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";
import { startFakeCohere, type FakeCohere } from "../support/fake-cohere.js";

const req = (r: Record<string, unknown> = {}) => ({ model: "command-a-03-2025", messages: [{ role: "user", content: "Hi" }], ...r }) as ChatRequest;

describe("cohere provider against the fake", () => {
  const timeouts = { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10000 };
  let warnings: string[];
  const opts = (): CallOptions => ({ timeouts, warn: (w) => warnings.push(w) });
  let fake: FakeCohere;
  let provider: Provider;
  const settings = (over: Partial<ProviderSettings> = {}): ProviderSettings => ({ id: "co", type: "cohere", apiKey: "co-key", baseUrl: fake.url, headers: {}, extra: {}, ...over });
  beforeAll(async () => {
    fake = await startFakeCohere({ apiKey: "co-key" });
    provider = providerDefinition("cohere")!.create(settings(), { connectTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await provider.close?.();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    warnings = [];
  });

  it("is registered with its default base URL", () => {
    expect(providerDefinition("cohere")).toMatchObject({ type: "cohere", defaultBaseUrl: "https://api.cohere.com", requiresKey: true });
  });

  it("posts /v2/chat with a bearer token and names the requested model in the answer", async () => {
    const r = await provider.chat(req({ top_p: 0.5, user: "u" }), opts());
    expect(r.model).toBe("command-a-03-2025");
    expect(r.choices[0].message.content).toBe("Hello from the fake");
    expect(fake.calls[0]).toMatchObject({ path: "/v2/chat", headers: { authorization: "Bearer co-key" }, body: { p: 0.5 } });
    expect(warnings).toEqual(["user is not supported by cohere; ignored"]);
  });

  it("streams with the requested model on every chunk and reasoning as reasoning_content", async () => {
    fake.enqueue({ text: "Paris", reasoning: "Capital of France." });
    const chunks: ChatChunk[] = [];
    for await (const c of await provider.chatStream(req(), opts())) chunks.push(c);
    expect(chunks.every((c) => c.model === "command-a-03-2025")).toBe(true);
    expect(chunks.map((c) => (c.choices[0]?.delta.reasoning_content as string | undefined) ?? "").join("")).toBe("Capital of France.");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Paris");
    expect(fake.calls[0].body.stream).toBe(true);
  });

  it("embeds with the configured input type, and encodes base64 when asked", async () => {
    const p = providerDefinition("cohere")!.create(settings({ extra: { embedding_input_type: "clustering" } }), { connectTimeoutMs: 2000 });
    const r = await p.embeddings!({ model: "embed-v4.0", input: ["a"], encoding_format: "base64", dimensions: 4 }, opts());
    expect(fake.calls[0]).toMatchObject({ path: "/v2/embed", body: { input_type: "clustering", output_dimension: 4, embedding_types: ["float"] } });
    expect(r.model).toBe("embed-v4.0");
    const floats = new Float32Array(Uint8Array.from(Buffer.from(r.data[0].embedding as string, "base64")).buffer);
    expect(floats).toHaveLength(4);
    expect(Math.hypot(...floats)).toBeCloseTo(1, 5);
    await p.close?.();
  });

  it("a wrong key is upstream_auth_error", async () => {
    const bad = providerDefinition("cohere")!.create(settings({ apiKey: "nope" }), { connectTimeoutMs: 2000 });
    await expect(bad.chat(req(), opts())).rejects.toMatchObject({ code: "upstream_auth_error" });
    await bad.close?.();
  });

  it("the fake rejects what Cohere rejects", async () => {
    const post = (body: unknown, auth = "Bearer co-key") =>
      fetch(`${fake.url}/v2/chat`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body) });
    const base = { model: "command-a-03-2025", messages: [{ role: "user", content: "hi" }] };
    const message = async (r: Response) => [r.status, ((await r.json()) as { message: string }).message];
    expect(await message(await post({ ...base, top_p: 0.5 }))).toEqual([400, "invalid request: unknown field: parameter top_p is not a valid field"]);
    expect(await message(await post({ ...base, messages: [{ role: "developer", content: "x" }] }))).toEqual([400, "invalid request: messages[0].role must be one of system, user, assistant, tool"]);
    expect((await post({ ...base, messages: [{ role: "tool", content: "x" }] })).status).toBe(400);
    expect((await post({ ...base, tool_choice: "required" })).status).toBe(400);
    expect((await post({ ...base, p: 1 })).status).toBe(400);
    expect(await message(await post(base, "co-key"))).toEqual([401, "invalid api token"]);
  });
});

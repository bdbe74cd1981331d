/** The Anthropic provider over HTTP against the fake Messages API: headers, paths, streams, errors — and the fake's own strictness. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProviderSettings } from "../../src/config/types.js";
import { GatewayError } from "../../src/core/errors.js";
import { providerDefinition } from "../../src/providers/registry.js";
import type { CallOptions, Provider } from "../../src/providers/types.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";

const timeouts = { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10000 };

describe("anthropic provider against the fake Messages API", () => {
  let fake: FakeAnthropic;
  let provider: Provider;
  let warnings: string[];
  const opts = (): CallOptions => ({ timeouts, warn: (w) => warnings.push(w) });
  const make = (extra: Partial<ProviderSettings> = {}) =>
    providerDefinition("anthropic")!.create({ id: "anthropic", type: "anthropic", apiKey: fake.apiKey, baseUrl: fake.url, headers: {}, extra: {}, ...extra }, { connectTimeoutMs: 2000 });
  const req = (r: Partial<ChatRequest> & Record<string, unknown> = {}) => ({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Hi" }], ...r }) as ChatRequest;
  const collect = async (p: Provider, r: ChatRequest) => {
    const out: ChatChunk[] = [];
    for await (const c of await p.chatStream(r, opts())) out.push(c);
    return out;
  };

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    provider = make();
  });
  afterAll(async () => {
    await provider.close?.();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    warnings = [];
  });

  it("is registered with the documented capabilities and default base URL", () => {
    const def = providerDefinition("anthropic")!;
    expect(def).toMatchObject({ type: "anthropic", requiresKey: true, defaultBaseUrl: "https://api.anthropic.com" });
    expect(def.capabilities).toEqual({ chat: true, stream: true, tools: true, vision: true, json: true, embeddings: false, reasoning: true });
  });

  it("calls POST /v1/messages with x-api-key and anthropic-version, and reports the defaulted max_tokens", async () => {
    fake.enqueue({ text: "Hello!", usage: { input: 7, output: 2 } });
    const r = await provider.chat(req(), opts());
    expect(r.choices[0].message.content).toBe("Hello!");
    expect(r.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    const call = fake.calls[0];
    expect(call).toMatchObject({ method: "POST", path: "/v1/messages" });
    expect(call.headers).toMatchObject({ "x-api-key": fake.apiKey, "anthropic-version": "2023-06-01", "content-type": "application/json" });
    expect(call.headers.authorization).toBeUndefined();
    expect(call.body).toEqual({ model: "claude-sonnet-4-5", max_tokens: 4096, messages: [{ role: "user", content: "Hi" }] });
    expect(warnings).toEqual(["max_tokens is required by anthropic and was not set; sent max_tokens=4096"]);
  });

  it("reads default_max_tokens and anthropic_beta from the provider settings; base_url may end in /v1", async () => {
    const p = make({ baseUrl: `${fake.url}/v1`, extra: { default_max_tokens: 1234, anthropic_beta: "prompt-caching-2024-07-31" } });
    try {
      await p.chat(req(), opts());
      expect(fake.calls[0].path).toBe("/v1/messages");
      expect(fake.calls[0].body.max_tokens).toBe(1234);
      expect(fake.calls[0].headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    } finally {
      await p.close?.();
    }
    expect(() => make({ extra: { default_max_tokens: "lots" } })).toThrow(/default_max_tokens must be a positive integer/);
  });

  it("streams reasoning, text, finish and usage (newer cumulative message_delta usage too)", async () => {
    fake.enqueue({ reasoning: "Think.", text: "Done ✓", usage: { input: 50, output: 9, cachedInput: 40 }, cumulativeDeltaUsage: true });
    const chunks = await collect(provider, req({ max_tokens: 2000, thinking: { type: "enabled", budget_tokens: 1024 } }));
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    expect(chunks.map((c) => (c.choices[0]?.delta.reasoning_content as string | undefined) ?? "").join("")).toBe("Think.");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Done ✓");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 50, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 40 } } });
    expect(fake.calls[0].body.stream).toBe(true);
  });

  it("a mid-stream overloaded_error event ends the stream with a retryable upstream_error", async () => {
    fake.enqueue({ text: "partial answer", midStreamError: { type: "overloaded_error", message: "Overloaded" } });
    const err = await collect(provider, req({ max_tokens: 10 })).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: "upstream_error", retryable: true, message: "overloaded_error: Overloaded" });
  });

  it("an HTTP 529 before the stream starts rejects chatStream with a retryable upstream_error", async () => {
    fake.enqueue({ error: { status: 529, message: "Overloaded" } });
    const err = await provider.chatStream(req({ max_tokens: 10 }), opts()).catch((e) => e);
    expect(err).toMatchObject({ code: "upstream_error", retryable: true, upstreamStatus: 529, message: "Overloaded" });
  });

  it("JSON mode round trip: the forced tool's input comes back as content, streamed and not", async () => {
    fake.enqueue({ text: '{"answer":42}' });
    const r = await provider.chat(req({ max_tokens: 100, response_format: { type: "json_object" } }), opts());
    expect(JSON.parse(r.choices[0].message.content!)).toEqual({ answer: 42 });
    expect(r.choices[0].finish_reason).toBe("stop");
    fake.enqueue({ text: '{"answer":42}' });
    const chunks = await collect(provider, req({ max_tokens: 100, response_format: { type: "json_object" } }));
    expect(JSON.parse(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""))).toEqual({ answer: 42 });
    expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
  });
});

describe("the fake Messages API rejects what the real one would", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(() => fake.close());
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": fake.apiKey, "anthropic-version": "2023-06-01", ...headers },
      body: JSON.stringify(body),
    });
  const ok = { model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "Hi" }] };
  const rejects = async (body: unknown, status: number, message: RegExp, headers?: Record<string, string>) => {
    const res = await post(body, headers);
    expect(res.status).toBe(status);
    const j = (await res.json()) as { type: string; error: { message: string } };
    expect(j.type).toBe("error");
    expect(j.error.message).toMatch(message);
  };

  it("accepts a valid request", async () => {
    expect((await post(ok)).status).toBe(200);
  });

  it("rejects wrong auth, a missing version header and OpenAI-shaped bodies", async () => {
    await rejects(ok, 401, /invalid x-api-key/, { "x-api-key": "wrong" });
    await rejects(ok, 400, /anthropic-version/, { "anthropic-version": "" });
    await rejects({ ...ok, max_tokens: undefined }, 400, /max_tokens: Field required/);
    await rejects({ ...ok, messages: [{ role: "system", content: "x" }, ...ok.messages] }, 400, /role/);
    await rejects({ ...ok, tools: [{ type: "function", function: { name: "f", parameters: {} } }] }, 400, /Extra inputs/);
    await rejects({ ...ok, n: 2 }, 400, /n: Extra inputs/);
    await rejects({ ...ok, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }] }, 400, /image_url/);
    await rejects({ ...ok, tool_choice: { type: "any" } }, 400, /tool_choice may only be specified while providing tools/);
    await rejects({ ...ok, max_tokens: 1000, thinking: { type: "enabled", budget_tokens: 1024 } }, 400, /max_tokens/);
  });

  it("rejects tool_use without its tool_result in the next message", async () => {
    const messages = [
      { role: "user", content: "Weather?" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "w", input: {} }] },
      { role: "user", content: "Never mind" },
    ];
    await rejects({ ...ok, messages, tools: [{ name: "w", input_schema: { type: "object" } }] }, 400, /without `tool_result` blocks immediately after: toolu_1/);
  });
});

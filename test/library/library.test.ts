/** The library API against fake upstream servers: results, streams, typed errors, tools, Responses. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AuthenticationError,
  completion,
  createProvider,
  embedding,
  listModels,
  MissingApiKeyError,
  ProviderError,
  RateLimitError,
  responses,
  tool,
  UnsupportedParameterError,
  UnsupportedProviderError,
} from "../../src/sdk/index.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake?.close());
beforeEach(() => fake.reset());

const messages = [{ role: "user" as const, content: "Hi" }];
const local = () => createProvider("local", { type: "openai", baseUrl: fake.url, apiKey: "sk-lib-test-000000" });

describe("completion", () => {
  it("returns OpenAI-shaped results from any provider", async () => {
    fake.enqueue({ text: "Hello!", usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const r = await local().completion({ model: "gpt-4o", messages, temperature: 0.5 });
    expect(r.choices[0].message.content).toBe("Hello!");
    expect(r.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(fake.calls[0].body).toMatchObject({ model: "gpt-4o", temperature: 0.5 });
    expect(fake.calls[0].headers.authorization).toBe("Bearer sk-lib-test-000000");
  });

  it("streams chunks", async () => {
    fake.enqueue({ text: "one two three", chunks: 3 });
    let text = "";
    for await (const c of await local().completion({ model: "gpt-4o", messages, stream: true })) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe("one two three");
  });

  it("takes provider settings per call with provider:model names", async () => {
    fake.enqueue({ text: "direct" });
    const r = await completion({ model: "local:gpt-4o", messages, provider: { type: "openai", baseUrl: fake.url, apiKey: "k-000000" } });
    expect(r.choices[0].message.content).toBe("direct");
  });

  it("aborts the upstream request through signal", async () => {
    fake.enqueue({ text: "a b c d e f", chunks: 6, chunkDelayMs: 200 });
    const controller = new AbortController();
    const stream = await local().completion({ model: "gpt-4o", messages, stream: true, signal: controller.signal });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    controller.abort();
    await expect(async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    }).rejects.toBeInstanceOf(ProviderError);
    await expect.poll(() => fake.calls[0].aborted).toBe(true);
  });
});

describe("typed errors", () => {
  it("AuthenticationError, RateLimitError and ProviderError carry status and retryable", async () => {
    fake.enqueue({ status: 401, error: { message: "bad key" } });
    const auth = await local()
      .completion({ model: "gpt-4o", messages })
      .catch((e) => e);
    expect(auth).toBeInstanceOf(AuthenticationError);
    expect(auth).toBeInstanceOf(ProviderError);
    expect(auth.status).toBe(401);
    expect(auth.retryable).toBe(false);

    for (let i = 0; i < 3; i++) fake.enqueue({ status: 429, retryAfter: 0, error: { message: "slow down" } });
    const rl = await local()
      .completion({ model: "gpt-4o", messages })
      .catch((e) => e);
    expect(rl).toBeInstanceOf(RateLimitError);
    expect(rl.status).toBe(429);
    expect(rl.retryable).toBe(true);
    expect(rl.retryAfterSeconds).toBe(0);
    expect(fake.calls).toHaveLength(4);

    fake.enqueue({ status: 500, error: { message: "broken" } });
    const pe = await local()
      .completion({ model: "gpt-4o", messages, maxRetries: 0 })
      .catch((e) => e);
    expect(pe).toBeInstanceOf(ProviderError);
    expect(pe).toMatchObject({ status: 500, retryable: true, code: "upstream_error" });
  });

  it("retries retryable failures before throwing", async () => {
    fake.enqueue({ status: 503 });
    fake.enqueue({ text: "recovered" });
    const r = await local().completion({ model: "gpt-4o", messages });
    expect(r.choices[0].message.content).toBe("recovered");
  });

  it("MissingApiKeyError, UnsupportedProviderError, UnsupportedParameterError", async () => {
    const env = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      expect(() => createProvider("openai")).toThrow(MissingApiKeyError);
      await expect(completion({ model: "openai:gpt-4o", messages })).rejects.toBeInstanceOf(MissingApiKeyError);
    } finally {
      if (env !== undefined) process.env.OPENAI_API_KEY = env;
    }
    expect(() => createProvider("nosuch")).toThrow(UnsupportedProviderError);
    await expect(createProvider("anthropic", { apiKey: "x" }).embedding({ model: "claude", input: "x" })).rejects.toBeInstanceOf(UnsupportedParameterError);
  });

  it("rejects a model without a provider", async () => {
    await expect(completion({ model: "gpt-4o", messages })).rejects.toMatchObject({ code: "invalid_request" });
  });
});

describe("tools", () => {
  it("accepts zod tools, sends JSON schema upstream and runs execute", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_1", name: "add", arguments: { a: 2, b: 3 } }] });
    fake.enqueue({ text: "The sum is 5." });
    let seen: unknown;
    const r = await local().completion({
      model: "gpt-4o",
      messages: [{ role: "user", content: "2+3?" }],
      tools: { add: tool({ description: "Adds", parameters: z.object({ a: z.number(), b: z.number() }), execute: (args) => ((seen = args), args.a + args.b) }) },
    });
    expect(r.choices[0].message.content).toBe("The sum is 5.");
    expect(seen).toEqual({ a: 2, b: 3 });
    expect(fake.calls[0].body.tools[0]).toMatchObject({
      type: "function",
      function: { name: "add", description: "Adds", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } },
    });
    const second = fake.calls[1].body.messages;
    expect(second.at(-1)).toEqual({ role: "tool", tool_call_id: "call_1", content: "5" });
  });

  it("passes OpenAI tool objects through unchanged", async () => {
    fake.enqueue({ toolCalls: [{ id: "c", name: "f", arguments: {} }] });
    const tools = [{ type: "function" as const, function: { name: "f", parameters: { type: "object" } } }];
    const r = await local().completion({ model: "gpt-4o", messages, tools });
    expect(r.choices[0].message.tool_calls![0].function.name).toBe("f");
    expect(fake.calls[0].body.tools).toEqual(tools);
  });
});

describe("embedding, responses, listModels", () => {
  it("embedding", async () => {
    fake.enqueue({ path: "/v1/embeddings", vectors: [[1, 0]] });
    const e = await embedding({ model: "local:text-embedding-3-small", input: "x", provider: { type: "openai", baseUrl: fake.url, apiKey: "k-000000" } });
    expect(e.data[0].embedding).toEqual([1, 0]);
  });

  it("responses, non-stream and stream", async () => {
    fake.enqueue({ text: "Short answer.", usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const r = await responses({ model: "local:gpt-4o", instructions: "Be brief", input: "Explain", provider: { type: "openai", baseUrl: fake.url, apiKey: "k-000000" } });
    expect(r).toMatchObject({ object: "response", status: "completed", output_text: "Short answer.", usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } });
    expect(fake.calls[0].body.messages[0]).toEqual({ role: "developer", content: "Be brief" });

    fake.enqueue({ text: "Streamed answer.", chunks: 2 });
    const events: Array<Record<string, unknown>> = [];
    for await (const ev of await responses({ model: "local:gpt-4o", input: "x", stream: true, provider: { type: "openai", baseUrl: fake.url, apiKey: "k-000000" } })) events.push(ev);
    expect(events[0].type).toBe("response.created");
    expect(events.at(-1)!.type).toBe("response.completed");
    const deltas = events
      .filter((e) => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");
    expect(deltas).toBe("Streamed answer.");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it("listModels", async () => {
    // Without a provider: every type's catalog, no network.
    expect((await listModels()).map((m) => m.id)).toContain("openai:gpt-4o-mini");
    expect((await listModels()).length).toBeGreaterThan(10);
  });
});

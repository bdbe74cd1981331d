/**
 * docs/clients.md, "Vercel AI SDK", "LangChain" and "LlamaIndex": each snippet run with the
 * framework's own packages against the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledger, newKey, runOk, startBench, type Bench } from "./harness.js";

let b: Bench;
beforeAll(async () => {
  b = await startBench();
});
afterAll(async () => b?.stop());

const rowsOf = async (keyId: string) =>
  (await ledger(b.gw, keyId)).map((r) => ({
    endpoint: r.endpoint,
    requested: r.requested_model,
    provider: r.provider,
    in: r.prompt_tokens,
    out: r.completion_tokens,
    streamed: r.streamed,
    status: r.status,
  }));

describe("Vercel AI SDK", () => {
  it("ai-sdk-openai: generateText and streamText with openai.chat()", async () => {
    const k = await newKey(b.gw, "ai-sdk-openai");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    b.openai.enqueue({ text: "1 2 3 4 5", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const out = await runOk("ai-sdk-openai", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from upstream 11 4\n1 2 3 4 5\n5 tokens out\n");
    const [gen, str] = b.openai.calls.slice(-2).map((c) => c.body);
    expect(b.openai.calls.slice(-2).map((c) => c.path)).toEqual(["/v1/chat/completions", "/v1/chat/completions"]);
    expect(gen).toMatchObject({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
    expect(str).toMatchObject({ model: "gpt-4o-mini", stream: true });
    expect(await rowsOf(k.id)).toEqual([
      { endpoint: "chat", requested: "openai:gpt-4o-mini", provider: "openai", in: 11, out: 4, streamed: false, status: 200 },
      { endpoint: "chat", requested: "fast", provider: "openai", in: 9, out: 5, streamed: true, status: 200 },
    ]);
  });

  it("ai-sdk-tools: the SDK runs the tool the model called and sends its result back", async () => {
    const k = await newKey(b.gw, "ai-sdk-tools");
    b.openai.enqueue({ toolCalls: [{ id: "call_w1", name: "getWeather", arguments: { city: "Paris" } }], usage: { prompt_tokens: 40, completion_tokens: 12 } });
    b.openai.enqueue({ text: "18 °C in Paris", usage: { prompt_tokens: 60, completion_tokens: 6 } });
    const out = await runOk("ai-sdk-tools", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("2 18 °C in Paris\n");
    const second = b.openai.calls.at(-1)!.body;
    expect(second.tools[0]).toMatchObject({ type: "function", function: { name: "getWeather" } });
    expect(second.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_w1", content: '{"city":"Paris","temp_c":18}' });
    expect((await rowsOf(k.id)).map((r) => [r.in, r.out])).toEqual([
      [40, 12],
      [60, 6],
    ]);
  });

  it("ai-sdk-anthropic: generateText and streamText with @ai-sdk/anthropic on /v1/messages", async () => {
    const k = await newKey(b.gw, "ai-sdk-anthropic");
    b.anthropic.enqueue({ text: "Hello from Claude", usage: { input: 14, output: 5 } });
    b.anthropic.enqueue({ text: "one two three four five", usage: { input: 12, output: 9 } });
    const out = await runOk("ai-sdk-anthropic", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from Claude 14 5\none two three four five\n");
    expect(b.anthropic.calls.slice(-2).map((c) => [c.body.model, c.body.stream ?? false])).toEqual([
      ["claude-haiku-4-5", false],
      ["claude-haiku-4-5", true],
    ]);
    expect(await rowsOf(k.id)).toEqual([
      { endpoint: "messages", requested: "anthropic:claude-haiku-4-5", provider: "anthropic", in: 14, out: 5, streamed: false, status: 200 },
      { endpoint: "messages", requested: "anthropic:claude-haiku-4-5", provider: "anthropic", in: 12, out: 9, streamed: true, status: 200 },
    ]);
  });
});

describe("LangChain", () => {
  it("langchain-openai: ChatOpenAI invoke and stream", async () => {
    const k = await newKey(b.gw, "langchain-openai");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    b.openai.enqueue({ text: "1 2 3 4 5", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const out = await runOk("langchain-openai", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from upstream 11 4\n1 2 3 4 5\n");
    expect(b.openai.calls.slice(-2).map((c) => [c.path, c.body.model, c.body.stream ?? false])).toEqual([
      ["/v1/chat/completions", "gpt-4o-mini", false],
      ["/v1/chat/completions", "gpt-4o-mini", true],
    ]);
    expect(await rowsOf(k.id)).toEqual([
      { endpoint: "chat", requested: "openai:gpt-4o-mini", provider: "openai", in: 11, out: 4, streamed: false, status: 200 },
      { endpoint: "chat", requested: "openai:gpt-4o-mini", provider: "openai", in: 9, out: 5, streamed: true, status: 200 },
    ]);
  });

  it("langchain-anthropic: ChatAnthropic invoke and stream", async () => {
    const k = await newKey(b.gw, "langchain-anthropic");
    b.anthropic.enqueue({ text: "Hello from Claude", usage: { input: 14, output: 5 } });
    b.anthropic.enqueue({ text: "one two three four five", usage: { input: 12, output: 9 } });
    const out = await runOk("langchain-anthropic", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from Claude 14 5\none two three four five\n");
    expect(b.anthropic.calls.slice(-2).map((c) => [c.body.model, c.body.stream ?? false])).toEqual([
      ["claude-haiku-4-5", false],
      ["claude-haiku-4-5", true],
    ]);
    expect(await rowsOf(k.id)).toEqual([
      { endpoint: "messages", requested: "anthropic:claude-haiku-4-5", provider: "anthropic", in: 14, out: 5, streamed: false, status: 200 },
      { endpoint: "messages", requested: "anthropic:claude-haiku-4-5", provider: "anthropic", in: 12, out: 9, streamed: true, status: 200 },
    ]);
  });
});

describe("LlamaIndex", () => {
  it("llamaindex: OpenAI LLM chat and streamed chat", async () => {
    const k = await newKey(b.gw, "llamaindex");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    b.openai.enqueue({ text: "1 2 3 4 5", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const out = await runOk("llamaindex", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from upstream\n1 2 3 4 5\n");
    expect(b.openai.calls.slice(-2).map((c) => [c.path, c.body.model, c.body.stream ?? false])).toEqual([
      ["/v1/chat/completions", "gpt-4o-mini", false],
      ["/v1/chat/completions", "gpt-4o-mini", true],
    ]);
    expect((await rowsOf(k.id)).map((r) => [r.endpoint, r.requested, r.in, r.out, r.streamed])).toEqual([
      ["chat", "openai:gpt-4o-mini", 11, 4, false],
      ["chat", "openai:gpt-4o-mini", 9, 5, true],
    ]);
  });
});

/** docs/clients.md, "OpenAI SDK for TypeScript": each snippet run with `openai` against the gateway. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledger, newKey, runOk, startBench, type Bench } from "./harness.js";

let b: Bench;
beforeAll(async () => {
  b = await startBench();
});
afterAll(async () => b?.stop());

describe("OpenAI SDK for TypeScript", () => {
  it("openai-chat: the answer and usage the upstream sent, one ledger entry for the key", async () => {
    const k = await newKey(b.gw, "openai-chat");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    const out = await runOk("openai-chat", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from upstream\n11 4\n");
    expect(b.openai.calls.at(-1)!.body).toMatchObject({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
    const rows = await ledger(b.gw, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      endpoint: "chat",
      requested_model: "openai:gpt-4o-mini",
      provider: "openai",
      model: "gpt-4o-mini",
      status: 200,
      prompt_tokens: 11,
      completion_tokens: 4,
      streamed: false,
    });
  });

  it("openai-stream: the streamed text through the alias, usage in the last chunk", async () => {
    const k = await newKey(b.gw, "openai-stream");
    b.openai.enqueue({ text: "1 2 3 4 5", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const out = await runOk("openai-stream", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("1 2 3 4 5\n9 in, 5 out\n");
    expect(b.openai.calls.at(-1)!.body).toMatchObject({ model: "gpt-4o-mini", stream: true, stream_options: { include_usage: true } });
    const rows = await ledger(b.gw, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "chat", requested_model: "fast", model: "gpt-4o-mini", status: 200, prompt_tokens: 9, completion_tokens: 5, streamed: true });
  });

  it("openai-tools: the tool call, then the answer to the tool result", async () => {
    const k = await newKey(b.gw, "openai-tools");
    b.openai.enqueue({ toolCalls: [{ id: "call_abc", name: "get_weather", arguments: { city: "Paris" } }], usage: { prompt_tokens: 40, completion_tokens: 12 } });
    b.openai.enqueue({ text: "18 °C in Paris", usage: { prompt_tokens: 60, completion_tokens: 6 } });
    const out = await runOk("openai-tools", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe('get_weather {"city":"Paris"}\n18 °C in Paris\n');
    const second = b.openai.calls.at(-1)!.body;
    expect(second.tools[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(second.messages.at(-2)).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_abc", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] });
    expect(second.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_abc", content: '{"temp_c": 18}' });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((r) => [r.prompt_tokens, r.completion_tokens])).toEqual([
      [40, 12],
      [60, 6],
    ]);
  });

  it("openai-embeddings: the vectors the upstream sent (the SDK asks for base64 and decodes it)", async () => {
    const k = await newKey(b.gw, "openai-embeddings");
    b.openai.enqueue({ path: "/v1/embeddings", vectors: [[0.5, -0.25, 0.125]] });
    const out = await runOk("openai-embeddings", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("2 [ 0.5, -0.25, 0.125 ]\n");
    expect(b.openai.calls.at(-1)!.body).toMatchObject({ model: "text-embedding-3-small", input: ["first text", "second text"] });
    const rows = await ledger(b.gw, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "embeddings", requested_model: "openai:text-embedding-3-small", status: 200 });
  });
});

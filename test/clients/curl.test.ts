/** docs/clients.md, "curl": each command run with the machine's curl against the gateway. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledger, newKey, runOk, startBench, type Bench } from "./harness.js";

let b: Bench;
beforeAll(async () => {
  b = await startBench();
});
afterAll(async () => b?.stop());

/** The JSON of each `data:` line of an SSE body, until `[DONE]` (which must be the last). */
function sseData(body: string): any[] {
  const data = body
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map((l) => l.slice(6));
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((d) => JSON.parse(d));
}

describe("curl", () => {
  it("curl-chat: a chat.completion with the upstream's answer and usage", async () => {
    const k = await newKey(b.gw, "curl-chat");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    const r = JSON.parse(await runOk("curl-chat", b.gw.url, { SWITCHBOARD_KEY: k.key }));
    expect(r).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini", choices: [{ message: { role: "assistant", content: "Hello from upstream" }, finish_reason: "stop" }] });
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((x) => [x.endpoint, x.requested_model, x.prompt_tokens, x.completion_tokens])).toEqual([["chat", "openai:gpt-4o-mini", 11, 4]]);
  });

  it("curl-stream: chunks that add up to the answer, usage in the last one, then [DONE]", async () => {
    const k = await newKey(b.gw, "curl-stream");
    b.openai.enqueue({ text: "1 2 3 4 5", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const chunks = sseData(await runOk("curl-stream", b.gw.url, { SWITCHBOARD_KEY: k.key }));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("1 2 3 4 5");
    expect(chunks.at(-1)).toMatchObject({ object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((x) => [x.endpoint, x.requested_model, x.prompt_tokens, x.completion_tokens, x.streamed])).toEqual([["chat", "fast", 9, 5, true]]);
  });

  it("curl-embeddings: the upstream's vector", async () => {
    const k = await newKey(b.gw, "curl-embeddings");
    b.openai.enqueue({ path: "/v1/embeddings", vectors: [[0.5, -0.25]] });
    const r = JSON.parse(await runOk("curl-embeddings", b.gw.url, { SWITCHBOARD_KEY: k.key }));
    expect(r).toMatchObject({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.5, -0.25] }] });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((x) => [x.endpoint, x.requested_model])).toEqual([["embeddings", "openai:text-embedding-3-small"]]);
  });

  it("curl-messages: an Anthropic Message with Claude's answer and usage", async () => {
    const k = await newKey(b.gw, "curl-messages");
    b.anthropic.enqueue({ text: "Hello from Claude", usage: { input: 14, output: 5 } });
    const r = JSON.parse(await runOk("curl-messages", b.gw.url, { SWITCHBOARD_KEY: k.key }));
    expect(r).toMatchObject({ type: "message", role: "assistant", content: [{ type: "text", text: "Hello from Claude" }], stop_reason: "end_turn", usage: { input_tokens: 14, output_tokens: 5 } });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((x) => [x.endpoint, x.requested_model, x.provider, x.prompt_tokens, x.completion_tokens])).toEqual([["messages", "anthropic:claude-haiku-4-5", "anthropic", 14, 5]]);
  });

  it("curl-models: the alias and the providers' models, nothing in the ledger", async () => {
    const k = await newKey(b.gw, "curl-models");
    const r = JSON.parse(await runOk("curl-models", b.gw.url, { SWITCHBOARD_KEY: k.key }));
    const ids = r.data.map((m: { id: string }) => m.id);
    expect(r.object).toBe("list");
    expect(ids).toContain("fast");
    expect(ids).toContain("openai:gpt-4o-mini");
    expect(ids).toContain("anthropic:claude-haiku-4-5");
    expect(await ledger(b.gw, k.id)).toEqual([]);
  });
});

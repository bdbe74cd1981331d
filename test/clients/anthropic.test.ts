/** docs/clients.md, "Anthropic SDK for TypeScript": each snippet run with `@anthropic-ai/sdk` against the gateway. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledger, newKey, runOk, startBench, type Bench } from "./harness.js";

let b: Bench;
beforeAll(async () => {
  b = await startBench();
});
afterAll(async () => b?.stop());

describe("Anthropic SDK for TypeScript", () => {
  it("anthropic-messages: Claude's answer and usage, then an OpenAI model through the alias", async () => {
    const k = await newKey(b.gw, "anthropic-messages");
    b.anthropic.enqueue({ text: "Hello from Claude", usage: { input: 14, output: 5 } });
    b.openai.enqueue({ text: "Hello from GPT", usage: { prompt_tokens: 8, completion_tokens: 3 } });
    const out = await runOk("anthropic-messages", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from Claude\n14 5\ngpt-4o-mini Hello from GPT\n");
    expect(b.anthropic.calls.at(-1)!.body).toMatchObject({ model: "claude-haiku-4-5", max_tokens: 256, messages: [{ role: "user", content: "Say hello" }] });
    expect(b.openai.calls.at(-1)!.body).toMatchObject({ model: "gpt-4o-mini", max_tokens: 256 });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((r) => [r.endpoint, r.requested_model, r.provider, r.prompt_tokens, r.completion_tokens])).toEqual([
      ["messages", "anthropic:claude-haiku-4-5", "anthropic", 14, 5],
      ["messages", "fast", "openai", 8, 3],
    ]);
  });

  it("anthropic-stream: the text as it streams, the final message's stop reason and usage", async () => {
    const k = await newKey(b.gw, "anthropic-stream");
    b.anthropic.enqueue({ text: "one two three four five", usage: { input: 12, output: 9 } });
    const out = await runOk("anthropic-stream", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("one two three four five\nend_turn, 9 tokens out\n");
    expect(b.anthropic.calls.at(-1)!.body).toMatchObject({ model: "claude-haiku-4-5", stream: true });
    const rows = await ledger(b.gw, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "messages", provider: "anthropic", prompt_tokens: 12, completion_tokens: 9, streamed: true, status: 200 });
  });

  it("anthropic-count-tokens: the gateway's count, no upstream call and nothing in the ledger", async () => {
    const k = await newKey(b.gw, "anthropic-count");
    const before = b.anthropic.calls.length;
    const res = await b.gw.post(
      "/v1/messages/count_tokens",
      { model: "anthropic:claude-haiku-4-5", messages: [{ role: "user", content: "How many tokens is this?" }] },
      { authorization: `Bearer ${k.key}` },
    );
    const expected = ((await res.json()) as { input_tokens: number }).input_tokens;
    expect(expected).toBeGreaterThan(5);
    const out = await runOk("anthropic-count-tokens", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe(`${expected}\n`);
    expect(b.anthropic.calls.length).toBe(before);
    expect(await ledger(b.gw, k.id)).toEqual([]);
  });

  // Anthropic's SDKs and Claude Code send `role: "system"` messages inside `messages`: translated,
  // each stays a system message at its place in the conversation.
  it("a system-role message inside `messages` is answered, kept at its place", async () => {
    const k = await newKey(b.gw, "anthropic-system-role");
    b.openai.enqueue({ text: "ok", usage: { prompt_tokens: 5, completion_tokens: 1 } });
    const res = await b.gw.post(
      "/v1/messages",
      {
        model: "fast",
        max_tokens: 64,
        messages: [
          { role: "user", content: "hi" },
          { role: "system", content: "Answer briefly." },
        ],
      },
      { authorization: `Bearer ${k.key}`, "anthropic-version": "2023-06-01" },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(b.openai.calls.at(-1)!.body.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "system", content: "Answer briefly." },
    ]);
  });
});

/** docs/clients.md, "Vercel AI SDK": `openai.responses(...)` against the gateway's Responses API. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledger, newKey, runOk, startBench, type Bench } from "./harness.js";

let b: Bench;
beforeAll(async () => {
  b = await startBench();
});
afterAll(async () => b?.stop());

describe("Vercel AI SDK, Responses API", () => {
  it("ai-sdk-responses: generateText (OpenAI upstream) and streamText (Anthropic upstream) with openai.responses()", async () => {
    const k = await newKey(b.gw, "ai-sdk-responses");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    b.anthropic.enqueue({ text: "one two three four five", usage: { input: 12, output: 9 } });
    const out = await runOk("ai-sdk-responses", b.gw.url, { SWITCHBOARD_KEY: k.key });
    expect(out).toBe("Hello from upstream 11 4\none two three four five\n9 tokens out\n");
    expect(b.openai.calls.at(-1)!.body).toMatchObject({ model: "gpt-4o-mini", messages: [{ role: "user", content: [{ type: "text", text: "Say hello" }] }] });
    expect(b.anthropic.calls.at(-1)!.body).toMatchObject({ model: "claude-haiku-4-5", stream: true });
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((r) => [r.endpoint, r.requested_model, r.provider, r.prompt_tokens, r.completion_tokens, r.streamed, r.status])).toEqual([
      ["responses", "openai:gpt-4o-mini", "openai", 11, 4, false, 200],
      ["responses", "anthropic:claude-haiku-4-5", "anthropic", 12, 9, true, 200],
    ]);
  });
});

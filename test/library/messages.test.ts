/** The library's `messages()`: Anthropic-shaped calls to any provider, native for Anthropic, translated for others. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InvalidRequestError, messages, type MessageStreamEvent } from "../../src/sdk/index.js";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

let claude: FakeAnthropic;
let openai: FakeOpenAI;
beforeAll(async () => {
  claude = await startFakeAnthropic();
  openai = await startFakeOpenAI();
});
afterAll(async () => {
  await claude?.close();
  await openai?.close();
});
beforeEach(() => {
  claude.reset();
  openai.reset();
});

const anthropic = () => ({ provider: { apiKey: claude.apiKey, baseUrl: claude.url } });
const local = () => ({ provider: { type: "openai", apiKey: "sk-lib-test-000000", baseUrl: openai.url } });

const REQUEST = {
  max_tokens: 1024,
  system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
  tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 1 }],
  messages: [{ role: "user", content: [{ type: "text", text: "Hi", cache_control: { type: "ephemeral", ttl: "1h" } }] }],
};

const MESSAGE = {
  id: "msg_01Lib",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5",
  content: [
    { type: "redacted_thinking", data: "abc" },
    { type: "text", text: "Hello" },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 2 },
};

async function collect(it: AsyncIterable<MessageStreamEvent>): Promise<MessageStreamEvent[]> {
  const out: MessageStreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe("messages() to Anthropic: native", () => {
  it("sends the request as it is (only model replaced, betas as anthropic-beta) and returns Anthropic's Message unchanged", async () => {
    claude.enqueue({ message: MESSAGE });
    const msg = await messages({ model: "anthropic:claude-sonnet-4-5", ...REQUEST, betas: ["context-1m-2025-08-07"], ...anthropic() });
    expect(msg).toEqual(MESSAGE);
    expect(claude.calls[0].body).toEqual({ model: "claude-sonnet-4-5", ...REQUEST });
    expect(claude.calls[0].headers["anthropic-beta"]).toBe("context-1m-2025-08-07");
  });

  it("streams Anthropic's own events", async () => {
    claude.enqueue({ reasoning: "hmm", text: "Hi there" });
    const events = await collect(await messages({ model: "anthropic:claude-sonnet-4-5", ...anthropic(), ...REQUEST, stream: true }));
    expect(events[0].type).toBe("message_start");
    expect(events.some((e) => e.type === "content_block_delta" && (e.delta as any).type === "signature_delta")).toBe(true);
    expect(events.at(-1)).toEqual({ type: "message_stop" });
  });
});

describe("messages() to another provider: translated", () => {
  it("returns a Message with Anthropic's usage split; betas and translation limits are warned about", async () => {
    openai.enqueue({ text: "Bonjour", usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } });
    const warnings: string[] = [];
    const msg = await messages({ model: "local:gpt-4o", max_tokens: 64, messages: [{ role: "user", content: "Hi" }], betas: ["x-beta"], onWarning: (w) => void warnings.push(w), ...local() });
    expect(msg).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "Bonjour" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 8, output_tokens: 3, cache_read_input_tokens: 4 },
    });
    expect(msg.id).toMatch(/^msg_/);
    expect(openai.calls[0].path).toBe("/v1/chat/completions");
    expect(warnings).toEqual(["anthropic-beta x-beta is not honoured by provider local (the request was translated for it); ignored"]);
  });

  it("streams Anthropic's event sequence", async () => {
    openai.enqueue({ text: "one two", chunks: 2, usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const events = await collect(await messages({ model: "local:gpt-4o", max_tokens: 64, stream: true, messages: [{ role: "user", content: "Hi" }], ...local() }));
    expect(events.map((e) => e.type)).toEqual(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(events.at(-2)).toMatchObject({ usage: { input_tokens: 5, output_tokens: 2 } });
  });

  it("refuses what the translation cannot carry", async () => {
    const err = await messages({ model: "local:gpt-4o", ...REQUEST, ...local() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as Error).message).toContain('Anthropic server tools ("web_search_20250305") are not available');
    expect(openai.calls).toHaveLength(0);
  });
});

/**
 * POST /v1/messages in front of a provider that does not speak Anthropic's API: the official
 * `@anthropic-ai/sdk` against the gateway, the gateway's config pointing the model at the Gemini
 * fake (which speaks Gemini's own wire format). Text with usage in the ledger, the streamed event
 * sequence compared with a recorded Anthropic stream, and a tool-use round trip.
 */
import { readFileSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listUsageByRequest } from "../../src/usage/query.js";
import { geminiTarget } from "../conformance/targets/gemini.js";
import type { FakeProvider } from "../conformance/types.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

/** The event types of a recorded Anthropic text stream, in order (the SDK does not yield `ping`). */
const recorded = readFileSync(new URL("../fixtures/anthropic/text-non-ascii.sse", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("event: ") && l !== "event: ping")
  .map((l) => l.slice("event: ".length));
/** Runs of deltas collapsed: how many there are depends on the provider's chunks. */
const collapse = (types: string[]) => types.filter((t, i) => t !== "content_block_delta" || types[i - 1] !== t);

const WEATHER = { name: "get_weather", description: "Weather of a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } };

describe("/v1/messages in front of gemini (translated)", () => {
  let up: FakeProvider;
  let gw: TestGateway;
  let client: Anthropic;
  const model = `up:${geminiTarget.model}`;

  beforeAll(async () => {
    up = await geminiTarget.startFake();
    gw = await startTestGateway({ providers: { up: up.providerConfig } });
    client = new Anthropic({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });
  beforeEach(() => up.reset());

  it("text: a Message with Gemini's usage, recorded in the ledger as endpoint messages", async () => {
    up.enqueue({ text: "Bonjour ✓", usage: { input: 21, output: 4 } });
    const { data: m, response } = await client.messages.create({ model, max_tokens: 100, system: "Be brief.", messages: [{ role: "user", content: "Say hello" }] }).withResponse();
    expect(m).toMatchObject({ type: "message", role: "assistant", content: [{ type: "text", text: "Bonjour ✓" }], stop_reason: "end_turn", usage: { input_tokens: 21, output_tokens: 4 } });
    expect(up.calls).toHaveLength(1);
    await gw.usage.flush();
    const rows = await listUsageByRequest(gw.store.db, response.headers.get("x-switchboard-request-id")!);
    expect(rows[0]).toMatchObject({ endpoint: "messages", provider: "up", status: 200, promptTokens: 21, completionTokens: 4 });
  });

  it("stream: the event sequence of a recorded Anthropic stream, with the text and usage", async () => {
    up.enqueue({ text: "one two three", usage: { input: 5, output: 3 } });
    const types: string[] = [];
    let text = "";
    let final: any;
    for await (const ev of await client.messages.create({ model, max_tokens: 100, stream: true, messages: [{ role: "user", content: "count" }] })) {
      types.push(ev.type);
      if (ev.type === "content_block_delta" && ev.delta.type === "text_delta") text += ev.delta.text;
      if (ev.type === "message_delta") final = ev;
    }
    expect(collapse(types)).toEqual(collapse(recorded));
    expect(text).toBe("one two three");
    expect(final.usage).toMatchObject({ output_tokens: 3 });
  });

  it("tool use over two turns: tool_use with parsed input, then the tool_result answered", async () => {
    up.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls", usage: { input: 30, output: 8 } });
    const first = await client.messages.create({ model, max_tokens: 100, tools: [WEATHER], messages: [{ role: "user", content: "Weather in Paris?" }] });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(use).toMatchObject({ name: "get_weather", input: { city: "Paris" } });
    up.enqueue({ text: "Sunny", usage: { input: 40, output: 2 } });
    const second = await client.messages.create({
      model,
      max_tokens: 100,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "22°C, sunny" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "Sunny" }]);
    // The tool's answer reached Gemini as its functionResponse.
    expect(JSON.stringify(up.calls[1].body)).toContain("22°C, sunny");
  });
});

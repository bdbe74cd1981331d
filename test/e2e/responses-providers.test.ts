/**
 * POST /v1/responses in front of every kind of upstream: the official `openai` SDK against the
 * gateway, the gateway's config pointing the model at the Anthropic, Gemini or Bedrock fake
 * (each speaking its provider's own wire format). Text, the streamed event sequence, function
 * calls over two turns with previous_response_id, and the ledger's usage.
 */
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listUsageByRequest } from "../../src/usage/query.js";
import { anthropicTarget } from "../conformance/targets/anthropic.js";
import { bedrockTarget } from "../conformance/targets/bedrock.js";
import { geminiTarget } from "../conformance/targets/gemini.js";
import type { ConformanceTarget, FakeProvider } from "../conformance/types.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const recorded = (JSON.parse(readFileSync(new URL("../fixtures/openai-responses/text-stream.events.json", import.meta.url), "utf8")) as Array<{ type: string }>).map((e) => e.type);
/** Event types with runs of the same delta type collapsed: the number of deltas depends on the provider's chunks. */
const collapse = (types: string[]) => types.filter((t, i) => !t.endsWith(".delta") || types[i - 1] !== t);

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

for (const target of [anthropicTarget, geminiTarget, bedrockTarget] as ConformanceTarget[]) {
  describe(`/v1/responses in front of ${target.type}`, () => {
    let up: FakeProvider;
    let gw: TestGateway;
    let client: OpenAI;
    const model = `up:${target.model}`;

    beforeAll(async () => {
      up = await target.startFake();
      gw = await startTestGateway({ providers: { up: up.providerConfig } });
      client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
    });
    afterAll(async () => {
      await gw?.stop();
      await up?.close();
    });
    beforeEach(() => up.reset());

    it("text: a completed Response with the provider's usage, recorded in the ledger as endpoint responses", async () => {
      up.enqueue({ text: "Bonjour ✓", usage: { input: 21, output: 4 } });
      const { data: r, response } = await client.responses.create({ model, instructions: "Be brief.", input: "Say hello", max_output_tokens: 100 }).withResponse();
      expect(r).toMatchObject({ object: "response", status: "completed", output_text: "Bonjour ✓", usage: { input_tokens: 21, output_tokens: 4, total_tokens: 25 } });
      expect(r.output).toHaveLength(1);
      await gw.usage.flush();
      const rows = await listUsageByRequest(gw.store.db, response.headers.get("x-switchboard-request-id")!);
      expect(rows[0]).toMatchObject({ endpoint: "responses", provider: "up", status: 200, promptTokens: 21, completionTokens: 4 });
      expect(up.calls).toHaveLength(1);
    });

    it("stream: the recorded event sequence", async () => {
      up.enqueue({ text: "one two three", usage: { input: 5, output: 3 } });
      const events: any[] = [];
      for await (const ev of await client.responses.create({ model, input: "count", stream: true, max_output_tokens: 100 })) events.push(ev);
      expect(collapse(events.map((e) => e.type))).toEqual(collapse(recorded));
      expect(
        events
          .filter((e) => e.type === "response.output_text.delta")
          .map((e) => e.delta as string)
          .join(""),
      ).toBe("one two three");
      expect(events.at(-1).response.usage).toMatchObject({ input_tokens: 5, output_tokens: 3 });
    });

    it("function tools over two turns with previous_response_id", async () => {
      up.enqueue({ toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls", usage: { input: 30, output: 8 } });
      const first = await client.responses.create({ model, input: "Weather in Paris?", tools: [WEATHER], max_output_tokens: 100 });
      const call = first.output.find((o) => o.type === "function_call") as { call_id: string; name: string; arguments: string } | undefined;
      expect(call).toMatchObject({ name: "get_weather" });
      expect(JSON.parse(call!.arguments)).toEqual({ city: "Paris" });
      up.enqueue({ text: "Sunny", usage: { input: 40, output: 2 } });
      const second = await client.responses.create({
        model,
        previous_response_id: first.id,
        tools: [WEATHER],
        input: [{ type: "function_call_output", call_id: call!.call_id, output: '{"temp":21}' }],
        max_output_tokens: 100,
      });
      expect(second.output_text).toBe("Sunny");
      // The second upstream request carries the whole conversation in the provider's own format.
      const body = JSON.stringify(up.calls[1].body);
      expect(body).toContain("Weather in Paris?");
      expect(body).toContain("get_weather");
      // The tool output, as a string or (Gemini's functionResponse) as the object it holds.
      expect(body).toMatch(/temp\\?":21/);
    });
  });
}

describe("/v1/responses reasoning in front of Anthropic: thinking as reasoning items, replayed by previous_response_id", () => {
  let up: FakeProvider;
  let gw: TestGateway;
  let client: OpenAI;
  const model = `up:${anthropicTarget.model}`;

  beforeAll(async () => {
    up = await anthropicTarget.startFake();
    gw = await startTestGateway({ providers: { up: up.providerConfig } });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it("non-stream: a reasoning item (encrypted_content only when included), and the signed thinking sent back on the next turn", async () => {
    up.enqueue({ reasoning: "Six times seven…", text: "42", usage: { input: 10, output: 20 } });
    const first = await client.responses.create({ model, input: "6*7?", reasoning: { effort: "low" }, max_output_tokens: 4096, include: ["reasoning.encrypted_content"] });
    expect(up.calls[0].body.thinking).toMatchObject({ type: "enabled" });
    const reasoning = first.output[0] as { type: string; content: Array<{ type: string; text: string }>; encrypted_content: string };
    expect(reasoning).toMatchObject({ type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "Six times seven…" }] });
    expect(reasoning.encrypted_content).toMatch(/^sig_/);
    expect(first.output[1]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "42" }] });
    // Without include, the signature is not shown, but it is kept for the next turn.
    const plain = (await client.responses.retrieve(first.id)).output[0];
    expect(plain).not.toHaveProperty("encrypted_content");

    up.enqueue({ reasoning: "Again…", text: "Still 42" });
    await client.responses.create({ model, previous_response_id: first.id, input: "Sure?", reasoning: { effort: "low" }, max_output_tokens: 4096 });
    expect(up.calls[1].body.messages[1]).toEqual({
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Six times seven…", signature: reasoning.encrypted_content },
        { type: "text", text: "42" },
      ],
    });
  });

  it("stream: the reasoning item's events come before the message's", async () => {
    up.enqueue({ reasoning: "Thinking hard", text: "Done" });
    const events: any[] = [];
    for await (const ev of await client.responses.create({ model, input: "x", reasoning: { effort: "low" }, max_output_tokens: 4096, stream: true })) events.push(ev);
    expect(collapse(events.map((e) => e.type))).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
      ...collapse(recorded).slice(2),
    ]);
    expect(events.at(-1).response.output.map((o: { type: string }) => o.type)).toEqual(["reasoning", "message"]);
    expect(
      events
        .filter((e) => e.type === "response.reasoning_text.delta")
        .map((e) => e.delta as string)
        .join(""),
    ).toBe("Thinking hard");
  });
});

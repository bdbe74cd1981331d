/**
 * Anthropic's Messages API on the gateway: the official `@anthropic-ai/sdk` pointed at it, routed to
 * an OpenAI upstream. What the upstream receives (the canonical translation), what the client gets
 * back (a Message, or Anthropic's exact event sequence), errors in Anthropic's envelope, and the
 * same keys, limits, budgets and ledger as chat completions.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { estimatePromptTokens } from "../../src/core/tokens.js";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let claudeUp: FakeAnthropic;
let gw: TestGateway;
let client: Anthropic;

const MODEL = "up:gpt-4o";
const WEATHER_TOOL = { name: "get_weather", description: "Weather of a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } };

async function newKey(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await gw.admin("POST", "/v1/keys", { key_name: "anthropic-client", ...fields });
  expect(res.status).toBe(201);
  return res.body.key as string;
}

const sdk = (apiKey: string) => new Anthropic({ baseURL: gw.url, apiKey, maxRetries: 0 });

/** A raw POST with Anthropic's headers (x-api-key, anthropic-version) unless told otherwise. */
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(gw.url + path, {
    method: "POST",
    headers: { "x-api-key": gw.masterKey, "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  fake = await startFakeOpenAI();
  claudeUp = await startFakeAnthropic();
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" }, claude: { type: "anthropic", base_url: claudeUp.url, api_key: claudeUp.apiKey } },
  });
  client = sdk(await newKey());
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
  await claudeUp?.close();
});
beforeEach(() => {
  fake.reset();
  claudeUp.reset();
});

describe("POST /v1/messages with the official Anthropic SDK", () => {
  it("non-stream text: a Message with msg_ id, text block, end_turn and Anthropic's usage split", async () => {
    fake.enqueue({ text: "Hello there", usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } });
    const { data: msg, response } = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(msg).toMatchObject({ type: "message", role: "assistant", model: "gpt-4o", content: [{ type: "text", text: "Hello there" }], stop_reason: "end_turn", stop_sequence: null });
    expect(msg.id).toMatch(/^msg_/);
    // input_tokens excludes the cache reads, as Anthropic counts them.
    expect(msg.usage).toMatchObject({ input_tokens: 8, output_tokens: 3, cache_read_input_tokens: 4, cache_creation_input_tokens: 0 });
    expect(response.headers.get("request-id")).toBe(response.headers.get("x-switchboard-request-id"));
    expect(msg.id).toBe(`msg_${response.headers.get("x-switchboard-request-id")!.slice(4)}`);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].path).toBe("/v1/chat/completions");
    expect(fake.calls[0].body).toMatchObject({ model: "gpt-4o", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
  });

  it("stream: the exact event sequence, text deltas that add up, and usage in the final message_delta", async () => {
    fake.enqueue({ text: "one two three four five", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    const stream = await client.messages.create({ model: MODEL, max_tokens: 64, stream: true, messages: [{ role: "user", content: "count" }] });
    const types: string[] = [];
    let text = "";
    let final: any;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === "content_block_delta" && ev.delta.type === "text_delta") text += ev.delta.text;
      if (ev.type === "message_delta") final = ev;
    }
    // The SDK swallows `ping` (checked on the wire below).
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(text).toBe("one two three four five");
    expect(final.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 5 });
    expect(fake.calls[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("stream on the wire: `event:` lines naming each event, and the SDK's accumulated message", async () => {
    fake.enqueue({ text: "abc", chunks: 1, usage: { prompt_tokens: 2, completion_tokens: 1 } });
    const res = await post("/v1/messages", { model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: "x" }] });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const body = await res.text();
    expect(body.startsWith('event: message_start\ndata: {"type":"message_start"')).toBe(true);
    expect([...body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(body).toContain('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abc"}}');
    expect(body.trimEnd().endsWith('event: message_stop\ndata: {"type":"message_stop"}')).toBe(true);
    expect(body).not.toContain("[DONE]");

    fake.enqueue({ text: "streamed whole", usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const final = await client.messages.stream({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "x" }] }).finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "streamed whole" }]);
    expect(final.usage).toMatchObject({ input_tokens: 3, output_tokens: 2 });
  });

  it("tool use round trip: tools and tool_choice translated, tool_use with parsed input, then tool_result back as a tool message", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }], usage: { prompt_tokens: 30, completion_tokens: 8 } });
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([{ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } }]);
    expect(fake.calls[0].body.tools).toEqual([{ type: "function", function: { name: "get_weather", description: "Weather of a city", parameters: WEATHER_TOOL.input_schema } }]);
    expect(fake.calls[0].body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(fake.calls[0].body.parallel_tool_calls).toBe(false);

    fake.enqueue({ text: "It is 18C in Paris." });
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            { type: "text", text: "and be brief" },
            { type: "tool_result", tool_use_id: "call_1", content: "18C" },
          ],
        },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "It is 18C in Paris." }]);
    expect(fake.calls[1].body.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "18C" },
      { role: "user", content: [{ type: "text", text: "and be brief" }] },
    ]);
  });

  it("streamed tool use: tool_use block start, input_json_delta pieces, and the SDK parses the input", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_9", name: "get_weather", arguments: { city: "Oslo" } }], chunks: 3 });
    const events: any[] = [];
    const s = client.messages.stream({ model: MODEL, max_tokens: 64, tools: [WEATHER_TOOL], messages: [{ role: "user", content: "Oslo?" }] });
    s.on("streamEvent", (e) => void events.push(e));
    const final = await s.finalMessage();
    expect(final.content).toEqual([{ type: "tool_use", id: "call_9", name: "get_weather", input: { city: "Oslo" } }]);
    expect(final.stop_reason).toBe("tool_use");
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events[1].content_block).toEqual({ type: "tool_use", id: "call_9", name: "get_weather", input: {} });
    expect(events[2].delta.type).toBe("input_json_delta");
    expect(
      events
        .slice(2, 5)
        .map((e) => e.delta.partial_json as string)
        .join(""),
    ).toBe('{"city":"Oslo"}');
  });

  it("system as blocks keeps cache_control on the system part; a string system is one system message", async () => {
    await client.messages.create({
      model: MODEL,
      max_tokens: 16,
      system: [
        { type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Answer in French." },
      ],
      messages: [{ role: "user", content: "hi" }],
    });
    expect(fake.calls[0].body.messages[0]).toEqual({
      role: "system",
      content: [
        { type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } },
        { type: "text", text: "Answer in French." },
      ],
    });
    await client.messages.create({ model: MODEL, max_tokens: 16, system: "Be kind.", messages: [{ role: "user", content: "hi" }] });
    expect(fake.calls[1].body.messages[0]).toEqual({ role: "system", content: "Be kind." });
  });

  it("images: base64 becomes a data URL, a URL image stays a URL", async () => {
    await client.messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "text", text: "what is this?" },
          ],
        },
      ],
    });
    expect(fake.calls[0].body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          { type: "text", text: "what is this?" },
        ],
      },
    ]);
  });

  it("stop sequences go upstream as stop; a provider that names the matched one gives stop_sequence", async () => {
    fake.enqueue({
      body: {
        id: "cmpl-1",
        object: "chat.completion",
        created: 1,
        model: "gpt-4o",
        choices: [{ index: 0, message: { role: "assistant", content: "1, 2, 3" }, finish_reason: "stop", stop_reason: "END" }],
        usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
      },
    });
    const msg = await client.messages.create({
      model: MODEL,
      max_tokens: 16,
      stop_sequences: ["END", "STOP"],
      metadata: { user_id: "u-42" },
      messages: [{ role: "user", content: "count" }],
    });
    expect(fake.calls[0].body).toMatchObject({ stop: ["END", "STOP"], user: "u-42" });
    expect(msg.stop_reason).toBe("stop_sequence");
    expect(msg.stop_sequence).toBe("END");

    fake.enqueue({ text: "long", finishReason: "length" });
    expect((await client.messages.create({ model: MODEL, max_tokens: 1, messages: [{ role: "user", content: "x" }] })).stop_reason).toBe("max_tokens");
  });
});

describe("API versions", () => {
  it("the SDK's 2026-10-21 and an absent header are served; 2023-06-01 takes sampling parameters, 2026-10-21 refuses them", async () => {
    const body = { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] };
    expect((await post("/v1/messages", body, { "anthropic-version": "2026-10-21" })).status).toBe(200);
    const bare = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(bare.status).toBe(200);
    const sampled = { ...body, temperature: 0.2, top_p: 0.9, top_k: 5 };
    expect((await post("/v1/messages", sampled, { "anthropic-version": "2023-06-01" })).status).toBe(200);
    expect(fake.calls[2].body).toMatchObject({ temperature: 0.2, top_p: 0.9, top_k: 5 });
    const refused = await post("/v1/messages", sampled, { "anthropic-version": "2026-10-21" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error).toMatchObject({
      type: "invalid_request_error",
      message: expect.stringContaining("temperature, top_p, top_k are not accepted with anthropic-version 2026-10-21"),
    });
    expect(fake.calls).toHaveLength(3);
  });
});

describe("errors in Anthropic's envelope", () => {
  it("401: an unknown key is authentication_error, and the SDK raises AuthenticationError", async () => {
    const res = await post("/v1/messages", { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] }, { "x-api-key": "sb-not-a-real-key-0000000000" });
    expect(res.status).toBe(401);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ type: "error", error: { type: "authentication_error", message: expect.stringMatching(/\S/) } });
    expect(body.request_id).toBe(res.headers.get("x-switchboard-request-id"));
    await expect(sdk("sb-not-a-real-key-0000000000").messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    expect(fake.calls).toHaveLength(0);
  });

  it("400: unknown top-level fields are named, a missing max_tokens and another anthropic-version are refused", async () => {
    const unknown = await post("/v1/messages", { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }], frequency_penalty: 1, mcp_servers: [] });
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as any;
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain('"frequency_penalty", "mcp_servers"');
    const noMax = await post("/v1/messages", { model: MODEL, messages: [{ role: "user", content: "x" }] });
    expect(noMax.status).toBe(400);
    expect(((await noMax.json()) as any).error.message).toContain("max_tokens");
    const version = await post("/v1/messages", { model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] }, { "anthropic-version": "2020-01-01" });
    expect(version.status).toBe(400);
    expect(((await version.json()) as any).error).toMatchObject({ type: "invalid_request_error", message: expect.stringContaining("anthropic-version") });
    const cited = await post("/v1/messages", {
      model: MODEL,
      max_tokens: 8,
      messages: [{ role: "user", content: [{ type: "text", text: "x", citations: [{ type: "char_location", cited_text: "x" }] }] }],
    });
    expect(cited.status).toBe(400);
    expect(((await cited.json()) as any).error.message).toContain("messages[0].content[0].citations");
    const serverTool = await post("/v1/messages", {
      model: MODEL,
      max_tokens: 8,
      tools: [{ type: "web_search_20250305", name: "web_search", input_schema: {} }],
      messages: [{ role: "user", content: "x" }],
    });
    expect(serverTool.status).toBe(400);
    expect(fake.calls).toHaveLength(0);
  });

  it("404: an unknown model is not_found_error", async () => {
    await expect(client.messages.create({ model: "nowhere:nothing", max_tokens: 8, messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("a stream cut by the upstream ends with an error event in Anthropic's envelope, which the SDK raises", async () => {
    fake.enqueue({ text: "a b c d e f", chunks: 6, cutAfterChunks: 3 });
    const res = await post("/v1/messages", { model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: "x" }] });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+"\}/);
    expect(body).not.toContain("message_stop");

    fake.enqueue({ text: "a b c d e f", chunks: 6, cutAfterChunks: 3 });
    const s = await client.messages.create({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: "x" }] });
    await expect(
      (async () => {
        for await (const ev of s) void ev;
      })(),
    ).rejects.toBeInstanceOf(Anthropic.APIError);
  });
});

describe("keys, limits, budgets and the ledger, as on chat completions", () => {
  it("a key with rpm_limit 1: the second request is 429 rate_limit_error (RateLimitError in the SDK)", async () => {
    const limited = sdk(await newKey({ rpm_limit: 1 }));
    await limited.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] });
    const err = await limited.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    expect((err as InstanceType<typeof Anthropic.RateLimitError>).headers.get("retry-after")).toMatch(/^\d+$/);
    expect(fake.calls).toHaveLength(1);
  });

  it("an exhausted budget is 402 billing_error, refused before any upstream call", async () => {
    await gw.admin("POST", "/v1/pricing", { model: "up:gpt-4o-mini", input_price_per_million: 1, output_price_per_million: 1 });
    expect((await gw.admin("POST", "/v1/budgets", { budget_id: "anthropic-cap", max_budget: 0.0001, budget_duration: "1d" })).status).toBe(201);
    const capped = sdk(await newKey({ budget_id: "anthropic-cap" }));
    fake.setDefault({ text: "ok", usage: { prompt_tokens: 100, completion_tokens: 100 } });
    await capped.messages.create({ model: "up:gpt-4o-mini", max_tokens: 20, messages: [{ role: "user", content: "x" }] });
    const res = await post("/v1/messages", { model: "up:gpt-4o-mini", max_tokens: 20, messages: [{ role: "user", content: "x" }] }, { "x-api-key": capped.apiKey! });
    expect(res.status).toBe(402);
    expect(((await res.json()) as any).error.type).toBe("billing_error");
    expect(fake.calls).toHaveLength(1);
  });

  it("the ledger records the request as endpoint messages, at the same cost as the equivalent chat request", async () => {
    const key = await newKey();
    const usage = { prompt_tokens: 1000, completion_tokens: 200 };
    fake.enqueue({ text: "same", usage });
    const viaMessages = await sdk(key)
      .messages.create({ model: MODEL, max_tokens: 300, messages: [{ role: "user", content: "price me" }] })
      .withResponse();
    fake.enqueue({ text: "same", usage });
    const viaChat = await gw.post("/v1/chat/completions", { model: MODEL, max_tokens: 300, messages: [{ role: "user", content: "price me" }] }, { authorization: `Bearer ${key}` });
    expect(viaChat.status).toBe(200);
    const cost = viaMessages.response.headers.get("x-switchboard-cost-usd");
    expect(cost).toBe(viaChat.headers.get("x-switchboard-cost-usd"));
    await gw.usage.flush();
    const m = (await gw.admin("GET", `/v1/logs/${viaMessages.response.headers.get("x-switchboard-request-id")}`)).body;
    const c = (await gw.admin("GET", `/v1/logs/${viaChat.headers.get("x-switchboard-request-id")}`)).body;
    expect(m.endpoint).toBe("messages");
    expect(c.endpoint).toBe("chat");
    expect(m.requested_model).toBe(MODEL);
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0]).toMatchObject({ status: 200, prompt_tokens: 1000, completion_tokens: 200 });
    // gpt-4o: $2.50 / $10 per million → 0.0025 + 0.002
    expect(m.cost.total_usd).toBe("0.0045");
    expect(m.cost).toEqual(c.cost);
  });
});

describe("POST /v1/messages/count_tokens", () => {
  it("counts the prompt with the gateway's tokenizer, without any upstream call", async () => {
    const params = { model: MODEL, system: "You are terse.", tools: [WEATHER_TOOL], messages: [{ role: "user" as const, content: "How warm is it in Paris today?" }] };
    const counted = await client.messages.countTokens(params);
    const expected = await estimatePromptTokens(
      [{ content: "You are terse." }, { content: "How warm is it in Paris today?" }],
      [{ type: "function", function: { name: "get_weather", parameters: WEATHER_TOOL.input_schema, description: "Weather of a city" } }],
    );
    expect(counted).toEqual({ input_tokens: expected });
    const withoutTools = await client.messages.countTokens({ model: MODEL, messages: params.messages });
    expect(withoutTools.input_tokens).toBeLessThan(counted.input_tokens);
    expect(fake.calls).toHaveLength(0);
  });

  it("is authenticated like any inference request, and refuses unknown fields", async () => {
    const res = await post("/v1/messages/count_tokens", { model: MODEL, messages: [{ role: "user", content: "x" }] }, { "x-api-key": "sb-wrong-0000000000000000000" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.type).toBe("authentication_error");
    const narrow = await newKey({ allowed_models: ["up:gpt-4o-mini"] });
    const denied = await post("/v1/messages/count_tokens", { model: MODEL, messages: [{ role: "user", content: "x" }] }, { "x-api-key": narrow });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).error.type).toBe("permission_error");
    const extra = await post("/v1/messages/count_tokens", { model: MODEL, max_tokens: 5, messages: [{ role: "user", content: "x" }] });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as any).error.message).toContain('"max_tokens"');
  });
});

describe("passed through natively to an Anthropic upstream", () => {
  const CLAUDE = "claude:claude-sonnet-4-5";

  it("thinking: the request's thinking reaches Claude; signed thinking blocks come back, and go back upstream on the next turn", async () => {
    claudeUp.enqueue({ reasoning: "Let me think.", text: "42" });
    const first = await client.messages.create({ model: CLAUDE, max_tokens: 4096, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "answer?" }] });
    expect(claudeUp.calls[0].body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(first.content).toEqual([
      { type: "thinking", thinking: "Let me think.", signature: expect.stringMatching(/^sig_/) },
      { type: "text", text: "42" },
    ]);
    claudeUp.enqueue({ text: "yes" });
    await client.messages.create({
      model: CLAUDE,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [
        { role: "user", content: "answer?" },
        { role: "assistant", content: first.content },
        { role: "user", content: "sure?" },
      ],
    });
    const sent = claudeUp.calls[1].body.messages[1];
    expect(sent.role).toBe("assistant");
    expect(sent.content[0]).toEqual({ type: "thinking", thinking: "Let me think.", signature: (first.content[0] as { signature: string }).signature });
  });

  it("streamed thinking: a thinking block with thinking_delta and signature_delta, then the text block", async () => {
    claudeUp.enqueue({ reasoning: "abcd", text: "done" });
    const events: any[] = [];
    const s = client.messages.stream({ model: CLAUDE, max_tokens: 4096, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "go" }] });
    s.on("streamEvent", (e) => void events.push(e));
    const final = await s.finalMessage();
    expect(final.content).toEqual([
      { type: "thinking", thinking: "abcd", signature: expect.stringMatching(/^sig_/) },
      { type: "text", text: "done" },
    ]);
    const deltas = events.filter((e) => e.type === "content_block_delta").map((e) => `${e.index}:${e.delta.type}`);
    expect(deltas[0]).toBe("0:thinking_delta");
    expect(deltas).toContain("0:signature_delta");
    expect(deltas.at(-1)).toBe("1:text_delta");
    expect(events.filter((e) => e.type === "content_block_start").map((e) => e.content_block.type)).toEqual(["thinking", "text"]);
  });

  it("cache_control on a user block and a tool reaches Claude where Anthropic expects it", async () => {
    claudeUp.enqueue({ text: "ok" });
    await client.messages.create({
      model: CLAUDE,
      max_tokens: 64,
      tools: [{ ...WEATHER_TOOL, cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "long context", cache_control: { type: "ephemeral", ttl: "1h" } }] }],
    });
    const body = claudeUp.calls[0].body;
    expect(body.tools[0]).toMatchObject({ name: "get_weather", cache_control: { type: "ephemeral" } });
    expect(body.messages[0].content).toEqual([{ type: "text", text: "long context", cache_control: { type: "ephemeral", ttl: "1h" } }]);
  });
});

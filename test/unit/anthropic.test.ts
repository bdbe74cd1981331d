/** Anthropic adapter: request translation, response mapping, stream events and errors, as pure functions. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { anthropicEndpoint, anthropicHeaders, anthropicWire } from "../../src/providers/anthropic/index.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";
import { validateAnthropicRequest } from "../support/fake-anthropic.js";

const wire = anthropicWire("anthropic", ["sk-ant-secret-key-123"]);
const build = (req: Partial<ChatRequest> & Record<string, unknown>, stream = false) => {
  const up = wire.chatRequest({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "Hi" }], max_tokens: 100, ...req }, stream);
  return { body: up.body as any, warnings: up.warnings ?? [], path: up.path };
};

describe("anthropic request: messages", () => {
  it("moves system and developer messages to the top-level system prompt", () => {
    const { body, warnings } = build({
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
        { role: "user", content: "Hello" },
      ],
    });
    expect(body.system).toBe("You are terse.\n\nAnswer in French.");
    expect(body.messages).toEqual([{ role: "user", content: "Hello" }]);
    expect(warnings).toEqual([]);
    expect(validateAnthropicRequest(body)).toBeNull();
  });

  it("hoists a late system message with a warning, and keeps system cache_control as blocks", () => {
    const { body, warnings } = build({
      messages: [
        { role: "system", content: [{ type: "text", text: "Long context", cache_control: { type: "ephemeral" } }] },
        { role: "user", content: "Q1" },
        { role: "system", content: "Be brief." },
      ],
    });
    expect(body.system).toEqual([
      { type: "text", text: "Long context", cache_control: { type: "ephemeral" } },
      { type: "text", text: "Be brief." },
    ]);
    expect(warnings.join()).toMatch(/system messages after the first user\/assistant turn .* moved to the top-level system prompt/);
  });

  it("keeps a multi-turn conversation and merges consecutive same-role turns", () => {
    const { body } = build({
      messages: [
        { role: "user", content: "One" },
        { role: "user", content: "Two" },
        { role: "assistant", content: "Reply" },
        { role: "user", content: "Three" },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "One" },
          { type: "text", text: "Two" },
        ],
      },
      { role: "assistant", content: "Reply" },
      { role: "user", content: "Three" },
    ]);
  });

  it("turns tool calls into tool_use blocks and consecutive tool results into one user turn", () => {
    const { body } = build({
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "toolu_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "22C" },
        { role: "tool", tool_call_id: "toolu_2", content: [{ type: "text", text: "25C" }] },
        { role: "user", content: "Thanks, and tomorrow?" },
      ],
    });
    expect(body.messages[1]).toEqual({
      role: "assistant",
      content: [
        { type: "text", text: "Checking." },
        { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } },
      ],
    });
    expect(body.messages[2]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "22C" },
        { type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "25C" }] },
        { type: "text", text: "Thanks, and tomorrow?" },
      ],
    });
    expect(body.messages).toHaveLength(3);
    expect(validateAnthropicRequest(body)).toBeNull();
  });

  it("rejects tool call arguments that are not a JSON object", () => {
    expect(() =>
      build({
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: null, tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "[1]" } }] },
        ],
      }),
    ).toThrow(/tool_calls\[0\]\.function\.arguments must be a JSON object/);
  });

  it("maps images (https URL and data URL), PDFs and cache_control on parts and messages", () => {
    const { body, warnings } = build({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "https://example.com/cat.png", detail: "high" } },
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" }, cache_control: { type: "ephemeral" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0x", filename: "doc.pdf" } },
          ],
          cache_control: { type: "ephemeral", ttl: "1h" },
        } as any,
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: "text", text: "Compare" },
      { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
      { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AAQ" }, cache_control: { type: "ephemeral" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" }, title: "doc.pdf", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
    expect(warnings).toContain("image_url.detail is not supported by anthropic; ignored");
    expect(validateAnthropicRequest(body)).toBeNull();
  });

  it("rejects audio input and non-URL images with a 400", () => {
    const audio = () => build({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "x", format: "wav" } }] }] });
    expect(audio).toThrow(GatewayError);
    expect(audio).toThrow(/audio input is not supported/);
    expect(() => build({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }] })).toThrow(/http\(s\) URL or a base64 data URL/);
  });

  it("sends assistant thinking_blocks back before the text", () => {
    const { body } = build({
      messages: [
        { role: "user", content: "Q" },
        { role: "assistant", content: "A", thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "sig" }] } as any,
        { role: "user", content: "Q2" },
      ],
    });
    expect(body.messages[1].content).toEqual([
      { type: "thinking", thinking: "hmm", signature: "sig" },
      { type: "text", text: "A" },
    ]);
  });
});

describe("anthropic request: parameters", () => {
  it("uses max_completion_tokens over max_tokens, and warns when it has to default", () => {
    expect(build({ max_tokens: 100, max_completion_tokens: 50 }).body.max_tokens).toBe(50);
    const d = build({ max_tokens: undefined });
    expect(d.body.max_tokens).toBe(4096);
    expect(d.warnings).toContain("max_tokens is required by anthropic and was not set; sent max_tokens=4096");
    const custom = anthropicWire("a", [], { defaultMaxTokens: 1000 }).chatRequest({ model: "m", messages: [{ role: "user", content: "x" }] }, false);
    expect((custom.body as any).max_tokens).toBe(1000);
  });

  it("maps stop, top_p, user and stream; clamps temperature above 1 with a warning", () => {
    const { body, warnings } = build({ stop: "END", top_p: 0.9, temperature: 1.5, user: "user-42", stream: true, stream_options: { include_usage: true } }, true);
    expect(body).toMatchObject({ stop_sequences: ["END"], top_p: 0.9, temperature: 1, metadata: { user_id: "user-42" }, stream: true });
    expect(body.stream_options).toBeUndefined();
    expect(warnings).toContain("temperature 1.5 is above anthropic's maximum of 1; clamped to 1");
    expect(build({ stop: ["a", "b"], temperature: 0.2 }).body).toMatchObject({ stop_sequences: ["a", "b"], temperature: 0.2 });
  });

  it("warns about every parameter it cannot honour, not about neutral defaults", () => {
    const { body, warnings } = build({ n: 2, logit_bias: { "1": 5 }, seed: 7, presence_penalty: 0.5, frequency_penalty: 0, logprobs: false, metadata: { a: "b" }, service_tier: "flex" });
    expect(warnings).toEqual(
      expect.arrayContaining([
        "n=2 is not supported by anthropic; one choice is returned",
        "logit_bias is not supported by anthropic; ignored",
        "seed is not supported by anthropic; ignored",
        "presence_penalty is not supported by anthropic; ignored",
        "metadata is not supported by anthropic; ignored",
        'service_tier "flex" is not supported by anthropic; ignored',
      ]),
    );
    expect(warnings.join()).not.toMatch(/frequency_penalty|logprobs/);
    expect(validateAnthropicRequest(body)).toBeNull();
  });

  it("names a value it cannot honour as JSON, objects included, never as [object Object]", () => {
    const { warnings } = build({ service_tier: { tier: "flex" }, reasoning_effort: 3 });
    expect(warnings).toEqual(expect.arrayContaining(['service_tier {"tier":"flex"} is not supported by anthropic; ignored', "reasoning_effort 3 is not supported by anthropic; ignored"]));
  });

  it("takes a text or refusal part's text only when it is a string", () => {
    const { body } = build({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: { nested: true } },
            { type: "text", text: "Hi" },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "refusal", refusal: "No." },
            { type: "refusal", refusal: ["x"] },
          ],
        },
        { role: "user", content: "Why?" },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: "text", text: "" },
      { type: "text", text: "Hi" },
    ]);
    expect(body.messages[1].content).toBe("No.");
  });

  it("maps tools and every tool_choice form", () => {
    const tools = [
      { type: "function", function: { name: "a", description: "Tool A", parameters: { type: "object", properties: {} } } },
      { type: "function", function: { name: "b" }, cache_control: { type: "ephemeral" } },
    ] as any;
    const r = build({ tools });
    expect(r.body.tools).toEqual([
      { name: "a", description: "Tool A", input_schema: { type: "object", properties: {} } },
      { name: "b", input_schema: { type: "object", properties: {} }, cache_control: { type: "ephemeral" } },
    ]);
    expect(r.body.tool_choice).toBeUndefined();
    expect(build({ tools, tool_choice: "auto" }).body.tool_choice).toEqual({ type: "auto" });
    expect(build({ tools, tool_choice: "none" }).body.tool_choice).toEqual({ type: "none" });
    expect(build({ tools, tool_choice: "required" }).body.tool_choice).toEqual({ type: "any" });
    expect(build({ tools, tool_choice: { type: "function", function: { name: "b" } } }).body.tool_choice).toEqual({ type: "tool", name: "b" });
    expect(build({ tools, parallel_tool_calls: false }).body.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect(build({ tools, tool_choice: "required", parallel_tool_calls: false }).body.tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
    expect(build({ tools, tool_choice: "none", parallel_tool_calls: false }).body.tool_choice).toEqual({ type: "none" });
    for (const tc of ["auto", "none", "required"] as const) expect(validateAnthropicRequest(build({ tools, tool_choice: tc }).body)).toBeNull();
    const noTools = build({ tool_choice: "required" });
    expect(noTools.body.tool_choice).toBeUndefined();
    expect(noTools.warnings).toContain("tool_choice without tools is not supported by anthropic; ignored");
  });

  it("implements JSON mode with a forced json_response tool", () => {
    const obj = build({ response_format: { type: "json_object" } });
    expect(obj.body.tools).toEqual([{ name: "json_response", description: "Respond with your answer as a JSON object.", input_schema: { type: "object" } }]);
    expect(obj.body.tool_choice).toEqual({ type: "tool", name: "json_response" });
    expect(validateAnthropicRequest(obj.body)).toBeNull();

    const schema = { type: "object", properties: { answer: { type: "number" } }, required: ["answer"] };
    const s = build({ response_format: { type: "json_schema", json_schema: { name: "result", schema, strict: true } } });
    expect(s.body.tools[0].input_schema).toEqual(schema);
    expect(s.warnings).toContain("response_format.json_schema.strict is not enforced by anthropic; the schema is given to the model but not validated");

    const withTools = build({ response_format: { type: "json_object" }, tools: [{ type: "function", function: { name: "lookup" } }] });
    expect(withTools.body.tools.map((t: any) => t.name)).toEqual(["lookup", "json_response"]);
    expect(withTools.body.tool_choice).toEqual({ type: "any" });

    expect(() => build({ response_format: { type: "json_object" }, tools: [{ type: "function", function: { name: "json_response" } }] })).toThrow(/reserved/);
    expect(() => build({ response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "array" } } } })).toThrow(/must describe a JSON object/);
  });

  it("maps reasoning_effort to a thinking budget and keeps the request valid", () => {
    const low = build({ reasoning_effort: "low", max_tokens: 8000 });
    expect(low.body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(low.body.max_tokens).toBe(8000);
    expect(validateAnthropicRequest(low.body)).toBeNull();

    const defaulted = build({ reasoning_effort: "medium", max_tokens: undefined });
    expect(defaulted.body.max_tokens).toBe(4096 + 8192);
    expect(validateAnthropicRequest(defaulted.body)).toBeNull();

    const tight = build({ reasoning_effort: "high", max_tokens: 4000 });
    expect(tight.body.thinking).toEqual({ type: "enabled", budget_tokens: 2000 });
    expect(tight.warnings.join()).toMatch(/reduced to 2000/);

    const tiny = build({ reasoning_effort: "high", max_tokens: 500 });
    expect(tiny.body.thinking).toBeUndefined();
    expect(tiny.warnings.join()).toMatch(/thinking not enabled/);

    const sampled = build({ reasoning_effort: "low", max_tokens: 8000, temperature: 0.3, top_p: 0.5 });
    expect(sampled.body.temperature).toBeUndefined();
    expect(sampled.body.top_p).toBeUndefined();
    expect(sampled.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^temperature 0.3 is not supported by anthropic with extended thinking/), expect.stringMatching(/^top_p 0.5/)]));
    expect(validateAnthropicRequest(sampled.body)).toBeNull();

    expect(build({ reasoning_effort: "none" }).body.thinking).toBeUndefined();
  });

  it("passes a native thinking object through, and supports adaptive thinking", () => {
    const r = build({ thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 2000, reasoning_effort: "high" });
    expect(r.body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(r.warnings).toContain("reasoning_effort is ignored because thinking was given");
    const adaptive = anthropicWire("a", [], { thinkingMode: "adaptive" }).chatRequest({ model: "m", max_tokens: 100, reasoning_effort: "high", messages: [{ role: "user", content: "x" }] }, false);
    expect(adaptive.body).toMatchObject({ thinking: { type: "adaptive" }, output_config: { effort: "high" }, max_tokens: 100 });
  });

  it("JSON mode with thinking asks for the tool without forcing it", () => {
    const r = build({ response_format: { type: "json_object" }, reasoning_effort: "low", max_tokens: 8000 });
    expect(r.body.tool_choice).toEqual({ type: "auto" });
    expect(r.warnings.join()).toMatch(/JSON output is requested but not enforced/);
    expect(validateAnthropicRequest(r.body)).toBeNull();
  });
});

describe("anthropic response", () => {
  const message = (content: unknown[], stop_reason: string, usage: object = { input_tokens: 10, output_tokens: 5 }) => ({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5-20250929",
    content,
    stop_reason,
    stop_sequence: null,
    usage,
  });

  it("joins text blocks, maps tool_use to tool_calls and stop reasons to finish reasons", () => {
    const r = wire.chatResponse(
      message(
        [
          { type: "text", text: "Let me " },
          { type: "text", text: "check." },
          { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Paris" } },
        ],
        "tool_use",
      ),
    );
    expect(r.choices[0].message.content).toBe("Let me check.");
    expect(r.choices[0].message.tool_calls).toEqual([{ id: "toolu_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    expect(r.choices[0].finish_reason).toBe("tool_calls");
    expect(r).toMatchObject({ id: "msg_1", object: "chat.completion", model: "claude-sonnet-4-5-20250929" });
    const finish = (s: string) => wire.chatResponse(message([{ type: "text", text: "x" }], s)).choices[0].finish_reason;
    expect([finish("end_turn"), finish("stop_sequence"), finish("max_tokens"), finish("refusal"), finish("pause_turn"), finish("model_context_window_exceeded")]).toEqual([
      "stop",
      "stop",
      "length",
      "content_filter",
      "stop",
      "length",
    ]);
  });

  it("reads text and thinking only when they are strings", () => {
    const r = wire.chatResponse(
      message(
        [
          { type: "text", text: { odd: 1 } },
          { type: "text", text: "ok" },
          { type: "thinking", thinking: 7, signature: "sig" },
          { type: "thinking", thinking: "hmm", signature: "sig2" },
        ],
        "end_turn",
      ),
    );
    expect(r.choices[0].message.content).toBe("ok");
    expect(r.choices[0].message.reasoning_content).toBe("hmm");
  });

  it("returns the json_response tool input as content with finish reason stop", () => {
    const r = wire.chatResponse(message([{ type: "tool_use", id: "toolu_j", name: "json_response", input: { answer: 42 } }], "tool_use"));
    expect(r.choices[0].message.content).toBe('{"answer":42}');
    expect(r.choices[0].message.tool_calls).toBeUndefined();
    expect(r.choices[0].finish_reason).toBe("stop");
  });

  it("exposes thinking as reasoning_content and thinking_blocks", () => {
    const r = wire.chatResponse(
      message(
        [
          { type: "thinking", thinking: "Step 1.", signature: "sig1" },
          { type: "redacted_thinking", data: "enc" },
          { type: "text", text: "42" },
        ],
        "end_turn",
      ),
    );
    expect(r.choices[0].message).toMatchObject({
      content: "42",
      reasoning_content: "Step 1.",
      thinking_blocks: [
        { type: "thinking", thinking: "Step 1.", signature: "sig1" },
        { type: "redacted_thinking", data: "enc" },
      ],
    });
  });

  it("counts cache reads and writes in prompt_tokens", () => {
    const r = wire.chatResponse(
      message([{ type: "text", text: "x" }], "end_turn", {
        input_tokens: 5,
        cache_read_input_tokens: 80,
        cache_creation_input_tokens: 15,
        output_tokens: 7,
        output_tokens_details: { thinking_tokens: 3 },
      }),
    );
    expect(r.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 7,
      total_tokens: 107,
      prompt_tokens_details: { cached_tokens: 80, cache_creation_tokens: 15 },
      completion_tokens_details: { reasoning_tokens: 3 },
    });
  });
});

describe("anthropic stream events", () => {
  const run = (events: object[]) => {
    const state = { clientWantsUsage: true, data: {} };
    const out: ChatChunk[] = [];
    for (const e of events) {
      const r = wire.streamEvent({ event: (e as { type: string }).type, data: JSON.stringify(e) }, state);
      if (r !== "done") out.push(...r);
    }
    return out;
  };
  const start = {
    type: "message_start",
    message: { id: "msg_s", type: "message", role: "assistant", model: "claude-x", content: [], usage: { input_tokens: 9, cache_read_input_tokens: 1, output_tokens: 1 } },
  };

  it("emits role, reasoning, JSON-mode content, finish and usage chunks", () => {
    const out = run([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Hmm" } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig" } },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_j", name: "json_response", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"a":' } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } },
      { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 12 } },
      { type: "message_stop" },
    ]);
    expect(out[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(out[1].choices[0].delta).toEqual({ reasoning_content: "Hmm" });
    expect(out[2].choices[0].delta).toEqual({ thinking_blocks: [{ type: "thinking", signature: "sig" }] });
    expect(
      out
        .slice(3, 5)
        .map((c) => c.choices[0].delta.content)
        .join(""),
    ).toBe('{"a":1}');
    expect(out[5].choices[0].finish_reason).toBe("stop");
    expect(out[6]).toMatchObject({ id: "msg_s", model: "claude-x", choices: [], usage: { prompt_tokens: 10, completion_tokens: 12, total_tokens: 22, prompt_tokens_details: { cached_tokens: 1 } } });
  });

  it("numbers parallel tool calls with OpenAI indexes", () => {
    const out = run([
      start,
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "t1", name: "a", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{}" } },
      { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "t2", name: "b", input: {} } },
      { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"x":1}' } },
    ]);
    const calls = out.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.map((c) => c.index)).toEqual([0, 0, 1, 1]);
    expect(calls[2]).toMatchObject({ id: "t2", function: { name: "b", arguments: "" } });
  });

  it("throws a GatewayError for an error event; overloaded is retryable", () => {
    const err = (type: string) => {
      try {
        run([start, { type: "error", error: { type, message: "Overloaded sk-ant-secret-key-123" } }]);
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error("no error thrown");
    };
    const overloaded = err("overloaded_error");
    expect(overloaded).toBeInstanceOf(GatewayError);
    expect(overloaded).toMatchObject({ code: "upstream_error", retryable: true, upstreamStatus: 529 });
    expect(overloaded.message).toBe("overloaded_error: Overloaded [redacted]");
    expect(err("invalid_request_error")).toMatchObject({ code: "invalid_request", status: 400 });
  });
});

describe("anthropic errors, headers and endpoint", () => {
  const body = (type: string, message: string) => JSON.stringify({ type: "error", error: { type, message }, request_id: "req_1" });

  it("maps statuses: 529 overloaded is a retryable upstream_error", () => {
    expect(wire.error(400, body("invalid_request_error", "messages: Field required"), {})).toMatchObject({ code: "invalid_request", status: 400, message: "messages: Field required" });
    expect(wire.error(401, body("authentication_error", "invalid x-api-key"), {})).toMatchObject({ code: "upstream_auth_error", status: 502 });
    expect(wire.error(404, body("not_found_error", "model: claude-x"), {})).toMatchObject({ code: "model_not_found", status: 404 });
    expect(wire.error(429, body("rate_limit_error", "slow down"), { "retry-after": "7" })).toMatchObject({ code: "rate_limit_exceeded", retryAfterSeconds: 7 });
    expect(wire.error(529, body("overloaded_error", "Overloaded"), {})).toMatchObject({ code: "upstream_error", status: 502, retryable: true, message: "Overloaded" });
    expect(wire.error(529, "", {})).toMatchObject({ code: "upstream_error", retryable: true, message: "anthropic is overloaded (529)" });
  });

  it("sends x-api-key, anthropic-version and beta flags; base_url may end in /v1", () => {
    expect(anthropicHeaders("sk-ant-1", {})).toEqual({ "x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01" });
    expect(anthropicHeaders("k", { anthropic_beta: ["a-1", "b-2"], anthropic_version: "2023-01-01" })).toEqual({ "x-api-key": "k", "anthropic-version": "2023-01-01", "anthropic-beta": "a-1,b-2" });
    expect(anthropicEndpoint("https://api.anthropic.com/")).toEqual({ baseUrl: "https://api.anthropic.com", path: "/v1/messages" });
    expect(anthropicEndpoint("https://proxy.example/anthropic/v1")).toEqual({ baseUrl: "https://proxy.example/anthropic/v1", path: "/messages" });
    expect(build({}).path).toBe("/v1/messages");
  });
});

/** Cohere v2 translation: requests and warnings, responses, stream events, usage, errors, embeddings. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { cohereWire } from "../../src/providers/cohere/index.js";
import { chatResponse, embeddingsResponse } from "../../src/providers/cohere/from-upstream.js";
import { chatRequest, embeddingsRequest } from "../../src/providers/cohere/to-upstream.js";
import type { StreamState } from "../../src/providers/types.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";

const req = (r: Record<string, unknown> = {}) => ({ model: "command-a-03-2025", messages: [{ role: "user", content: "Hi" }], ...r }) as ChatRequest;
const weather = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const clock = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } };

describe("cohere request translation", () => {
  it("maps roles: system and developer to system, multi-turn history, images, tool calls with their plan, tool results", () => {
    const up = chatRequest(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } },
            ],
          },
          { role: "assistant", content: "A dot." },
          { role: "user", content: "Weather in Paris?" },
          { role: "assistant", content: "I will check.", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
          { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "22C" }] },
          { role: "assistant", content: null, tool_calls: [{ id: "call_2", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
        ],
      }),
      false,
    );
    expect(up.path).toBe("/v2/chat");
    expect(up.warnings).toEqual([]);
    expect(up.body).toEqual({
      model: "command-a-03-2025",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "system", content: "Use metric units." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } },
          ],
        },
        { role: "assistant", content: "A dot." },
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", tool_plan: "I will check.", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "22C" },
        { role: "assistant", tool_calls: [{ id: "call_2", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
      ],
    });
  });

  it("maps sampling parameters to Cohere's names", () => {
    const up = chatRequest(req({ max_completion_tokens: 50, max_tokens: 10, temperature: 0.3, top_p: 0.9, top_k: 40, stop: "END", seed: 7, frequency_penalty: 0.1, presence_penalty: 0.2 }), true);
    expect(up.body).toMatchObject({ stream: true, max_tokens: 50, temperature: 0.3, p: 0.9, k: 40, stop_sequences: ["END"], seed: 7, frequency_penalty: 0.1, presence_penalty: 0.2 });
    expect(up.body).not.toHaveProperty("top_p");
    expect(up.warnings).toEqual([]);
    expect(chatRequest(req({ stop: ["a", "b"], stream_options: { include_usage: true } }), true).body).toMatchObject({ stop_sequences: ["a", "b"] });
  });

  it("top_p outside Cohere's 0.01–0.99 is sent at the nearest bound, with a warning", () => {
    const up = chatRequest(req({ top_p: 1 }), false);
    expect((up.body as { p: number }).p).toBe(0.99);
    expect(up.warnings).toEqual(["top_p 1 is outside cohere's range 0.01–0.99; sent p=0.99"]);
  });

  it("warns about every parameter Cohere cannot honour", () => {
    const up = chatRequest(req({ n: 2, logit_bias: { "1": 2 }, user: "u1", logprobs: true, parallel_tool_calls: false, messages: [{ role: "user", content: "Hi", name: "bob" }] }), false);
    expect(up.warnings).toEqual([
      "message name is not supported by cohere; ignored",
      "n=2 is not supported by cohere; one choice is returned",
      "parallel_tool_calls=false is not supported by cohere; the model may call several tools",
      "logit_bias is not supported by cohere; ignored",
      "user is not supported by cohere; ignored",
      "logprobs is not supported by cohere; ignored",
    ]);
    expect(Object.keys(up.body as object).sort()).toEqual(["messages", "model"]);
  });

  it("maps tools, strict mode and tool_choice", () => {
    const strict = { ...weather, function: { ...weather.function, strict: true } };
    expect(chatRequest(req({ tools: [strict, clock] }), false).body).toMatchObject({
      strict_tools: true,
      tools: [
        { type: "function", function: { name: "get_weather", description: "Weather", parameters: weather.function.parameters } },
        { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
      ],
    });
    expect(chatRequest(req({ tools: [weather], tool_choice: "required" }), false).body).toMatchObject({ tool_choice: "REQUIRED" });
    expect(chatRequest(req({ tools: [weather], tool_choice: "none" }), false).body).toMatchObject({ tool_choice: "NONE" });
    expect(chatRequest(req({ tools: [weather], tool_choice: "auto" }), false).body).not.toHaveProperty("tool_choice");
  });

  it("a named tool_choice offers only that tool with REQUIRED, and says so", () => {
    const up = chatRequest(req({ tools: [weather, clock], tool_choice: { type: "function", function: { name: "get_time" } } }), false);
    expect(up.body).toMatchObject({ tool_choice: "REQUIRED", tools: [{ function: { name: "get_time" } }] });
    expect((up.body as { tools: unknown[] }).tools).toHaveLength(1);
    expect(up.warnings).toEqual(["tool_choice naming a function is not supported by cohere; sent only tool get_time with tool_choice REQUIRED"]);
  });

  it("maps JSON mode and structured outputs to response_format json_object", () => {
    expect(chatRequest(req({ response_format: { type: "json_object" } }), false).body).toMatchObject({ response_format: { type: "json_object" } });
    const schema = { type: "object", properties: { a: { type: "number" } } };
    expect(chatRequest(req({ response_format: { type: "json_schema", json_schema: { name: "x", schema } } }), false).body).toMatchObject({
      response_format: { type: "json_object", json_schema: schema },
    });
    expect(chatRequest(req({ response_format: { type: "text" } }), false).body).not.toHaveProperty("response_format");
  });

  it("maps reasoning_effort to Cohere's thinking switch", () => {
    expect(chatRequest(req({ reasoning_effort: "none" }), false).body).toMatchObject({ thinking: { type: "disabled" } });
    const up = chatRequest(req({ reasoning_effort: "high" }), false);
    expect(up.body).toMatchObject({ thinking: { type: "enabled" } });
    expect(up.warnings).toEqual(["reasoning_effort high has no cohere equivalent; sent thinking enabled with cohere's default budget"]);
  });

  it("passes Cohere-only fields (documents, safety_mode, thinking, …) through as given", () => {
    const documents = [{ id: "d1", data: { text: "Paris is in France." } }];
    const up = chatRequest(req({ documents, safety_mode: "STRICT", thinking: { type: "enabled", token_budget: 500 }, citation_options: { mode: "FAST" } }), false);
    expect(up.body).toMatchObject({ documents, safety_mode: "STRICT", thinking: { type: "enabled", token_budget: 500 }, citation_options: { mode: "FAST" } });
    expect(up.warnings).toEqual([]);
  });

  it("content Cohere cannot take is a 400, not silently dropped", () => {
    const bad = (messages: unknown[]) => () => chatRequest(req({ messages }), false);
    expect(bad([{ role: "user", content: [{ type: "input_audio", input_audio: { data: "x", format: "wav" } }] }])).toThrow(GatewayError);
    expect(bad([{ role: "user", content: [{ type: "input_audio" }] }])).toThrow('content part type "input_audio" is not supported by cohere');
    expect(bad([{ role: "tool", content: "x" }])).toThrow("tool messages need a tool_call_id");
    expect(bad([{ role: "function", name: "f", content: "x" }])).toThrow('role "function" is not supported by cohere');
    try {
      bad([{ role: "system", content: [{ type: "image_url", image_url: { url: "u" } }] }])();
    } catch (e) {
      expect(e).toMatchObject({ status: 400, code: "invalid_request", param: "messages[0].content" });
    }
  });
});

describe("cohere responses", () => {
  const usage = { billed_units: { input_tokens: 5, output_tokens: 2 }, tokens: { input_tokens: 500, output_tokens: 5 }, cached_tokens: 448 };

  it("maps text, finish reason and usage (processed tokens, cached, billed units kept)", () => {
    const r = chatResponse({ id: "1f47", message: { role: "assistant", content: [{ type: "text", text: "OK." }] }, finish_reason: "MAX_TOKENS", usage });
    expect(r).toMatchObject({ id: "1f47", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "OK." }, finish_reason: "length" }] });
    expect(r.usage).toEqual({ prompt_tokens: 500, completion_tokens: 5, total_tokens: 505, prompt_tokens_details: { cached_tokens: 448 }, billed_units: { input_tokens: 5, output_tokens: 2 } });
  });

  it("maps tool calls, the tool plan as content, and thinking as reasoning_content", () => {
    const r = chatResponse({
      id: "f201",
      message: {
        role: "assistant",
        tool_plan: "I will use the weather tool.",
        tool_calls: [
          { id: "weather_1", type: "function", function: { name: "weather", arguments: '{"location":"SF"}' } },
          { id: "t2", type: "function", function: { name: "now", arguments: "null" } },
        ],
      },
      finish_reason: "TOOL_CALL",
      usage,
    });
    expect(r.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: {
        content: "I will use the weather tool.",
        tool_calls: [
          { id: "weather_1", type: "function", function: { name: "weather", arguments: '{"location":"SF"}' } },
          { id: "t2", function: { name: "now", arguments: "{}" } },
        ],
      },
    });
    const t = chatResponse({
      id: "x",
      message: {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "2+2=4" },
          { type: "text", text: "4" },
        ],
      },
      finish_reason: "COMPLETE",
    });
    expect(t.choices[0].message).toMatchObject({ content: "4", reasoning_content: "2+2=4" });
    expect(t.usage).toBeUndefined();
  });

  it("maps stop sequences and content blocks; ERROR and TIMEOUT are failures", () => {
    const f = (finish_reason: string) => chatResponse({ id: "x", message: { role: "assistant", content: [{ type: "text", text: "a" }] }, finish_reason });
    expect(f("STOP_SEQUENCE").choices[0].finish_reason).toBe("stop");
    expect(f("CONTENT_BLOCKED").choices[0].finish_reason).toBe("content_filter");
    expect(() => f("ERROR")).toThrow(expect.objectContaining({ code: "upstream_error", retryable: true }));
    expect(() => f("TIMEOUT")).toThrow(expect.objectContaining({ code: "upstream_timeout" }));
    expect(() => chatResponse({ id: "x" })).toThrow(/without a message/);
  });
});

describe("cohere stream events", () => {
  const wire = cohereWire("cohere", []);
  const run = (events: Array<Record<string, unknown>>) => {
    const state: StreamState = { clientWantsUsage: true, data: {} };
    const out: ChatChunk[] = [];
    for (const e of events) {
      const r = wire.streamEvent({ event: String(e.type), data: JSON.stringify(e) }, state);
      if (r !== "done") out.push(...r);
    }
    expect(wire.streamEvent({ data: "[DONE]" }, state)).toBe("done");
    return out;
  };

  it("starts with the role chunk and maps thinking, text, finish and usage", () => {
    const out = run([
      { id: "c911", type: "message-start", delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } } },
      { type: "content-start", index: 0, delta: { message: { content: { type: "thinking", thinking: "" } } } },
      { type: "content-delta", index: 0, delta: { message: { content: { thinking: "Sum." } } } },
      { type: "content-end", index: 0 },
      { type: "content-start", index: 1, delta: { message: { content: { type: "text", text: "" } } } },
      { type: "content-delta", index: 1, delta: { message: { content: { text: "4" } } } },
      { type: "content-end", index: 1 },
      {
        type: "message-end",
        delta: { finish_reason: "COMPLETE", usage: { billed_units: { input_tokens: 8, output_tokens: 50 }, tokens: { input_tokens: 1394, output_tokens: 54 }, cached_tokens: 1360 } },
      },
    ]);
    expect(out.map((c) => [c.choices[0]?.delta, c.choices[0]?.finish_reason ?? null])).toEqual([
      [{ role: "assistant", content: "" }, null],
      [{ reasoning_content: "Sum." }, null],
      [{ content: "4" }, null],
      [{}, "stop"],
      [undefined, null],
    ]);
    expect(out.every((c) => c.id === "c911" && c.object === "chat.completion.chunk")).toBe(true);
    expect(out.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 1394, completion_tokens: 54, total_tokens: 1448, prompt_tokens_details: { cached_tokens: 1360 } } });
  });

  it("numbers parallel tool calls, follows deltas without an index, and closes argument-less calls with {}", () => {
    const out = run([
      { type: "tool-plan-delta", delta: { message: { tool_plan: "Plan." } } },
      { type: "tool-call-start", index: 0, delta: { message: { tool_calls: { id: "w_1", type: "function", function: { name: "weather", arguments: "" } } } } },
      { type: "tool-call-delta", index: 0, delta: { message: { tool_calls: { function: { arguments: '{"a":1}' } } } } },
      { type: "tool-call-end", index: 0 },
      { type: "tool-call-start", index: 1, delta: { message: { tool_calls: { id: "t_2", type: "function", function: { name: "now", arguments: "" } } } } },
      { type: "tool-call-end", index: 1 },
      { type: "tool-call-start", delta: { message: { tool_calls: { id: "x_3", type: "function", function: { name: "x", arguments: "" } } } } },
      { type: "tool-call-delta", delta: { message: { tool_calls: { function: { arguments: "{}" } } } } },
      { type: "tool-call-end" },
      { type: "message-end", delta: { finish_reason: "TOOL_CALL" } },
    ]);
    expect(out[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(out[1].choices[0].delta).toEqual({ content: "Plan." });
    const calls = out.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([
      { index: 0, id: "w_1", type: "function", function: { name: "weather", arguments: "" } },
      { index: 0, function: { arguments: '{"a":1}' } },
      { index: 1, id: "t_2", type: "function", function: { name: "now", arguments: "" } },
      { index: 1, function: { arguments: "{}" } },
      { index: 2, id: "x_3", type: "function", function: { name: "x", arguments: "" } },
      { index: 2, function: { arguments: "{}" } },
    ]);
    expect(out.at(-1)!.choices[0].finish_reason).toBe("tool_calls");
  });

  it("an ERROR finish mid-stream is a non-retryable failure with Cohere's detail", () => {
    expect(() => run([{ type: "message-end", delta: { finish_reason: "ERROR", error: "internal failure" } }])).toThrow(
      expect.objectContaining({ code: "upstream_error", retryable: false, message: "cohere ended the generation with ERROR: internal failure" }),
    );
  });
});

describe("cohere errors", () => {
  const wire = cohereWire("cohere", ["co-secret-key-1"]);
  it("keeps Cohere's message and maps statuses, 498 as an auth failure", () => {
    const e400 = wire.error(400, JSON.stringify({ id: "e1", message: "invalid request: messages is required" }), {});
    expect([e400.status, e400.code, e400.message]).toEqual([400, "invalid_request", "invalid request: messages is required"]);
    expect(wire.error(401, JSON.stringify({ message: "invalid api token" }), {}).code).toBe("upstream_auth_error");
    expect(wire.error(498, JSON.stringify({ message: "invalid token" }), {}).code).toBe("upstream_auth_error");
    expect(wire.error(429, JSON.stringify({ message: "trial key limited" }), { "retry-after": "3" })).toMatchObject({ code: "rate_limit_exceeded", retryAfterSeconds: 3 });
    expect(wire.error(503, JSON.stringify({ message: "overloaded co-secret-key-1" }), {})).toMatchObject({ code: "upstream_error", retryable: true, message: "overloaded [redacted]" });
  });
});

describe("cohere embeddings", () => {
  it("sends texts with an input type and float embeddings; maps dimensions", () => {
    const o = { embeddingInputType: "search_document" };
    expect(embeddingsRequest({ model: "embed-v4.0", input: "one", dimensions: 256 }, o).body).toEqual({
      model: "embed-v4.0",
      texts: ["one"],
      input_type: "search_document",
      embedding_types: ["float"],
      output_dimension: 256,
    });
    expect(embeddingsRequest({ model: "embed-v4.0", input: ["a"], input_type: "search_query" }, o).body).toMatchObject({ input_type: "search_query" });
    expect(() => embeddingsRequest({ model: "embed-v4.0", input: [1, 2] }, o)).toThrow(/token arrays/);
  });

  it("maps the response to OpenAI's list", () => {
    const r = embeddingsResponse({
      id: "f5",
      texts: ["a", "b"],
      embeddings: {
        float: [
          [0.1, 0.2],
          [0.3, 0.4],
        ],
      },
      meta: { billed_units: { input_tokens: 10 } },
      response_type: "embeddings_by_type",
    });
    expect(r).toEqual({
      object: "list",
      model: "",
      data: [
        { object: "embedding", index: 0, embedding: [0.1, 0.2] },
        { object: "embedding", index: 1, embedding: [0.3, 0.4] },
      ],
      usage: { prompt_tokens: 10, total_tokens: 10 },
    });
  });
});

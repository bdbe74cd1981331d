/** Bedrock adapter translation details the conformance suite does not cover (pure functions). */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { errorFromResponse, streamError } from "../../src/providers/bedrock/errors.js";
import { chatResponse } from "../../src/providers/bedrock/from-upstream.js";
import { streamEventFor } from "../../src/providers/bedrock/stream.js";
import { chatRequest } from "../../src/providers/bedrock/to-upstream.js";
import { toUsage } from "../../src/providers/bedrock/usage.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";

const CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const req = (over: Partial<ChatRequest> & Record<string, unknown> = {}): ChatRequest => ({ model: CLAUDE, messages: [{ role: "user", content: "Hi" }], ...over });
const body = (r: ChatRequest, stream = false) => chatRequest(r, stream).body as Record<string, any>;
const weather = { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };

function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    return e as GatewayError;
  }
  throw new Error("expected an error");
}

describe("bedrock request: path and top level", () => {
  it("URL-encodes the model id into /model/{id}/converse and /converse-stream", () => {
    expect(chatRequest(req(), false).path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    expect(chatRequest(req({ model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0" }), true).path).toBe("/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream");
    expect(chatRequest(req({ model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/x" }), false).path).toBe(
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fx/converse",
    );
  });

  it("puts system and developer prompts in the top-level system list", () => {
    const b = body(
      req({
        messages: [
          { role: "system", content: "Be brief." },
          { role: "developer", content: [{ type: "text", text: "Use French." }] },
          { role: "user", content: "Hi" },
        ],
      }),
    );
    expect(b.system).toEqual([{ text: "Be brief." }, { text: "Use French." }]);
    expect(b.messages).toEqual([{ role: "user", content: [{ text: "Hi" }] }]);
    expect(b).not.toHaveProperty("model");
    expect(b).not.toHaveProperty("stream");
  });

  it("warns when a system message comes after the conversation started", () => {
    const r = chatRequest(
      req({
        messages: [
          { role: "user", content: "Hi" },
          { role: "system", content: "Late rule" },
        ],
      }),
      false,
    );
    expect((r.body as any).system).toEqual([{ text: "Late rule" }]);
    expect(r.warnings!.some((w) => w.includes("messages[1] was moved"))).toBe(true);
  });

  it("maps max_tokens / max_completion_tokens, temperature, top_p and stop into inferenceConfig", () => {
    expect(body(req({ max_tokens: 100, temperature: 0.2, top_p: 0.9, stop: "END" })).inferenceConfig).toEqual({ maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ["END"] });
    expect(body(req({ max_tokens: 100, max_completion_tokens: 50, stop: ["a", "b"] })).inferenceConfig).toEqual({ maxTokens: 50, stopSequences: ["a", "b"] });
    expect(body(req())).not.toHaveProperty("inferenceConfig");
  });

  it("clamps a temperature above 1 with a warning", () => {
    const r = chatRequest(req({ temperature: 1.5 }), false);
    expect((r.body as any).inferenceConfig.temperature).toBe(1);
    expect(r.warnings).toContain("temperature 1.5 is above bedrock's maximum of 1; clamped to 1");
  });

  it("warns about every parameter it cannot honour, and not about neutral defaults", () => {
    const r = chatRequest(req({ n: 2, seed: 7, logit_bias: { "1": 2 }, frequency_penalty: 0.5, presence_penalty: 0, logprobs: false, user: "u1", parallel_tool_calls: false }), false);
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        "n=2 is not supported by bedrock; one choice is returned",
        "seed is not supported by bedrock; ignored",
        "logit_bias is not supported by bedrock; ignored",
        "frequency_penalty is not supported by bedrock; ignored",
        "user is not supported by bedrock; ignored",
        "parallel_tool_calls=false is not supported by bedrock; ignored",
      ]),
    );
    expect(r.warnings!.join()).not.toContain("presence_penalty");
    expect(r.warnings!.join()).not.toContain("logprobs");
  });

  it("passes top_k and additionalModelRequestFields through for Claude", () => {
    const b = body(req({ top_k: 40, additionalModelRequestFields: { anthropic_beta: ["x"] } }));
    expect(b.additionalModelRequestFields).toEqual({ top_k: 40, anthropic_beta: ["x"] });
    const other = chatRequest(req({ model: "meta.llama3-70b-instruct-v1:0", top_k: 40 }), false);
    expect(other.warnings).toContain("top_k is only mapped for anthropic models on bedrock; ignored");
  });
});

describe("bedrock request: messages", () => {
  it("merges consecutive same-role messages and turns tool results into user toolResult blocks", () => {
    const b = body(
      req({
        tools: [weather],
        messages: [
          { role: "user", content: "Weather in Paris and Rome?" },
          { role: "user", content: "Please." },
          {
            role: "assistant",
            content: "Checking.",
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
              { id: "call_2", type: "function", function: { name: "get_weather", arguments: "" } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "22C" },
          { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "18C" }] },
          { role: "user", content: "Thanks" },
        ],
      }),
    );
    expect(b.messages).toEqual([
      { role: "user", content: [{ text: "Weather in Paris and Rome?" }, { text: "Please." }] },
      {
        role: "assistant",
        content: [{ text: "Checking." }, { toolUse: { toolUseId: "call_1", name: "get_weather", input: { city: "Paris" } } }, { toolUse: { toolUseId: "call_2", name: "get_weather", input: {} } }],
      },
      { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "22C" }] } }, { toolResult: { toolUseId: "call_2", content: [{ text: "18C" }] } }, { text: "Thanks" }] },
    ]);
  });

  it("sends no blank text block for an assistant turn that only calls tools", () => {
    const b = body(
      req({
        tools: [weather],
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: "", tool_calls: [{ id: "c", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "c", content: "ok" },
        ],
      }),
    );
    expect(b.messages[1].content).toEqual([{ toolUse: { toolUseId: "c", name: "get_weather", input: {} } }]);
  });

  it("sends assistant thinking_blocks back as reasoningContent blocks before the text", () => {
    const b = body(
      req({
        tools: [weather],
        reasoning_effort: "low",
        messages: [
          { role: "user", content: "x" },
          {
            role: "assistant",
            content: null,
            thinking_blocks: [
              { type: "thinking", thinking: "plan", signature: "c2ln" },
              { type: "redacted_thinking", data: "ZW5j" },
            ],
            tool_calls: [{ id: "c", type: "function", function: { name: "get_weather", arguments: "{}" } }],
          },
          { role: "tool", tool_call_id: "c", content: "ok" },
        ] as ChatRequest["messages"],
      }),
    );
    expect(b.messages[1].content).toEqual([
      { reasoningContent: { reasoningText: { text: "plan", signature: "c2ln" } } },
      { reasoningContent: { redactedContent: "ZW5j" } },
      { toolUse: { toolUseId: "c", name: "get_weather", input: {} } },
    ]);
  });

  it("sends data-URL images as bytes with their format", () => {
    const b = body(
      req({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What?" },
              { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } },
            ],
          },
        ],
      }),
    );
    expect(b.messages[0].content).toEqual([{ text: "What?" }, { image: { format: "jpeg", source: { bytes: "/9j/4AAQ" } } }]);
  });

  it("warns about an image detail it cannot honour, naming the value as JSON", () => {
    const image = (detail: unknown) => ({ role: "user" as const, content: [{ type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail } }] });
    expect(chatRequest(req({ messages: [image("high")] }), false).warnings).toEqual(['image_url.detail "high" is not supported by bedrock; ignored']);
    expect(chatRequest(req({ messages: [image({ level: 2 })] }), false).warnings).toEqual(['image_url.detail {"level":2} is not supported by bedrock; ignored']);
    expect(chatRequest(req({ messages: [image("auto")] }), false).warnings ?? []).toEqual([]);
  });

  it("refuses image URLs with a clear 400 (Bedrock needs bytes)", () => {
    const e = thrown(() => chatRequest(req({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }] }), false));
    expect(e.code).toBe("invalid_request");
    expect(e.status).toBe(400);
    expect(e.message).toContain("bedrock accepts images only as bytes");
    expect(e.param).toBe("messages[0].content[0].image_url.url");
  });

  it("refuses unsupported image types, parts and invalid tool arguments", () => {
    expect(thrown(() => chatRequest(req({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/bmp;base64,Qk0=" } }] }] }), false)).message).toContain("image/bmp");
    expect(thrown(() => chatRequest(req({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }] }), false)).message).toContain('"input_audio"');
    const bad = thrown(() =>
      chatRequest(
        req({
          messages: [
            { role: "user", content: "x" },
            { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{oops" } }] },
          ],
        }),
        false,
      ),
    );
    expect(bad.param).toBe("messages[1].tool_calls[0].function.arguments");
  });
});

describe("bedrock request: tools and response_format", () => {
  it("maps tools and every tool_choice form", () => {
    const b = body(req({ tools: [weather], tool_choice: "required" }));
    expect(b.toolConfig).toEqual({
      tools: [{ toolSpec: { name: "get_weather", description: "Weather", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
      toolChoice: { any: {} },
    });
    expect(body(req({ tools: [weather], tool_choice: "auto" })).toolConfig.toolChoice).toEqual({ auto: {} });
    expect(body(req({ tools: [weather], tool_choice: { type: "function", function: { name: "get_weather" } } })).toolConfig.toolChoice).toEqual({ tool: { name: "get_weather" } });
    expect(body(req({ tools: [weather] })).toolConfig).not.toHaveProperty("toolChoice");
    expect(body(req({ tools: [{ type: "function", function: { name: "noargs" } }] })).toolConfig.tools[0].toolSpec.inputSchema).toEqual({ json: { type: "object", properties: {} } });
  });

  it("tool_choice none drops the tools with a warning, unless the conversation already uses tools", () => {
    const r = chatRequest(req({ tools: [weather], tool_choice: "none" }), false);
    expect(r.body).not.toHaveProperty("toolConfig");
    expect(r.warnings).toContain('tool_choice "none" is not supported by bedrock; tools were not sent');
    const withHistory = chatRequest(
      req({
        tools: [weather],
        tool_choice: "none",
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name: "get_weather", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "c", content: "ok" },
        ],
      }),
      false,
    );
    expect((withHistory.body as any).toolConfig.tools).toHaveLength(1);
    expect(withHistory.warnings!.join()).toContain("tools stay available");
  });

  it("rejects non-function tools and the reserved JSON tool name", () => {
    expect(thrown(() => chatRequest(req({ tools: [{ type: "web_search" }] }), false)).param).toBe("tools[0].type");
    expect(thrown(() => chatRequest(req({ tools: [{ type: "function", function: { name: "json_response" } }] }), false)).message).toContain("reserved");
  });

  it("json_object becomes a system instruction with a warning", () => {
    const r = chatRequest(
      req({
        messages: [
          { role: "system", content: "Sys" },
          { role: "user", content: "x" },
        ],
        response_format: { type: "json_object" },
      }),
      false,
    );
    expect((r.body as any).system).toEqual([{ text: "Sys" }, { text: "Respond only with a single valid JSON object and no other text." }]);
    expect(r.warnings!.join()).toContain("response_format json_object is not supported natively by bedrock");
  });

  it("json_schema becomes a forced json_response tool on Claude, an instruction elsewhere", () => {
    const schema = { type: "object", properties: { answer: { type: "number" } }, required: ["answer"] };
    const r = chatRequest(req({ response_format: { type: "json_schema", json_schema: { name: "result", schema } } }), false);
    expect((r.body as any).toolConfig).toEqual({
      tools: [{ toolSpec: { name: "json_response", description: "Respond with the answer (result) as this tool's input.", inputSchema: { json: schema } } }],
      toolChoice: { tool: { name: "json_response" } },
    });
    expect(r.warnings).toEqual([]);
    const llama = chatRequest(req({ model: "meta.llama3-70b-instruct-v1:0", response_format: { type: "json_schema", json_schema: { name: "result", schema } } }), false);
    expect((llama.body as any).toolConfig).toBeUndefined();
    expect((llama.body as any).system[0].text).toContain('"answer"');
  });
});

describe("bedrock request: reasoning", () => {
  it("maps reasoning_effort to Claude's thinking budget and drops incompatible sampling with warnings", () => {
    const r = chatRequest(req({ reasoning_effort: "medium", temperature: 0.3, max_tokens: 20000 }), false);
    expect((r.body as any).additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 8192 } });
    expect((r.body as any).inferenceConfig).toEqual({ maxTokens: 20000 });
    expect(r.warnings!.join()).toContain("temperature 0.3 is not supported by bedrock with extended thinking");
  });

  it("shrinks the budget to fit max_tokens, and ignores reasoning_effort on other models", () => {
    const r = chatRequest(req({ reasoning_effort: "high", max_tokens: 4000 }), false);
    expect((r.body as any).additionalModelRequestFields.thinking.budget_tokens).toBe(2000);
    const nova = chatRequest(req({ model: "amazon.nova-pro-v1:0", reasoning_effort: "high" }), false);
    expect(nova.body).not.toHaveProperty("additionalModelRequestFields");
    expect(nova.warnings).toContain("reasoning_effort is only mapped for anthropic models on bedrock; ignored");
  });
});

describe("bedrock response", () => {
  it("maps text, tool use, reasoning, stop reason and usage (cache tokens included in prompt_tokens)", () => {
    const r = chatResponse({
      output: {
        message: {
          role: "assistant",
          content: [
            { reasoningContent: { reasoningText: { text: "hmm", signature: "sig" } } },
            { text: "Let me check." },
            { toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } },
          ],
        },
      },
      stopReason: "tool_use",
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 45, cacheReadInputTokens: 20, cacheWriteInputTokens: 10 },
      metrics: { latencyMs: 100 },
    });
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0].message).toEqual({
      role: "assistant",
      content: "Let me check.",
      reasoning_content: "hmm",
      thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "sig" }],
      tool_calls: [{ id: "tooluse_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    });
    expect(r.choices[0].finish_reason).toBe("tool_calls");
    expect(r.usage).toEqual({ prompt_tokens: 40, completion_tokens: 5, total_tokens: 45, prompt_tokens_details: { cached_tokens: 20, cache_creation_tokens: 10 } });
  });

  it("returns the forced JSON tool's input as content with finish_reason stop", () => {
    const r = chatResponse({
      output: { message: { role: "assistant", content: [{ toolUse: { toolUseId: "t", name: "json_response", input: { answer: 42 } } }] } },
      stopReason: "tool_use",
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    });
    expect(r.choices[0].message.content).toBe('{"answer":42}');
    expect(r.choices[0].message.tool_calls).toBeUndefined();
    expect(r.choices[0].finish_reason).toBe("stop");
  });

  it("maps every stop reason", () => {
    const finish = (stopReason: string) => chatResponse({ output: { message: { role: "assistant", content: [{ text: "x" }] } }, stopReason }).choices[0].finish_reason;
    expect(["end_turn", "stop_sequence", "max_tokens", "model_context_window_exceeded", "tool_use", "guardrail_intervened", "content_filtered"].map(finish)).toEqual([
      "stop",
      "stop",
      "length",
      "length",
      "tool_calls",
      "content_filter",
      "content_filter",
    ]);
  });

  it("rejects a body without output.message", () => {
    expect(thrown(() => chatResponse({ message: "oops" })).code).toBe("upstream_error");
    expect(toUsage(undefined)).toBeUndefined();
  });
});

describe("bedrock stream events", () => {
  const run = (events: Array<[string, unknown]>) => {
    const handle = streamEventFor("bedrock", []);
    const state = { clientWantsUsage: true, data: {} };
    return events.flatMap(([event, data]) => handle({ event, data: JSON.stringify(data) }, state) as ChatChunk[]);
  };

  it("emits role, deltas with tool indices, finish on messageStop and usage on metadata", () => {
    const out = run([
      ["messageStart", { role: "assistant" }],
      ["contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Hi" } }],
      ["contentBlockStart", { contentBlockIndex: 1, start: { toolUse: { toolUseId: "a", name: "f" } } }],
      ["contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: "{}" } } }],
      ["contentBlockStart", { contentBlockIndex: 2, start: { toolUse: { toolUseId: "b", name: "g" } } }],
      ["contentBlockDelta", { contentBlockIndex: 2, delta: { toolUse: { input: '{"x":1}' } } }],
      ["messageStop", { stopReason: "tool_use" }],
      ["metadata", { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 } }],
    ]);
    expect(out.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: "assistant", content: "" },
      { content: "Hi" },
      { tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "f", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: "{}" } }] },
      { tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "g", arguments: "" } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"x":1}' } }] },
      {},
      null,
    ]);
    expect(out[6].choices[0].finish_reason).toBe("tool_calls");
    expect(out[7].choices).toEqual([]);
    expect(out[7].usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    expect(new Set(out.map((c) => c.id)).size).toBe(1);
  });

  it("streams reasoning as reasoning_content and the JSON tool as content", () => {
    const out = run([
      ["contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "think" } } }],
      ["contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "c2ln" } } }],
      ["contentBlockStart", { contentBlockIndex: 1, start: { toolUse: { toolUseId: "j", name: "json_response" } } }],
      ["contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":' } } }],
      ["contentBlockDelta", { contentBlockIndex: 1, delta: { toolUse: { input: "1}" } } }],
      ["messageStop", { stopReason: "tool_use" }],
    ]);
    expect(out.map((c) => c.choices[0].delta)).toEqual([
      { role: "assistant", content: "" },
      { reasoning_content: "think" },
      { thinking_blocks: [{ type: "thinking", signature: "c2ln" }] },
      { content: '{"a":' },
      { content: "1}" },
      {},
    ]);
    expect(out.at(-1)!.choices[0].finish_reason).toBe("stop");
  });

  it("throws a retryable rate limit for a throttlingException event, and a 400 for a validationException", () => {
    const handle = streamEventFor("bedrock", []);
    const state = { clientWantsUsage: false, data: {} };
    const e = thrown(() => handle({ event: "exception:throttlingException", data: '{"message":"Too many tokens, please wait before trying again."}' }, state));
    expect(e.code).toBe("rate_limit_exceeded");
    expect(e.retryable).toBe(true);
    expect(e.message).toContain("Too many tokens");
    expect(thrown(() => handle({ event: "exception:validationException", data: '{"message":"bad"}' }, state)).status).toBe(400);
    expect(thrown(() => handle({ event: "exception:modelStreamErrorException", data: '{"message":"x","originalStatusCode":500}' }, state)).retryable).toBe(true);
  });
});

describe("bedrock errors", () => {
  const h = (type: string) => ({ "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

  it("keeps Bedrock's message and maps statuses by the shared rules", () => {
    const v = errorFromResponse("bedrock", 400, '{"message":"Malformed input request"}', h("ValidationException"), []);
    expect([v.code, v.status, v.message]).toEqual(["invalid_request", 400, "Malformed input request"]);
    expect(errorFromResponse("bedrock", 403, '{"message":"You don\'t have access to the model"}', h("AccessDeniedException"), []).code).toBe("upstream_auth_error");
    expect(errorFromResponse("bedrock", 404, '{"Message":"Model not found"}', {}, []).code).toBe("model_not_found");
    const t = errorFromResponse("bedrock", 429, '{"message":"Too many requests"}', { ...h("ThrottlingException"), "retry-after": "3" }, []);
    expect([t.code, t.retryable, t.retryAfterSeconds]).toEqual(["rate_limit_exceeded", true, 3]);
    expect(errorFromResponse("bedrock", 400, '{"message":"quota"}', h("ServiceQuotaExceededException"), []).code).toBe("rate_limit_exceeded");
    expect(errorFromResponse("bedrock", 408, '{"message":"timeout"}', h("ModelTimeoutException"), []).retryable).toBe(true);
    expect(errorFromResponse("bedrock", 503, '{"message":"busy"}', h("ServiceUnavailableException"), []).code).toBe("upstream_error");
  });

  it("scrubs credentials from messages", () => {
    const e = errorFromResponse("bedrock", 400, '{"message":"bad key secretSECRET123"}', {}, ["secretSECRET123"]);
    expect(e.message).not.toContain("secretSECRET123");
    expect(streamError("bedrock", "error:InternalFailure", "", []).code).toBe("upstream_error");
  });
});

describe("bedrock embeddings requests", () => {
  it("builds Titan and Cohere InvokeModel bodies and refuses more texts than one call takes", async () => {
    const { embeddingsRequest, embeddingsResponse } = await import("../../src/providers/bedrock/embeddings.js");
    const titan = embeddingsRequest({ model: "amazon.titan-embed-text-v2:0", input: "hello", dimensions: 512 });
    expect(titan.path).toBe("/model/amazon.titan-embed-text-v2%3A0/invoke");
    expect(titan.body).toEqual({ inputText: "hello", dimensions: 512 });
    expect(embeddingsRequest({ model: "amazon.titan-embed-text-v1", input: "x", dimensions: 512 }).warnings).toEqual(["dimensions is not supported by amazon.titan-embed-text-v1; ignored"]);
    expect(embeddingsRequest({ model: "cohere.embed-multilingual-v3", input: ["a", "b"] }).body).toEqual({ texts: ["a", "b"], input_type: "search_document" });
    expect(thrown(() => embeddingsRequest({ model: "amazon.titan-embed-text-v2:0", input: ["a", "b"] })).param).toBe("input");
    expect(embeddingsResponse({ embedding: [0.1, 0.2], inputTextTokenCount: 3 })).toEqual({
      object: "list",
      model: "",
      data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    expect(embeddingsResponse({ embeddings: { float: [[1], [2]] } }).data.map((d) => d.embedding)).toEqual([[1], [2]]);
  });
});

/** Gemini translation details the conformance suite does not reach: pure functions over data. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { errorFromResponse } from "../../src/providers/gemini/errors.js";
import { chatResponse } from "../../src/providers/gemini/from-upstream.js";
import { geminiWire, modelResource } from "../../src/providers/gemini/index.js";
import { SKIP_SIGNATURE } from "../../src/providers/gemini/messages.js";
import { toGeminiSchema } from "../../src/providers/gemini/schema.js";
import { streamEvent } from "../../src/providers/gemini/stream.js";
import { chatBody } from "../../src/providers/gemini/to-upstream.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";

const translate = (req: Partial<ChatRequest> & Record<string, unknown>) => {
  const warnings: string[] = [];
  const body = chatBody({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }], ...req }, warnings, "gemini");
  return { body: body as any, warnings };
};
const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };

describe("gemini request: messages", () => {
  it("sends system and developer messages as systemInstruction and maps roles to user/model", () => {
    const { body, warnings } = translate({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Bonjour" },
        { role: "user", content: "Again" },
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }, { text: "Answer in French." }] });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "Hi" }] },
      { role: "model", parts: [{ text: "Bonjour" }] },
      { role: "user", parts: [{ text: "Again" }] },
    ]);
    expect(warnings).toEqual([]);
  });

  it("warns when a system message comes after the conversation started, and merges consecutive turns of one role", () => {
    const { body, warnings } = translate({
      messages: [
        { role: "user", content: "a" },
        { role: "system", content: "late" },
        { role: "user", content: "b" },
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: "late" }] });
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "a" }, { text: "b" }] }]);
    expect(warnings).toEqual([expect.stringContaining("messages[1] was added to systemInstruction")]);
  });

  it("turns tool calls into functionCall parts and tool results into functionResponse parts named after the call", () => {
    const { body } = translate({
      tools: [weather],
      messages: [
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: "sig-1" } } },
            { id: "c2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: "tool", tool_call_id: "c1", content: '{"temp":22}' },
        { role: "tool", tool_call_id: "c2", content: "18C, rain" },
        { role: "user", content: "Thanks" },
      ],
    });
    expect(body.contents[1]).toEqual({
      role: "model",
      parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "sig-1" }, { functionCall: { name: "get_weather", args: { city: "Rome" } } }],
    });
    expect(body.contents[2]).toEqual({
      role: "user",
      parts: [{ functionResponse: { name: "get_weather", response: { temp: 22 } } }, { functionResponse: { name: "get_weather", response: { output: "18C, rain" } } }, { text: "Thanks" }],
    });
  });

  it("adds Gemini's documented placeholder signature to an unsigned function call for Gemini 3 models only", () => {
    const messages = [
      { role: "user", content: "?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "a", type: "function", function: { name: "f", arguments: "{}" } },
          { id: "b", type: "function", function: { name: "g", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "a", content: "1" },
      { role: "tool", tool_call_id: "b", content: "2" },
    ] as ChatRequest["messages"];
    const g3 = translate({ model: "gemini-3-pro-preview", messages }).body.contents[1].parts;
    expect(g3[0].thoughtSignature).toBe(SKIP_SIGNATURE);
    expect(g3[1].thoughtSignature).toBeUndefined();
    expect(translate({ model: "gemini-2.5-pro", messages }).body.contents[1].parts[0].thoughtSignature).toBeUndefined();
  });

  it("rejects a tool result that answers no earlier tool call with a 400", () => {
    expect(() =>
      translate({
        messages: [
          { role: "user", content: "x" },
          { role: "tool", tool_call_id: "nope", content: "1" },
        ],
      }),
    ).toThrow(GatewayError);
    try {
      translate({
        messages: [
          { role: "user", content: "x" },
          { role: "tool", tool_call_id: "nope", content: "1" },
        ],
      });
    } catch (e) {
      expect((e as GatewayError).status).toBe(400);
    }
  });

  it("sends data-URL images inline, other URLs as fileData, and warns about what it cannot honour", () => {
    const { body, warnings } = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.webp?x=1", detail: "high" } },
            { type: "image_url", image_url: { url: "https://example.com/render" } },
            { type: "image_url", image_url: { url: "data:text/plain,h%C3%A9" } },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "mp3" } },
          ],
        },
      ],
    });
    expect(body.contents[0].parts).toEqual([
      { text: "Compare" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { mimeType: "image/webp", fileUri: "https://example.com/cat.webp?x=1" } },
      { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/render" } },
      { inlineData: { mimeType: "text/plain", data: Buffer.from("hé").toString("base64") } },
      { inlineData: { mimeType: "audio/mp3", data: "UklGRg==" } },
    ]);
    expect(warnings).toEqual([expect.stringContaining("image detail 'high'"), expect.stringContaining("sent as image/jpeg")]);
  });

  it("names an image detail that is not a string as JSON", () => {
    const { warnings } = translate({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png", detail: { level: 2 } } }] }] });
    expect(warnings).toEqual(['messages[0].content[0]: image detail {"level":2} is not supported by gemini; ignored']);
  });
});

describe("gemini request: parameters", () => {
  it("maps sampling parameters into generationConfig", () => {
    const { body, warnings } = translate({
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 50,
      max_completion_tokens: 100,
      stop: "END",
      n: 2,
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      top_k: 40,
    });
    expect(body.generationConfig).toEqual({
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      maxOutputTokens: 100,
      stopSequences: ["END"],
      candidateCount: 2,
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
    });
    expect(warnings).toEqual([]);
    expect(translate({ stop: ["a", "b"] }).body.generationConfig.stopSequences).toEqual(["a", "b"]);
  });

  it("reports every parameter it cannot honour instead of dropping it", () => {
    const { body, warnings } = translate({ logit_bias: { "1": 2 }, logprobs: true, top_logprobs: 2, service_tier: "flex", parallel_tool_calls: false, tools: [weather], user: "u1" });
    expect(warnings).toEqual([
      expect.stringContaining("parallel_tool_calls=false"),
      "logit_bias is not supported by gemini; ignored",
      "logprobs is not supported by gemini; ignored",
      "top_logprobs is not supported by gemini; ignored",
      "service_tier is not supported by gemini; ignored",
    ]);
    expect(body).not.toHaveProperty("logit_bias");
  });

  it("maps JSON mode and structured outputs", () => {
    expect(translate({ response_format: { type: "json_object" } }).body.generationConfig).toEqual({ responseMimeType: "application/json" });
    const { body, warnings } = translate({
      response_format: {
        type: "json_schema",
        json_schema: { name: "x", strict: true, schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false } },
      },
    });
    expect(body.generationConfig).toEqual({ responseMimeType: "application/json", responseSchema: { type: "OBJECT", properties: { n: { type: "INTEGER" } }, required: ["n"] } });
    expect(warnings).toEqual([]);
  });

  it("maps reasoning_effort to thinkingBudget (Gemini 2.x) or thinkingLevel (Gemini 3) and asks for thought summaries", () => {
    expect(translate({ reasoning_effort: "low" }).body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(translate({ reasoning_effort: "none" }).body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0, includeThoughts: false } });
    expect(translate({ model: "gemini-3-flash-preview", reasoning_effort: "high" }).body.generationConfig).toEqual({ thinkingConfig: { thinkingLevel: "high", includeThoughts: true } });
    const none3 = translate({ model: "gemini-3-pro-preview", reasoning_effort: "none" });
    expect(none3.body.generationConfig.thinkingConfig.thinkingLevel).toBe("minimal");
    expect(none3.warnings).toHaveLength(1);
  });

  it("maps tool_choice to functionCallingConfig", () => {
    const mode = (tool_choice: unknown) => translate({ tools: [weather, { type: "function", function: { name: "other" } }], tool_choice } as any).body;
    expect(mode("none").toolConfig).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(mode("auto").toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(mode("required").toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(mode({ type: "function", function: { name: "get_weather" } }).toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } });
    const allowed = mode({ type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "other" } }] } });
    expect(allowed.tools[0].functionDeclarations.map((d: any) => d.name)).toEqual(["other"]);
    expect(allowed.toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(translate({ tools: [weather] }).body.tools).toEqual([
      { functionDeclarations: [{ name: "get_weather", parameters: { type: "OBJECT", properties: { city: { type: "STRING" } }, required: ["city"] } }] },
    ]);
  });

  it("omits the parameters of a function without arguments (Gemini rejects an empty OBJECT)", () => {
    const { body } = translate({ tools: [{ type: "function", function: { name: "now", description: "Time", parameters: { type: "object", properties: {} } } }] });
    expect(body.tools[0].functionDeclarations[0]).toEqual({ name: "now", description: "Time" });
  });
});

describe("gemini request: JSON schema conversion", () => {
  it("inlines $refs, turns null unions into nullable and const into enum", () => {
    const { schema, dropped } = toGeminiSchema({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      $defs: { Unit: { type: "string", enum: ["C", "F"] } },
      properties: {
        unit: { $ref: "#/$defs/Unit" },
        note: { type: ["string", "null"], description: "free text" },
        when: { anyOf: [{ type: "string", format: "date-time" }, { type: "null" }] },
        kind: { const: "weather" },
        tags: { type: "array", items: { type: "string" }, minItems: 1 },
      },
      required: ["unit", "missing"],
      additionalProperties: false,
    });
    expect(schema).toEqual({
      type: "OBJECT",
      properties: {
        unit: { type: "STRING", enum: ["C", "F"] },
        note: { type: "STRING", nullable: true, description: "free text" },
        when: { type: "STRING", format: "date-time", nullable: true },
        kind: { type: "STRING", enum: ["weather"] },
        tags: { type: "ARRAY", items: { type: "STRING" }, minItems: 1 },
      },
      required: ["unit"],
    });
    expect(dropped).toEqual([]);
  });

  it("reports keywords it had to remove", () => {
    const { schema, dropped } = toGeminiSchema({
      type: "object",
      properties: { n: { type: "number", exclusiveMinimum: 0, multipleOf: 2 }, u: { type: "string", format: "uri" }, m: { type: "object", additionalProperties: { type: "string" } } },
    });
    expect(schema.properties).toEqual({ n: { type: "NUMBER" }, u: { type: "STRING" }, m: { type: "OBJECT" } });
    expect(dropped).toEqual(["exclusiveMinimum", "multipleOf", 'format "uri"', "additionalProperties"]);
  });

  it("cuts recursive references", () => {
    const { schema, dropped } = toGeminiSchema({ type: "object", properties: { child: { $ref: "#" } } });
    expect((schema.properties as any).child).toEqual({ type: "OBJECT", properties: { child: { type: "OBJECT" } } });
    expect(dropped).toEqual(["$ref # (recursive)"]);
  });
});

describe("gemini response", () => {
  it("reads text, thought summaries, function calls with their signatures, finish reason and usage", () => {
    const r = chatResponse({
      candidates: [
        {
          content: {
            role: "model",
            parts: [{ text: "thinking…", thought: true }, { text: "Let me check." }, { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "sig" }],
          },
          finishReason: "STOP",
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, thoughtsTokenCount: 30, cachedContentTokenCount: 60, totalTokenCount: 140 },
      modelVersion: "gemini-2.5-flash",
      responseId: "abc",
    });
    expect(r.id).toBe("chatcmpl-abc");
    expect(r.model).toBe("gemini-2.5-flash");
    expect(r.choices[0]).toEqual({
      index: 0,
      logprobs: null,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: "Let me check.",
        reasoning_content: "thinking…",
        tool_calls: [{ id: "call_abc_0", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: "sig" } } }],
      },
    });
    expect(r.usage).toEqual({ prompt_tokens: 100, completion_tokens: 40, total_tokens: 140, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 30 } });
  });

  it("maps finish reasons and a blocked prompt", () => {
    const finish = (finishReason: string) => chatResponse({ candidates: [{ content: { parts: [{ text: "x" }] }, finishReason }] }).choices[0].finish_reason;
    expect(finish("MAX_TOKENS")).toBe("length");
    expect(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"].map(finish)).toEqual(Array(5).fill("content_filter"));
    expect(finish("OTHER")).toBe("stop");
    const blocked = chatResponse({ promptFeedback: { blockReason: "SAFETY" }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } });
    expect(blocked.choices).toEqual([{ index: 0, message: { role: "assistant", content: "" }, finish_reason: "content_filter", logprobs: null }]);
    expect(() => chatResponse({})).toThrow(GatewayError);
  });

  it("returns one choice per candidate", () => {
    const r = chatResponse({
      candidates: [
        { content: { parts: [{ text: "a" }] }, finishReason: "STOP", index: 0 },
        { content: { parts: [{ text: "b" }] }, finishReason: "MAX_TOKENS", index: 1 },
      ],
    });
    expect(r.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, "a", "stop"],
      [1, "b", "length"],
    ]);
  });
});

describe("gemini stream", () => {
  const run = (events: unknown[]) => {
    const state = { clientWantsUsage: true, data: {} };
    return events.flatMap((e) => streamEvent({ data: JSON.stringify(e) }, state));
  };

  it("emits role, deltas, one finish per candidate and the usage chunk once every candidate finished", () => {
    const chunks: ChatChunk[] = run([
      {
        candidates: [
          { content: { parts: [{ text: "A" }] }, index: 0 },
          { content: { parts: [{ text: "B" }] }, index: 1 },
        ],
        responseId: "r",
      },
      { candidates: [{ content: { parts: [{ text: "a" }] }, index: 0, finishReason: "STOP" }], usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } },
      {
        candidates: [{ content: { parts: [{ functionCall: { name: "f", args: {} } }] }, index: 1, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
      },
    ]);
    expect(chunks.map((c) => [c.choices[0]?.index, c.choices[0]?.delta, c.choices[0]?.finish_reason ?? null])).toEqual([
      [0, { role: "assistant", content: "" }, null],
      [0, { content: "A" }, null],
      [1, { role: "assistant", content: "" }, null],
      [1, { content: "B" }, null],
      [0, { content: "a" }, null],
      [0, {}, "stop"],
      [1, { tool_calls: [{ index: 0, id: "call_r_0", type: "function", function: { name: "f", arguments: "{}" } }] }, null],
      [1, {}, "tool_calls"],
      [undefined, undefined, null],
    ]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-r"]));
  });

  it("streams thought summaries as reasoning_content and ends a blocked prompt with content_filter", () => {
    const thought = run([{ candidates: [{ content: { parts: [{ text: "hmm", thought: true }] } }] }]);
    expect(thought[1].choices[0].delta).toEqual({ reasoning_content: "hmm" });
    const blocked = run([{ promptFeedback: { blockReason: "PROHIBITED_CONTENT" }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }]);
    expect(blocked.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, "content_filter", null]);
    expect(blocked[2].usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 0 });
  });

  it("fails on an error event", () => {
    expect(() => run([{ error: { code: 500, message: "An internal error has occurred.", status: "INTERNAL" } }])).toThrow("An internal error has occurred.");
  });
});

describe("gemini errors and paths", () => {
  it("treats an invalid API key (400 API_KEY_INVALID) as the gateway's auth failure", () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }],
      },
    });
    const e = errorFromResponse("g", 400, body, {}, []);
    expect([e.code, e.status]).toEqual(["upstream_auth_error", 502]);
  });

  it("uses RetryInfo.retryDelay when there is no Retry-After header, and keeps other statuses' classes", () => {
    const body = JSON.stringify({
      error: { code: 429, message: "Resource exhausted", status: "RESOURCE_EXHAUSTED", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37.5s" }] },
    });
    const e = errorFromResponse("g", 429, body, {}, []);
    expect([e.code, e.retryAfterSeconds, e.message]).toEqual(["rate_limit_exceeded", 38, "Resource exhausted"]);
    expect(errorFromResponse("g", 404, JSON.stringify({ error: { code: 404, message: "models/x is not found", status: "NOT_FOUND" } }), {}, []).code).toBe("model_not_found");
    const overloaded = errorFromResponse("g", 503, JSON.stringify({ error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" } }), {}, []);
    expect([overloaded.code, overloaded.retryable]).toEqual(["upstream_error", true]);
  });

  it("builds the documented URLs", () => {
    const wire = geminiWire("g", [], { apiVersion: "v1beta" });
    const req = { model: "gemini-2.5-flash", messages: [{ role: "user" as const, content: "x" }] };
    expect(wire.chatRequest(req, false).path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(wire.chatRequest(req, true).path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    expect(wire.embeddingsRequest!({ model: "gemini-embedding-001", input: "x" }).path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(modelResource("tunedModels/my-model")).toBe("tunedModels/my-model");
    expect(modelResource("models/gemini-2.0-flash")).toBe("models/gemini-2.0-flash");
  });
});

/** The Gemini provider over real HTTP against the fake, and the fake's own strictness (it must be able to fail a wrong translation). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { createGeminiProvider } from "../../src/providers/gemini/index.js";
import type { CallOptions, Provider } from "../../src/providers/types.js";
import type { ChatChunk, ChatRequest } from "../../src/wire/openai.js";
import { startFakeGemini, type FakeGoogle } from "../support/fake-gemini.js";

const KEY = "AIza-unit-gemini-key";
const opts = (warnings: string[] = []): CallOptions => ({ timeouts: { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10000 }, warn: (w) => warnings.push(w) });

let fake: FakeGoogle;
let provider: Provider;
beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: KEY });
  provider = createGeminiProvider({ id: "g", type: "gemini", apiKey: KEY, baseUrl: fake.url, headers: {}, extra: {} }, { connectTimeoutMs: 2000 });
});
afterAll(async () => {
  await provider.close?.();
  await fake.close();
});
beforeEach(() => fake.reset());

const post = (path: string, body: unknown, headers: Record<string, string> = { "x-goog-api-key": KEY }) =>
  fetch(fake.url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("the fake Gemini server rejects what Gemini rejects", () => {
  const path = "/v1beta/models/gemini-2.5-flash:generateContent";
  const user = { role: "user", parts: [{ text: "hi" }] };
  it.each([
    ["OpenAI's body", { model: "x", messages: [{ role: "user", content: "hi" }] }, 'Unknown name "model"'],
    ["no contents", { contents: [] }, "contents is not specified"],
    ["an assistant role", { contents: [{ role: "assistant", parts: [{ text: "x" }] }] }, "Please use a valid role: user, model."],
    ["a part with two kinds", { contents: [{ role: "user", parts: [{ text: "x", inlineData: { mimeType: "image/png", data: "AA==" } }] }] }, "oneof field 'data'"],
    [
      "JSON-schema keywords",
      { contents: [user], tools: [{ functionDeclarations: [{ name: "f", parameters: { type: "OBJECT", properties: { a: { type: "STRING" } }, additionalProperties: false } }] }] },
      'Unknown name "additionalProperties"',
    ],
    ["lower-case schema types", { contents: [user], tools: [{ functionDeclarations: [{ name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } }] }] }, "Invalid value"],
    ["an unanswered function call", { contents: [user, { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] }, user] }, "number of function response parts"],
    ["OpenAI's max_tokens", { contents: [user], generationConfig: { max_tokens: 5 } }, 'Unknown name "max_tokens"'],
  ])("%s", async (_name, body, message) => {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as any;
    expect(json.error.status).toBe("INVALID_ARGUMENT");
    expect(json.error.message).toContain(message);
  });

  it("requires the API key header", async () => {
    expect((await post(path, { contents: [user] }, {})).status).toBe(403);
    expect((await post(path, { contents: [user] }, { authorization: `Bearer ${KEY}` })).status).toBe(403);
    const wrong = await post(path, { contents: [user] }, { "x-goog-api-key": "AIza-wrong" });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).error.details[0].reason).toBe("API_KEY_INVALID");
  });
});

describe("gemini provider over HTTP", () => {
  it("sends the key in x-goog-api-key and a valid generateContent body, and reports warnings", async () => {
    fake.enqueue({ text: "Hi!", usage: { input: 3, output: 2 } });
    const warnings: string[] = [];
    const r = await provider.chat(
      {
        model: "gemini-2.5-flash",
        messages: [
          { role: "system", content: "Be kind" },
          { role: "user", content: "Hello" },
        ],
        logit_bias: { "1": 1 },
      },
      opts(warnings),
    );
    expect(r.choices[0].message.content).toBe("Hi!");
    expect(r.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    const call = fake.calls[0];
    expect(call.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(call.headers["x-goog-api-key"]).toBe(KEY);
    expect(call.headers.authorization).toBeUndefined();
    expect(call.body).toEqual({ contents: [{ role: "user", parts: [{ text: "Hello" }] }], systemInstruction: { parts: [{ text: "Be kind" }] } });
    expect(warnings).toEqual(["logit_bias is not supported by gemini; ignored"]);
  });

  it("maps a rejected key to upstream_auth_error without leaking it", async () => {
    const bad = createGeminiProvider({ id: "g", type: "gemini", apiKey: "AIza-wrong-key-123456", baseUrl: fake.url, headers: {}, extra: {} }, { connectTimeoutMs: 2000 });
    const err = await bad.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] }, opts()).catch((e) => e);
    await bad.close?.();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe("upstream_auth_error");
    expect(err.message).not.toContain("AIza-wrong-key-123456");
  });

  it("round-trips Gemini 3 thought signatures through extra_content, and fills the placeholder when a client dropped them", async () => {
    const model = "gemini-3-pro-preview";
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    fake.enqueue({ toolCalls: [{ id: "x", name: "get_weather", arguments: { city: "Oslo" } }], finish: "tool_calls" });
    const first = await provider.chat({ model, tools, messages: [{ role: "user", content: "Weather?" }] }, opts());
    const msg = first.choices[0].message;
    expect((msg.tool_calls![0] as any).extra_content).toEqual({ google: { thought_signature: "c2lnbmF0dXJlLW9mLXRoZS1mYWtl" } });

    for (const assistant of [msg, { ...msg, tool_calls: msg.tool_calls!.map(({ id, type, function: f }) => ({ id, type, function: f })) }]) {
      fake.enqueue({ text: "Cold." });
      const next = await provider.chat(
        { model, tools, messages: [{ role: "user", content: "Weather?" }, assistant, { role: "tool", tool_call_id: msg.tool_calls![0].id, content: "-3C" }] } as ChatRequest,
        opts(),
      );
      expect(next.choices[0].message.content).toBe("Cold.");
    }
    const sent = fake.calls.slice(1).map((c) => c.body.contents[1].parts[0].thoughtSignature);
    expect(sent).toEqual(["c2lnbmF0dXJlLW9mLXRoZS1mYWtl", "skip_thought_signature_validator"]);
  });

  it("streams with alt=sse and ends with finish and usage chunks", async () => {
    fake.enqueue({ text: "Grüß dich", reasoning: "Greeting in German", usage: { input: 4, output: 3, reasoning: 5 } });
    const stream = await provider.chatStream({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }], reasoning_effort: "low" }, opts());
    const chunks: ChatChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(fake.calls[0].path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    expect(fake.calls[0].body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Grüß dich");
    expect(chunks.map((c) => (c.choices[0]?.delta.reasoning_content as string | undefined) ?? "").join("")).toBe("Greeting in German");
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 4, completion_tokens: 8, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 5 } });
  });

  it("embeds with batchEmbedContents and honours encoding_format base64", async () => {
    const floats = await provider.embeddings!({ model: "gemini-embedding-001", input: ["a", "b"], dimensions: 4, encoding_format: "float" }, opts());
    expect(fake.calls[0].path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(fake.calls[0].body).toEqual({
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "a" }] }, outputDimensionality: 4 },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "b" }] }, outputDimensionality: 4 },
      ],
    });
    expect(floats.model).toBe("gemini-embedding-001");
    expect(floats.usage).toBeUndefined();
    const b64 = await provider.embeddings!({ model: "gemini-embedding-001", input: ["a", "b"], dimensions: 4, encoding_format: "base64" }, opts());
    const decoded = b64.data.map((d) => {
      const buf = Buffer.from(d.embedding as string, "base64");
      return Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4));
    });
    expect(decoded[1]).toEqual((floats.data[1].embedding as number[]).map((x) => Math.fround(x)));
    const err = await provider.embeddings!({ model: "gemini-embedding-001", input: [1, 2, 3] }, opts()).catch((e) => e);
    expect([err.code, err.status]).toEqual(["invalid_request", 400]);
  });
});

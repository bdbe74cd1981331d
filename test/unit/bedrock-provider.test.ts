/**
 * The Bedrock provider against the fake Bedrock Runtime: SigV4 signing (verified by the fake),
 * Bedrock API keys, credentials errors, the forced JSON tool end to end, Titan / Cohere
 * embeddings, and event-stream framing details (exceptions, hand-built frames).
 */
import { crc32 } from "node:zlib";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { detectProviders } from "../../src/config/env.js";
import { parseConfig } from "../../src/config/index.js";
import type { ProviderSettings } from "../../src/config/types.js";
import { GatewayError } from "../../src/core/errors.js";
import { authorizer } from "../../src/providers/bedrock/auth.js";
import { bedrockWire, createBedrockProvider } from "../../src/providers/bedrock/index.js";
import { defaultBaseUrl } from "../../src/providers/bedrock/native.js";
import { decodeChunks } from "../../src/providers/chunk-stream.js";
import type { CallOptions } from "../../src/providers/types.js";
import type { ChatChunk } from "../../src/wire/openai.js";
import { encodeEvent, startFakeBedrock, type FakeBedrock } from "../support/fake-bedrock.js";

const MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const opts: CallOptions = { timeouts: { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10000 } };
const messages = [{ role: "user" as const, content: "Hi" }];

let fake: FakeBedrock;
beforeAll(async () => {
  fake = await startFakeBedrock({ region: "ap-northeast-1", sessionToken: "session-token-FQoGZXIvYXdzEJr" });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function settings(extra: Record<string, unknown> = {}, apiKey?: string): ProviderSettings {
  const o = fake.options;
  return {
    id: "bedrock",
    type: "bedrock",
    baseUrl: fake.url,
    headers: {},
    ...(apiKey ? { apiKey } : {}),
    extra: { region: o.region, access_key_id: o.accessKeyId, secret_access_key: o.secretAccessKey, session_token: o.sessionToken, ...extra },
  };
}
const provider = (extra: Record<string, unknown> = {}, apiKey?: string) => createBedrockProvider(settings(extra, apiKey), { connectTimeoutMs: 2000 });

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    return e as GatewayError;
  }
  throw new Error("expected a rejection");
}

describe("bedrock authentication", () => {
  it("signs with SigV4 (service bedrock, the configured region, session token) and the fake accepts it", async () => {
    const r = await provider().chat({ model: MODEL, messages }, opts);
    expect(r.choices[0].message.content).toBe("Hello from the fake");
    expect(r.model).toBe(MODEL);
    const call = fake.calls[0];
    expect(call.path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    expect(String(call.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFAKEBEDROCK01\/\d{8}\/ap-northeast-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]*host;[a-z0-9;-]*x-amz-security-token[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(call.headers["x-amz-security-token"]).toBe("session-token-FQoGZXIvYXdzEJr");
    expect(call.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(call.headers["content-type"]).toBe("application/json");
  });

  it("a wrong secret, region or session token is refused by the fake and reported as the gateway's credentials", async () => {
    for (const extra of [{ secret_access_key: "wrong-secret-0123456789" }, { region: "us-west-2" }, { session_token: "other-token-123456" }]) {
      const e = await rejection(provider(extra).chat({ model: MODEL, messages }, opts));
      expect(e.code).toBe("upstream_auth_error");
      expect(e.retryable).toBe(false);
    }
    const e = await rejection(provider({ secret_access_key: "wrong-secret-0123456789" }).chat({ model: MODEL, messages }, opts));
    expect(e.message).toContain("The request signature we calculated does not match");
    expect(e.message).not.toContain("wrong-secret-0123456789");
  });

  it("uses a Bedrock API key as a bearer token instead of SigV4", async () => {
    await provider({}, fake.options.apiKey).chat({ model: MODEL, messages }, opts);
    expect(fake.calls[0].headers.authorization).toBe(`Bearer ${fake.options.apiKey}`);
    expect(fake.calls[0].headers["x-amz-date"]).toBeUndefined();
    const e = await rejection(provider({}, "not-the-right-key-000").chat({ model: MODEL, messages }, opts));
    expect(e.code).toBe("upstream_auth_error");
    expect(e.message).not.toContain("not-the-right-key-000");
  });

  it("without credentials fails before calling upstream", async () => {
    const p = createBedrockProvider({ id: "bedrock", type: "bedrock", baseUrl: fake.url, headers: {}, extra: {} }, { connectTimeoutMs: 2000 });
    const e = await rejection(p.chat({ model: MODEL, messages }, opts));
    expect(e.code).toBe("upstream_auth_error");
    expect(e.message).toContain("access_key_id and secret_access_key");
    expect(fake.calls).toHaveLength(0);
  });

  it("defaults the endpoint to the region's bedrock-runtime host", () => {
    expect(defaultBaseUrl("eu-west-3")).toBe("https://bedrock-runtime.eu-west-3.amazonaws.com");
  });

  it("is detected from AWS_BEARER_TOKEN_BEDROCK alone, or with AWS keys", () => {
    expect(detectProviders({ AWS_BEARER_TOKEN_BEDROCK: "ABSKkey", AWS_REGION: "eu-west-1" })).toEqual([
      { id: "bedrock", envVar: "AWS_BEARER_TOKEN_BEDROCK", apiKey: "ABSKkey", extra: { region: "eu-west-1" } },
    ]);
    expect(detectProviders({ AWS_BEARER_TOKEN_BEDROCK: "ABSKkey", AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s" })).toEqual([
      { id: "bedrock", envVar: "AWS_ACCESS_KEY_ID", apiKey: "ABSKkey", extra: { region: "us-east-1", access_key_id: "AKIA", secret_access_key: "s" } },
    ]);
    const config = parseConfig({}, { env: { AWS_BEARER_TOKEN_BEDROCK: "ABSKkey" } });
    expect(config.providers.bedrock).toEqual({ id: "bedrock", type: "bedrock", apiKey: "ABSKkey", headers: {}, extra: { region: "us-east-1" } });
  });
});

describe("the fake rejects what Bedrock rejects", () => {
  async function post(path: string, body: unknown) {
    const req = { url: fake.url + path, method: "POST", headers: { "content-type": "application/json" } as Record<string, string>, body: JSON.stringify(body) };
    await authorizer("bedrock", { region: fake.options.region, accessKeyId: fake.options.accessKeyId, secretAccessKey: fake.options.secretAccessKey, sessionToken: fake.options.sessionToken })(req);
    const res = await fetch(req.url, { method: "POST", headers: req.headers, body: req.body });
    return { status: res.status, type: res.headers.get("x-amzn-errortype") ?? "", message: ((await res.json()) as { message?: string }).message ?? "" };
  }
  const path = `/model/${encodeURIComponent(MODEL)}/converse`;
  const user = { role: "user", content: [{ text: "Hi" }] };

  it("answers a valid signed request", async () => {
    expect((await post(path, { messages: [user] })).status).toBe(200);
  });

  it.each([
    ["an OpenAI field", { messages: [user], temperature: 0.5 }, "extraneous key [temperature]"],
    ["a system role", { messages: [{ role: "system", content: [{ text: "x" }] }, user] }, "role"],
    ["an assistant first", { messages: [{ role: "assistant", content: [{ text: "x" }] }] }, "must start with a user message"],
    ["two user turns in a row", { messages: [user, user] }, "must alternate"],
    ["a blank text block", { messages: [{ role: "user", content: [{ text: "" }] }] }, "is blank"],
    ["an image URL", { messages: [{ role: "user", content: [{ image: { format: "png", source: { url: "https://x" } } }] }] }, "source.bytes"],
    [
      "tool blocks without toolConfig",
      {
        messages: [
          user,
          { role: "assistant", content: [{ toolUse: { toolUseId: "t", name: "f", input: {} } }] },
          { role: "user", content: [{ toolResult: { toolUseId: "t", content: [{ text: "ok" }] } }] },
        ],
      },
      "toolConfig field must be defined",
    ],
  ])("rejects %s with a ValidationException", async (_name, body, text) => {
    const r = await post(path, body);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^ValidationException:/);
    expect(r.message).toContain(text);
  });
});

describe("bedrock JSON schema through the forced tool", () => {
  const format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { answer: { type: "number" } } } } };

  it("comes back as content, streamed and not", async () => {
    const p = provider();
    fake.enqueue({ text: '{"answer":42}' });
    const r = await p.chat({ model: MODEL, messages, response_format: format }, opts);
    expect(r.choices[0].message.content).toBe('{"answer":42}');
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(fake.calls[0].body.toolConfig.toolChoice).toEqual({ tool: { name: "json_response" } });

    fake.enqueue({ text: '{"answer":42}', splitBytes: true });
    const chunks: ChatChunk[] = [];
    for await (const c of await p.chatStream({ model: MODEL, messages, response_format: format, stream: true }, opts)) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe('{"answer":42}');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.every((c) => c.model === MODEL)).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.delta?.tool_calls)).toBe(false);
  });

  it("streams reasoning as reasoning_content", async () => {
    fake.enqueue({ reasoning: "Let me think… 思", text: "Done", usage: { input: 10, output: 4 } });
    const chunks: ChatChunk[] = [];
    for await (const c of await provider().chatStream({ model: MODEL, messages, reasoning_effort: "low", stream: true }, opts)) chunks.push(c);
    expect(chunks.map((c) => (c.choices[0]?.delta?.reasoning_content as string | undefined) ?? "").join("")).toBe("Let me think… 思");
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("Done");
    expect(fake.calls[0].path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream");
    expect(fake.calls[0].body.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } });
  });
});

describe("bedrock embeddings", () => {
  it("Titan: one signed InvokeModel call per input, joined in order, with summed usage", async () => {
    const r = await provider().embeddings!({ model: "amazon.titan-embed-text-v2:0", input: ["alpha", "beta gamma", "delta"], dimensions: 256 }, opts);
    expect(fake.calls.map((c) => c.path)).toEqual(Array(3).fill("/model/amazon.titan-embed-text-v2%3A0/invoke"));
    expect(fake.calls.map((c) => c.body.inputText).sort()).toEqual(["alpha", "beta gamma", "delta"]);
    expect(fake.calls[0].body.dimensions).toBe(256);
    expect(r.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect((r.data[0].embedding as number[]).length).toBe(256);
    expect(r.usage).toEqual({ prompt_tokens: 2 + 3 + 2, total_tokens: 7 });
    expect(r.model).toBe("amazon.titan-embed-text-v2:0");
  });

  it("base64 encoding_format returns float32 bytes of the same vector", async () => {
    const p = provider();
    const floats = await p.embeddings!({ model: "amazon.titan-embed-text-v2:0", input: "same", encoding_format: "float" }, opts);
    const b64 = await p.embeddings!({ model: "amazon.titan-embed-text-v2:0", input: "same", encoding_format: "base64" }, opts);
    const decoded = Array.from(new Float32Array(new Uint8Array(Buffer.from(b64.data[0].embedding as string, "base64")).buffer));
    expect(decoded).toEqual((floats.data[0].embedding as number[]).map((x) => Math.fround(x)));
    expect(fake.calls.every((c) => !("encoding_format" in c.body))).toBe(true);
  });

  it("Cohere: texts in one call with input_type, usage estimated", async () => {
    const r = await provider().embeddings!({ model: "cohere.embed-english-v3", input: ["one", "two"] }, opts);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].body).toEqual({ texts: ["one", "two"], input_type: "search_document" });
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    expect(r.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("refuses other model families and token-id input", async () => {
    expect((await rejection(provider().embeddings!({ model: "amazon.nova-embed", input: "x" }, opts))).code).toBe("invalid_request");
    expect((await rejection(provider().embeddings!({ model: "amazon.titan-embed-text-v2:0", input: [1, 2, 3] }, opts))).param).toBe("input");
  });
});

describe("bedrock event-stream framing", () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  // eslint-disable-next-line @typescript-eslint/require-await -- the bytes are at hand, but the decoder under test reads an async iterable
  async function* once(bytes: Uint8Array) {
    yield bytes;
  }
  const decode = async (bytes: Uint8Array) => {
    const out: ChatChunk[] = [];
    for await (const c of decodeChunks(bedrockWire("bedrock", { region: "us-east-1" }), once(bytes), { clientWantsUsage: true, data: {} })) out.push(c);
    return out;
  };

  it("a frame built by hand from the documented layout decodes (prelude, headers, payload, CRCs)", async () => {
    // header: name length (1 byte), name, value type 7 (string), value length (2 bytes), value
    const header = (name: string, value: string) => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(Buffer.byteLength(value), 0);
      return Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from([7]), len, Buffer.from(value)]);
    };
    const headers = Buffer.concat([header(":event-type", "contentBlockDelta"), header(":content-type", "application/json"), header(":message-type", "event")]);
    const payload = Buffer.from(JSON.stringify({ contentBlockIndex: 0, delta: { text: "żółw" }, p: "abc" }));
    const total = 12 + headers.length + payload.length + 4;
    const prelude = Buffer.alloc(8);
    prelude.writeUInt32BE(total, 0);
    prelude.writeUInt32BE(headers.length, 4);
    const preludeCrc = Buffer.alloc(4);
    preludeCrc.writeUInt32BE(crc32(prelude), 0);
    const body = Buffer.concat([prelude, preludeCrc, headers, payload]);
    const messageCrc = Buffer.alloc(4);
    messageCrc.writeUInt32BE(crc32(body), 0);
    const frame = new Uint8Array(Buffer.concat([body, messageCrc]));
    expect(codec.decode(frame).headers[":event-type"].value).toBe("contentBlockDelta");
    const out = await decode(frame);
    expect(out.map((c) => c.choices[0].delta)).toEqual([{ role: "assistant", content: "" }, { content: "żółw" }]);
  });

  it("an exception frame ends the stream with a typed error", async () => {
    const exception = codec.encode({
      headers: {
        ":exception-type": { type: "string", value: "throttlingException" },
        ":content-type": { type: "string", value: "application/json" },
        ":message-type": { type: "string", value: "exception" },
      },
      body: fromUtf8('{"message":"Too many tokens, please wait before trying again."}'),
    });
    const start = encodeEvent("messageStart", { role: "assistant" });
    const e = await rejection(decode(new Uint8Array([...start, ...exception])));
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.code).toBe("rate_limit_exceeded");
    expect(e.message).toContain("Too many tokens");
  });
});

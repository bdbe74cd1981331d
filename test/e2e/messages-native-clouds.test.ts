/**
 * Native pass-through of Anthropic's Messages API to Claude on Amazon Bedrock (InvokeModel,
 * InvokeModelWithResponseStream) and Google Vertex AI (rawPredict, streamRawPredict), with the
 * official `@anthropic-ai/sdk` against the gateway in front of the Bedrock and Vertex fakes: the
 * body as each cloud documents it, the answer and the stream's events unchanged, usage with cache
 * tokens costed at the catalog's price.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { costOf, microsToUsd, priceOf } from "../../src/catalog/prices.js";
import { startFakeBedrock, type FakeBedrock } from "../support/fake-bedrock.js";
import { startFakeVertex, VERTEX_PROJECT, VERTEX_REGION, type FakeVertex } from "../support/fake-vertex.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let bedrock: FakeBedrock;
let vertex: FakeVertex;
let gw: TestGateway;
let client: Anthropic;

const BEDROCK_MODEL = "anthropic.claude-sonnet-4-6";
const VERTEX_MODEL = "claude-sonnet-4-5@20250929";

const REQUEST = {
  max_tokens: 2048,
  system: [{ type: "text", text: "Be exact.", cache_control: { type: "ephemeral" } }],
  thinking: { type: "enabled", budget_tokens: 1024 },
  tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 1 }],
  messages: [
    {
      role: "user",
      content: [
        { type: "document", source: { type: "text", media_type: "text/plain", data: "Grass is green." }, citations: { enabled: true } },
        { type: "text", text: "Colour?" },
      ],
    },
    {
      role: "assistant",
      content: [
        { type: "redacted_thinking", data: "EmwKAhgB" },
        { type: "text", text: "Green." },
      ],
    },
    { role: "user", content: "Sure?" },
  ],
};

const MESSAGE = {
  id: "msg_bdrk_01",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [
    { type: "thinking", thinking: "Yes.", signature: "sig-1" },
    { type: "text", text: "Green.", citations: [{ type: "char_location", cited_text: "Grass is green.", document_index: 0, start_char_index: 0, end_char_index: 15 }] },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 700, cache_creation_input_tokens: 100, cache_read_input_tokens: 1200, output_tokens: 80 },
};

/** The catalog's price for these tokens, as the ledger should bill them. */
function catalogCost(providerType: string, model: string): string {
  const price = priceOf(providerType, model);
  if (!price) throw new Error(`no catalog price for ${providerType}:${model}`);
  return microsToUsd(costOf(price, { promptTokens: 2000, completionTokens: 80, cachedTokens: 1200, cacheWriteTokens: 100, reasoningTokens: 0 }).totalMicros);
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(gw.url + "/v1/messages", {
    method: "POST",
    headers: { "x-api-key": gw.masterKey, "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

async function receipt(res: Response): Promise<any> {
  await gw.usage.flush();
  const r = await fetch(`${gw.url}/v1/logs/${res.headers.get("x-switchboard-request-id")}`, { headers: { authorization: `Bearer ${gw.masterKey}` } });
  return r.json();
}

function sseEvents(text: string): Array<[string, string]> {
  return text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((b) => {
      const lines = b.split("\n");
      return [lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "", lines.find((l) => l.startsWith("data: "))?.slice(6) ?? ""];
    });
}

const STREAM: Array<[string, unknown]> = [
  ["message_start", { type: "message_start", message: { ...MESSAGE, content: [], stop_reason: null, usage: { ...MESSAGE.usage, output_tokens: 1 } } }],
  ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Yes." } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig-1" } }],
  ["content_block_stop", { type: "content_block_stop", index: 0 }],
  ["content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }],
  ["content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Green." } }],
  ["content_block_stop", { type: "content_block_stop", index: 1 }],
  ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 80 } }],
  ["message_stop", { type: "message_stop" }],
];

beforeAll(async () => {
  bedrock = await startFakeBedrock();
  vertex = await startFakeVertex();
  gw = await startTestGateway({
    routing: { retries: 0 },
    providers: {
      bedrock: { type: "bedrock", base_url: bedrock.url, region: bedrock.options.region, access_key_id: bedrock.options.accessKeyId, secret_access_key: bedrock.options.secretAccessKey },
      vertex: { type: "vertex", base_url: vertex.url, project: VERTEX_PROJECT, region: VERTEX_REGION, credentials: JSON.stringify(vertex.credentials), token_url: vertex.tokenUrl },
    },
    pricing: { [`vertex:${VERTEX_MODEL}`]: { input: 3, output: 15, cached_input: 0.3 } },
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await bedrock?.close();
  await vertex?.close();
});
beforeEach(() => {
  bedrock.reset();
  vertex.reset();
});

describe("Claude on Bedrock", () => {
  it("InvokeModel gets the client's body without model and stream, with bedrock-2023-05-31 and anthropic_beta; the Message comes back unchanged and is costed at the catalog's price", async () => {
    bedrock.enqueue({ message: MESSAGE });
    const res = await post({ model: `bedrock:${BEDROCK_MODEL}`, ...REQUEST }, { "anthropic-beta": "context-1m-2025-08-07" });
    expect(res.status).toBe(200);
    expect(bedrock.calls[0].path).toBe(`/model/${BEDROCK_MODEL}/invoke`);
    expect(bedrock.calls[0].body).toEqual({ anthropic_version: "bedrock-2023-05-31", ...REQUEST, anthropic_beta: ["context-1m-2025-08-07"] });
    expect(await res.text()).toBe(JSON.stringify(MESSAGE));
    const r = await receipt(res);
    expect(r.attempts[0]).toMatchObject({ provider: "bedrock", status: 200, prompt_tokens: 2000, completion_tokens: 80, cached_tokens: 1200, cache_write_tokens: 100 });
    expect(r.cost.total_usd).toBe(catalogCost("bedrock", BEDROCK_MODEL));
  });

  it("InvokeModelWithResponseStream: Anthropic's events decoded from the chunks and relayed unchanged; the SDK assembles the Message", async () => {
    bedrock.enqueue({ events: STREAM });
    const res = await post({ model: `bedrock:${BEDROCK_MODEL}`, ...REQUEST, stream: true });
    expect(bedrock.calls[0].path).toBe(`/model/${BEDROCK_MODEL}/invoke-with-response-stream`);
    expect(bedrock.calls[0].body).toEqual({ anthropic_version: "bedrock-2023-05-31", ...REQUEST });
    expect(sseEvents(await res.text())).toEqual(STREAM.map(([n, d]) => [n, JSON.stringify(d)]));
    expect((await receipt(res)).cost.total_usd).toBe(catalogCost("bedrock", BEDROCK_MODEL));

    bedrock.enqueue({ events: STREAM });
    const final = await client.messages.stream({ model: `bedrock:${BEDROCK_MODEL}`, ...REQUEST } as unknown as Anthropic.MessageStreamParams).finalMessage();
    expect(final.content).toMatchObject([
      { type: "thinking", thinking: "Yes.", signature: "sig-1" },
      { type: "text", text: "Green." },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 700, cache_read_input_tokens: 1200, cache_creation_input_tokens: 100, output_tokens: 80 });
  });

  it("a Bedrock error is mapped (throttling is 429 rate_limit_error)", async () => {
    bedrock.enqueue({ error: { status: 429, message: "Too many requests, please wait before trying again." } });
    const res = await post({ model: `bedrock:${BEDROCK_MODEL}`, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error).toMatchObject({ type: "rate_limit_error", message: "Too many requests, please wait before trying again." });
  });
});

describe("Claude on Vertex AI", () => {
  it("rawPredict gets the client's body without model, with vertex-2023-10-16 and anthropic_beta; the Message comes back unchanged and is costed", async () => {
    vertex.enqueueClaude({ message: MESSAGE });
    const res = await post({ model: `vertex:${VERTEX_MODEL}`, ...REQUEST }, { "anthropic-beta": "context-1m-2025-08-07" });
    expect(res.status).toBe(200);
    expect(vertex.claudeCalls[0].path).toBe(`/v1/projects/${VERTEX_PROJECT}/locations/${VERTEX_REGION}/publishers/anthropic/models/${encodeURIComponent(VERTEX_MODEL)}:rawPredict`);
    expect(vertex.claudeCalls[0].body).toEqual({ anthropic_version: "vertex-2023-10-16", ...REQUEST, anthropic_beta: ["context-1m-2025-08-07"] });
    expect(await res.text()).toBe(JSON.stringify(MESSAGE));
    // The configured $3 input (cache writes too: no write price given), $0.30 cache read, $15 output per million: 2100 + 360 + 300 + 1200 micro-USD.
    expect((await receipt(res)).cost.total_usd).toBe("0.00396");
  });

  it("streamRawPredict: events relayed unchanged; Anthropic's errors keep their type and message", async () => {
    vertex.enqueueClaude({ events: STREAM });
    const res = await post({ model: `vertex:${VERTEX_MODEL}`, ...REQUEST, stream: true });
    expect(vertex.claudeCalls[0].path).toMatch(/:streamRawPredict$/);
    expect(vertex.claudeCalls[0].body).toEqual({ anthropic_version: "vertex-2023-10-16", ...REQUEST, stream: true });
    expect(sseEvents(await res.text())).toEqual(STREAM.map(([n, d]) => [n, JSON.stringify(d)]));
    expect((await receipt(res)).cost.total_usd).toBe("0.00396");

    vertex.enqueueClaude({ error: { status: 400, message: "prompt is too long: 210000 tokens > 200000 maximum" } });
    const bad = await post({ model: `vertex:${VERTEX_MODEL}`, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toEqual({ type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" });
  });
});

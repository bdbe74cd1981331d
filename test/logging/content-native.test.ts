/**
 * Content logging for answers relayed natively: Anthropic's Messages API to an Anthropic
 * upstream and OpenAI's Responses API to OpenAI's own, each answer and stream relayed unchanged
 * while its text and tool calls are stored in the shape chat's are (a stream's assembled from
 * its events as they pass, a cut stream's as far as it went), within the same bound.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CONTENT_MAX_BYTES, ContentCapture } from "../../src/usage/content.js";
import { nativeStreamContent } from "../../src/usage/content-native.js";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeBedrock, type FakeBedrock } from "../support/fake-bedrock.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startLoggedGateway, type LoggedGateway } from "./support.js";

let claude: FakeAnthropic;
let openai: FakeOpenAI;
let bedrock: FakeBedrock;
let gw: LoggedGateway;

beforeAll(async () => {
  claude = await startFakeAnthropic();
  openai = await startFakeOpenAI();
  bedrock = await startFakeBedrock();
  gw = await startLoggedGateway({
    logging: { store_content: true },
    routing: { retries: 0 },
    providers: {
      claude: { type: "anthropic", base_url: claude.url, api_key: claude.apiKey },
      oai: { type: "openai", base_url: openai.url, api_key: "sk-x", native_responses: true },
      bedrock: { type: "bedrock", base_url: bedrock.url, region: bedrock.options.region, access_key_id: bedrock.options.accessKeyId, secret_access_key: bedrock.options.secretAccessKey },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await claude?.close();
  await openai?.close();
  await bedrock?.close();
});
beforeEach(() => {
  claude.reset();
  openai.reset();
  bedrock.reset();
});

async function receiptOf(res: { headers: Headers }): Promise<any> {
  await gw.usage.flush();
  const r = await gw.call("GET", `/v1/logs/${res.headers.get("x-switchboard-request-id")}`);
  expect(r.status).toBe(200);
  return r.body;
}

const ANTHROPIC = { "anthropic-version": "2023-06-01" };
const messages = (extra: Record<string, unknown> = {}) =>
  gw.call("POST", "/v1/messages", { model: "claude:claude-sonnet-4-5", max_tokens: 100, system: "be brief", messages: [{ role: "user", content: "weather in Paris?" }], ...extra }, ANTHROPIC);
const WEATHER_TOOL = { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } };
const PROMPT = [
  { role: "system", content: "be brief" },
  { role: "user", content: "weather in Paris?" },
];

describe("/v1/messages relayed natively", () => {
  it("an answer: its text blocks as the text, its tool_use blocks as tool calls", async () => {
    claude.enqueue({ text: "Let me look.", toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } }] });
    const res = await messages({ tools: [WEATHER_TOOL] });
    expect(res.status).toBe(200);
    expect(res.body.content[1]).toMatchObject({ type: "tool_use", id: "toolu_1" });
    expect((await receiptOf(res)).content).toEqual({
      request: { messages: PROMPT, truncated: false },
      completion: { choices: [{ index: 0, text: "Let me look.", tool_calls: [{ id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' }] }], truncated: false },
    });
  });

  it("a stream: the text assembled from its deltas (thinking left out)", async () => {
    claude.enqueue({ text: "Sunny and warm today.", reasoning: "The user wants weather." });
    const res = await messages({ stream: true, thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 2048 });
    expect(res.status).toBe(200);
    expect(res.body).toContain("thinking_delta");
    expect((await receiptOf(res)).content).toEqual({
      request: { messages: PROMPT, truncated: false },
      completion: { choices: [{ index: 0, text: "Sunny and warm today." }], truncated: false },
    });
  });

  it("a stream with a tool_use block: its id, name and input_json_delta arguments", async () => {
    claude.enqueue({ text: "Checking.", toolCalls: [{ id: "toolu_2", name: "get_weather", arguments: { city: "Paris", unit: "celsius" } }] });
    const res = await messages({ stream: true, tools: [WEATHER_TOOL] });
    expect(res.status).toBe(200);
    expect((await receiptOf(res)).content.completion).toEqual({
      choices: [{ index: 0, text: "Checking.", tool_calls: [{ id: "toolu_2", name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' }] }],
      truncated: false,
    });
  });

  it("a stream from Claude on Bedrock (events decoded from its event stream): the same", async () => {
    bedrock.enqueue({ text: "Checking.", toolCalls: [{ id: "toolu_3", name: "get_weather", arguments: { city: "Paris" } }] });
    const res = await messages({ model: "bedrock:anthropic.claude-sonnet-4-6", stream: true, tools: [WEATHER_TOOL] });
    expect(res.status).toBe(200);
    expect(bedrock.calls[0].path).toBe("/model/anthropic.claude-sonnet-4-6/invoke-with-response-stream");
    expect((await receiptOf(res)).content.completion).toEqual({
      choices: [{ index: 0, text: "Checking.", tool_calls: [{ id: "toolu_3", name: "get_weather", arguments: '{"city":"Paris"}' }] }],
      truncated: false,
    });
  });

  it("a stream cut short keeps what was relayed", async () => {
    // message_start, content_block_start, ping, then the first two of three text deltas.
    claude.enqueue({ text: "abcdefghi", cutAfter: 5 });
    const res = await messages({ stream: true });
    expect(res.status).toBe(200);
    const r = await receiptOf(res);
    expect(r.attempts[0].status).toBe(502);
    expect(r.content.completion).toEqual({ choices: [{ index: 0, text: "abcdef" }], truncated: false });
  });

  it("bounded: a long streamed answer is cut at the completion's share and marked truncated", async () => {
    const long = "y".repeat(90_000);
    claude.enqueue({ text: long });
    const res = await messages({ stream: true });
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(90_000); // the client gets it all
    const r = await receiptOf(res);
    expect(r.content.completion.truncated).toBe(true);
    const kept = r.content.completion.choices[0].text as string;
    expect(kept.length).toBeGreaterThan(CONTENT_MAX_BYTES - 1024); // the prompt is small: the completion has nearly all of it
    expect(long.startsWith(kept)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(r.content))).toBeLessThanOrEqual(CONTENT_MAX_BYTES + 200);
  });
});

const responses = (extra: Record<string, unknown> = {}) => gw.call("POST", "/v1/responses", { model: "oai:gpt-4o", instructions: "be brief", input: "weather in Paris?", ...extra });
const INPUT = [
  { type: "message", role: "developer", content: "be brief" },
  { type: "message", role: "user", content: "weather in Paris?" },
];
const FUNCTION_TOOL = { type: "function", name: "get_weather", parameters: { type: "object" } };

describe("/v1/responses relayed natively to OpenAI", () => {
  it("a Response: its output text, and its function_call items as tool calls", async () => {
    openai.enqueue({ text: "Sunny." });
    const res = await responses();
    expect(res.status).toBe(200);
    expect(openai.calls[0].path).toBe("/v1/responses");
    expect((await receiptOf(res)).content).toEqual({ request: { input: INPUT, truncated: false }, completion: { choices: [{ index: 0, text: "Sunny." }], truncated: false } });

    openai.enqueue({ toolCalls: [{ id: "call_9", name: "get_weather", arguments: { city: "Paris" } }] });
    const tools = await responses({ tools: [FUNCTION_TOOL] });
    expect(tools.status).toBe(200);
    expect(tools.body.output[0]).toMatchObject({ type: "function_call", call_id: "call_9" });
    expect((await receiptOf(tools)).content.completion).toEqual({
      choices: [{ index: 0, text: "", tool_calls: [{ id: "call_9", name: "get_weather", arguments: '{"city":"Paris"}' }] }],
      truncated: false,
    });
  });

  it("a stream: the text deltas and the function call's argument deltas assembled", async () => {
    openai.enqueue({ text: "Sunny and warm.", toolCalls: [{ id: "call_7", name: "get_weather", arguments: { city: "Paris" } }] });
    const res = await responses({ stream: true, tools: [FUNCTION_TOOL] });
    expect(res.status).toBe(200);
    expect(res.body).toContain("response.function_call_arguments.delta");
    expect((await receiptOf(res)).content).toEqual({
      request: { input: INPUT, truncated: false },
      completion: { choices: [{ index: 0, text: "Sunny and warm.", tool_calls: [{ id: "call_7", name: "get_weather", arguments: '{"city":"Paris"}' }] }], truncated: false },
    });
  });

  it("a stream cut short keeps what was relayed", async () => {
    // created, in_progress, output_item.added, content_part.added, then the first of two text deltas.
    openai.enqueue({ text: "abcdefgh", cutAfterChunks: 5 });
    const res = await responses({ stream: true });
    expect(res.status).toBe(200);
    const r = await receiptOf(res);
    expect(r.attempts[0].status).toBe(502);
    expect(r.content.completion).toEqual({ choices: [{ index: 0, text: "abcd" }], truncated: false });
  });
});

describe("a native stream past the bound", () => {
  it("stops assembling: later text is only marked cut, a later tool call is not made", () => {
    const capture = new ContentCapture({ messages: [{ role: "user", content: "hi" }] });
    const feed = nativeStreamContent("messages", capture);
    const event = (name: string, data: unknown) => feed({ event: name, data: JSON.stringify(data) });
    event("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    for (let i = 0; i < 40; i++) event("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "z".repeat(4096) } });
    event("content_block_start", { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_late", name: "late", input: {} } });
    event("content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{}" } });
    const stored = capture.take()!;
    expect(stored.completion!.truncated).toBe(true);
    expect(stored.completion!.choices).toHaveLength(1);
    expect(stored.completion!.choices[0].tool_calls).toBeUndefined();
    expect(/^z+$/.test(stored.completion!.choices[0].text)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThanOrEqual(CONTENT_MAX_BYTES + 200);
  });
});

/**
 * Content logging (`logging.store_content: true`): the prompt and the completion stored with the
 * ledger rows and shown in the receipt (a stream's text and tool calls assembled), bounded per
 * request with a `truncated` flag; nothing stored when it is off; retention deletes the content
 * older than `logging.retention_days`, never the usage rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_MAX_BYTES, REQUEST_MAX_BYTES, clipJson } from "../../src/usage/content.js";
import { deleteContentBefore, listUsageByRequest } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startLoggedGateway, type LoggedGateway } from "./support.js";

let fake: FakeOpenAI;
let gw: LoggedGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startLoggedGateway({ logging: { store_content: true }, providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-x" } } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

async function receiptOf(res: { headers: Headers }): Promise<any> {
  await gw.usage.flush();
  const r = await gw.call("GET", `/v1/logs/${res.headers.get("x-switchboard-request-id")}`);
  expect(r.status).toBe(200);
  return r.body;
}

const MESSAGES = [
  { role: "system", content: "be brief" },
  { role: "user", content: "what is the weather in Paris?" },
];

describe("content logging on", () => {
  it("a JSON answer: the messages and the completion in the receipt", async () => {
    fake.enqueue({ text: "Sunny, 21°C." });
    const res = await gw.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: MESSAGES });
    expect(res.status).toBe(200);
    const r = await receiptOf(res);
    expect(r.content).toEqual({
      request: { messages: MESSAGES, truncated: false },
      completion: { choices: [{ index: 0, text: "Sunny, 21°C." }], truncated: false },
    });
  });

  it("a stream: the text assembled from its chunks, and tool calls with their arguments", async () => {
    fake.enqueue({ text: "one two three four", chunks: 4 });
    const res = await gw.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: MESSAGES, stream: true });
    expect(res.status).toBe(200);
    expect((await receiptOf(res)).content.completion).toEqual({ choices: [{ index: 0, text: "one two three four" }], truncated: false });

    fake.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }] });
    const tools = await gw.call("POST", "/v1/chat/completions", {
      model: "up:gpt-4o",
      messages: MESSAGES,
      stream: true,
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    });
    expect(tools.status).toBe(200);
    const c = (await receiptOf(tools)).content.completion;
    expect(c.choices[0].tool_calls).toEqual([{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }]);
  });

  it("the Messages API: the translated messages and the completion", async () => {
    fake.enqueue({ text: "Bonjour." });
    const res = await gw.call(
      "POST",
      "/v1/messages",
      { model: "up:gpt-4o", max_tokens: 50, system: "be brief", messages: [{ role: "user", content: "say hello" }] },
      { "anthropic-version": "2023-06-01" },
    );
    expect(res.status).toBe(200);
    const r = await receiptOf(res);
    expect(r.content.request.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "say hello" },
    ]);
    expect(r.content.completion.choices[0].text).toBe("Bonjour.");
  });

  it("the Responses API translated through chat: the instructions and input, the output text", async () => {
    fake.enqueue({ text: "Sunny, 21°C." });
    const res = await gw.call("POST", "/v1/responses", { model: "up:gpt-4o", instructions: "be brief", input: "what is the weather in Paris?" });
    expect(res.status).toBe(200);
    expect(fake.calls.at(-1)!.path).toBe("/v1/chat/completions");
    expect((await receiptOf(res)).content).toEqual({
      request: {
        input: [
          { type: "message", role: "developer", content: "be brief" },
          { type: "message", role: "user", content: "what is the weather in Paris?" },
        ],
        truncated: false,
      },
      completion: { choices: [{ index: 0, text: "Sunny, 21°C." }], truncated: false },
    });

    // A conversation continued: only the request's own input is stored (the rest is with the requests before).
    const next = await gw.call("POST", "/v1/responses", { model: "up:gpt-4o", previous_response_id: res.body.id, input: [{ role: "user", content: "and tomorrow?" }] });
    expect(next.status).toBe(200);
    expect((await receiptOf(next)).content.request).toEqual({ input: [{ role: "user", content: "and tomorrow?" }], truncated: false });
  });

  it("the Responses API translated, streamed: the text and the function calls assembled", async () => {
    fake.enqueue({ text: "one two three four", chunks: 4 });
    const res = await gw.call("POST", "/v1/responses", { model: "up:gpt-4o", input: [{ role: "user", content: "count" }], stream: true });
    expect(res.status).toBe(200);
    expect(res.body).toContain("response.completed");
    expect((await receiptOf(res)).content).toEqual({
      request: { input: [{ role: "user", content: "count" }], truncated: false },
      completion: { choices: [{ index: 0, text: "one two three four" }], truncated: false },
    });

    fake.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }] });
    const tools = await gw.call("POST", "/v1/responses", {
      model: "up:gpt-4o",
      input: "weather in Paris?",
      stream: true,
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }],
    });
    expect(tools.status).toBe(200);
    expect((await receiptOf(tools)).content.completion).toEqual({
      choices: [{ index: 0, text: "", tool_calls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] }],
      truncated: false,
    });
  });

  it("a failed first attempt keeps the prompt; the answering attempt the completion", async () => {
    const retry = await startLoggedGateway({ logging: { store_content: true }, routing: { retries: 1 }, providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-x" } } });
    try {
      fake.enqueue({ status: 503, error: { message: "busy" } });
      fake.enqueue({ text: "second time" });
      const res = await retry.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: MESSAGES });
      expect(res.status).toBe(200);
      await retry.usage.flush();
      const r = (await retry.call("GET", `/v1/logs/${res.headers.get("x-switchboard-request-id")}`)).body;
      expect(r.attempts.map((a: any) => a.status)).toEqual([502, 200]);
      expect(r.content.request.messages).toEqual(MESSAGES);
      expect(r.content.completion.choices[0].text).toBe("second time");
    } finally {
      await retry.stop();
    }
  });

  it("bounded: a prompt past the cap is cut and marked truncated", async () => {
    const big = "x".repeat(200_000);
    fake.enqueue({ text: "ok" });
    const res = await gw.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: big }] });
    expect(res.status).toBe(200);
    const r = await receiptOf(res);
    expect(r.content.request.truncated).toBe(true);
    const kept = r.content.request.messages[0].content as string;
    expect(kept.length).toBeGreaterThan(REQUEST_MAX_BYTES / 2);
    expect(big.startsWith(kept)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(r.content))).toBeLessThanOrEqual(CONTENT_MAX_BYTES + 200);
    expect(r.content.completion).toEqual({ choices: [{ index: 0, text: "ok" }], truncated: false });
  });

  it("retention: content older than the cutoff is deleted, the usage rows stay", async () => {
    fake.enqueue({ text: "to be forgotten" });
    const res = await gw.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: MESSAGES });
    const id = res.headers.get("x-switchboard-request-id")!;
    expect((await receiptOf(res)).content).not.toBeNull();
    const db = gw.store.db;
    // A clock 31 days ahead, with retention_days 30: everything stored so far is older than that.
    const now = Date.now() + 31 * 86_400_000;
    expect(await deleteContentBefore(db, new Date(Date.now() - 60_000))).toBe(0); // nothing older than a minute yet
    const deleted = await deleteContentBefore(db, new Date(now - 30 * 86_400_000));
    expect(deleted).toBeGreaterThanOrEqual(9);
    const after = await receiptOf(res);
    expect(after.content).toBeNull();
    expect((await listUsageByRequest(db, id)).length).toBe(1);
    expect(after.attempts).toHaveLength(1);
  });
});

describe("content logging off (the default)", () => {
  it("stores nothing; the receipt's content is null", async () => {
    const off = await startLoggedGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-x" } } });
    try {
      fake.enqueue({ text: "secret answer" });
      const res = await off.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: MESSAGES });
      await off.usage.flush();
      const r = await off.call("GET", `/v1/logs/${res.headers.get("x-switchboard-request-id")}`);
      expect(r.body.content).toBeNull();
      const n = await off.store.db
        .selectFrom("request_content")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(0);
    } finally {
      await off.stop();
    }
  });
});

describe("clipJson", () => {
  it("keeps what fits, cuts strings in order otherwise, and stays within the bound", () => {
    expect(clipJson({ a: "b" }, 100)).toEqual({ value: { a: "b" }, truncated: false, bytes: 9 });
    const v = [
      { role: "user", content: "é".repeat(10_000) },
      { role: "user", content: "tail" },
    ];
    const c = clipJson(v, 2000);
    expect(c.truncated).toBe(true);
    expect(c.bytes).toBeLessThanOrEqual(2000);
    expect(Buffer.byteLength(JSON.stringify(c.value))).toBe(c.bytes);
  });
});

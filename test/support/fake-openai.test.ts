import { afterAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI, { APIUserAbortError } from "openai";
import { request } from "undici";
import { NON_ASCII_TEXT, startFakeOpenAI, type FakeOpenAI } from "./fake-openai.js";

let up: FakeOpenAI;
let client: OpenAI;

beforeEach(async () => {
  if (!up) {
    up = await startFakeOpenAI();
    client = new OpenAI({ baseURL: up.url, apiKey: "sk-test", maxRetries: 0 });
  }
  up.reset();
});
afterAll(() => up?.close());

const messages = [{ role: "user" as const, content: "ping" }];

describe("fake OpenAI upstream", () => {
  it("answers a chat completion, echoing the model and recording the call", async () => {
    const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages });
    expect(r.object).toBe("chat.completion");
    expect(r.model).toBe("gpt-4o-mini");
    expect(r.choices[0].message.content).toBe("Echo: ping");
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(r.usage?.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect(up.calls).toHaveLength(1);
    expect(up.calls[0]).toMatchObject({ method: "POST", path: "/v1/chat/completions", aborted: false });
    expect(up.calls[0].body.messages).toEqual(messages);
    expect(up.calls[0].headers.authorization).toBe("Bearer sk-test");
  });

  it("replies with tool calls and configured usage", async () => {
    up.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const r = await client.chat.completions.create({ model: "m", messages });
    expect(r.choices[0].finish_reason).toBe("tool_calls");
    expect(r.choices[0].message.content).toBeNull();
    expect(r.choices[0].message.tool_calls).toEqual([{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    expect(r.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
  });

  it("streams split bytes (inside multi-byte characters) that reassemble, with a usage chunk", async () => {
    up.enqueue({ splitBytes: true, usage: { prompt_tokens: 5, completion_tokens: 4 } });
    const s = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const chunks = [];
    for await (const c of s) {
      chunks.push(c);
      text += c.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe(NON_ASCII_TEXT);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe("stop");
  });

  it("delivers split-byte streams in pieces that cut through UTF-8 characters", async () => {
    up.enqueue({ splitBytes: true });
    const r = await request(`${up.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "x", messages, stream: true }),
    });
    const pieces: Buffer[] = [];
    for await (const b of r.body) pieces.push(b as Buffer);
    expect(pieces.length).toBeGreaterThan(50);
    expect(pieces.some((b) => (b[0] & 0xc0) === 0x80)).toBe(true); // starts with a continuation byte
    expect(Buffer.concat(pieces).toString("utf8")).toContain('"content":"');
  });

  it("writes raw SSE exactly: data lines, [DONE], content type and request id", async () => {
    up.enqueue({ text: "abcdef", chunks: 3, usageInLastContentChunk: true });
    const r = await request(`${up.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "x", messages, stream: true }),
    });
    expect(r.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(r.headers["x-request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
    const raw = await r.body.text();
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = raw.split("\n\n").filter(Boolean);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    const json = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(json.map((c) => c.choices[0].delta.content ?? null)).toEqual(["", "ab", "cd", "ef", null]);
    expect(json[4].choices[0].finish_reason).toBe("stop");
    expect(json[4].usage.completion_tokens).toBeGreaterThan(0);
    expect(json.slice(0, 4).every((c) => !("usage" in c))).toBe(true);
  });

  it("returns errors in the OpenAI envelope with Retry-After", async () => {
    up.enqueue({ status: 429, error: { message: "Slow down" }, retryAfter: 2 });
    const r = await request(`${up.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "x", messages }),
    });
    expect(r.statusCode).toBe(429);
    expect(r.headers["retry-after"]).toBe("2");
    expect(await r.body.json()).toEqual({
      error: { message: "Slow down", type: "requests", param: null, code: "rate_limit_exceeded" },
    });
    up.enqueue({ status: 500 });
    await expect(client.chat.completions.create({ model: "x", messages })).rejects.toMatchObject({ status: 500 });
  });

  it("records a client abort on a silent upstream and on a slow stream", async () => {
    up.enqueue({ silent: true });
    const ac = new AbortController();
    const p = client.chat.completions.create({ model: "x", messages }, { signal: ac.signal });
    await up.received(1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(APIUserAbortError);
    up.enqueue({ chunkDelayMs: 200 });
    const s = await client.chat.completions.create({ model: "x", messages, stream: true });
    for await (const _ of s) break; // closes the stream after the first chunk
    await Promise.all([up.closed(1), up.closed(2)]);
    expect(up.calls.map((c) => c.aborted)).toEqual([true, true]);
  });

  it("cuts a stream mid-way without marking it as a client abort", async () => {
    up.enqueue({ cutAfterChunks: 2 });
    const s = await client.chat.completions.create({ model: "x", messages, stream: true });
    const got: string[] = [];
    // The body ends before its terminating chunk: fetch reports the cut as "terminated".
    await expect(async () => {
      for await (const c of s) got.push(c.choices[0]?.delta.content ?? "");
    }).rejects.toMatchObject({ name: "TypeError", message: "terminated" });
    expect(got).toHaveLength(2);
    expect(up.calls[0].aborted).toBe(false);
  });

  it("delays before headers", async () => {
    up.enqueue({ delayMs: 150 });
    const t0 = Date.now();
    await client.chat.completions.create({ model: "x", messages });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("holds a response until the test releases it, and tells when a call arrived and when it closed", async () => {
    let release!: () => void;
    up.enqueue({ text: "held", holdUntil: new Promise<void>((r) => (release = r)) });
    let answered = false;
    const p = client.chat.completions.create({ model: "x", messages }).then((r) => ((answered = true), r));
    const call = await up.received(1);
    expect(call.path).toBe("/v1/chat/completions");
    let closed = false;
    const closing = up.closed(1).then(() => (closed = true));
    // A second request is answered while the first is held.
    await client.chat.completions.create({ model: "x", messages });
    await up.closed(2);
    expect([answered, closed, call.finishedAt]).toEqual([false, false, undefined]);
    release();
    expect((await p).choices[0].message.content).toBe("held");
    await closing;
    expect(call.aborted).toBe(false);
  });

  it("serves embeddings (float and the SDK's base64) and the model list", async () => {
    const e = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b", "a"], dimensions: 16 });
    expect(e.object).toBe("list");
    expect(e.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ["embedding", 0, 16],
      ["embedding", 1, 16],
      ["embedding", 2, 16],
    ]);
    expect(e.data[0].embedding[0]).toBeCloseTo(e.data[2].embedding[0], 6);
    expect(e.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    up.enqueue({ path: "/v1/embeddings", vectors: [[1, 0, 0]] });
    const r = await request(`${up.url}/embeddings`, {
      method: "POST",
      body: JSON.stringify({ model: "m", input: "hi", encoding_format: "float" }),
    });
    expect(((await r.body.json()) as any).data[0].embedding).toEqual([1, 0, 0]);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");
  });

  it("answers unknown paths with a 404 envelope", async () => {
    const r = await request(`${up.url}/nope`, { method: "POST", body: "{}" });
    expect(r.statusCode).toBe(404);
    expect(((await r.body.json()) as any).error).toMatchObject({ type: "invalid_request_error", message: "Invalid URL (POST /v1/nope)" });
  });
});

/** Chat completions end to end: the official OpenAI SDK → gateway → fake OpenAI upstream. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { APIError } from "openai";
import { startFakeOpenAI, NON_ASCII_TEXT, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { listUsageByRequest } from "../../src/usage/query.js";

const UPSTREAM_KEY = "sk-upstream-canary-0123456789";
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: UPSTREAM_KEY } },
    models: [{ name: "fast", deployments: [{ model: "up:gpt-4o-mini" }] }],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const messages = [{ role: "user" as const, content: "Say hello" }];

async function ledger(requestId: string) {
  await gw.usage.flush();
  return listUsageByRequest(gw.store.db, requestId);
}

describe("non-stream", () => {
  it("returns the upstream completion, with the gateway's headers, and records usage", async () => {
    fake.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    const before = performance.now();
    const { data, response } = await gw.client.chat.completions.create({ model: "up:gpt-4o-mini", messages }).withResponse();
    const wallMs = performance.now() - before;
    expect(data.choices[0].message.content).toBe("Hello from upstream");
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    expect(response.headers.get("x-switchboard-provider")).toBe("up");
    expect(response.headers.get("x-switchboard-model")).toBe("gpt-4o-mini");
    expect(response.headers.get("x-switchboard-attempts")).toBe("1");
    // Milliseconds with three decimals, never more than the whole exchange took as the client saw it.
    const overhead = response.headers.get("x-switchboard-overhead-ms");
    expect(overhead).toMatch(/^\d+\.\d{3}$/);
    expect(Number(overhead)).toBeLessThanOrEqual(wallMs);
    const requestId = response.headers.get("x-request-id")!;
    expect(requestId).toMatch(/^req_/);

    const call = fake.calls[0];
    expect(call.body.model).toBe("gpt-4o-mini");
    expect(call.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(call.body.stream).toBeUndefined();

    const rows = await ledger(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      attempt: 1,
      provider: "up",
      model: "gpt-4o-mini",
      requestedModel: "up:gpt-4o-mini",
      status: 200,
      promptTokens: 11,
      completionTokens: 4,
      totalTokens: 15,
      streamed: false,
      usageEstimated: false,
    });
  });

  it("relays an unchanged upstream completion as the upstream's own text, and serialises one it had to complete", async () => {
    const upstream =
      '{"id":"chatcmpl-raw", "object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"h\\u00e9"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"x_vendor":{"kept":true}}';
    fake.enqueue({ body: upstream });
    const asIs = await gw.post("/v1/chat/completions", { model: "up:gpt-4o-mini", messages });
    expect(await asIs.text()).toBe(upstream);

    // No `object` and no `model`: the gateway fills them in, so the body is serialised again.
    fake.enqueue({ body: '{"id":"chatcmpl-raw","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}]}' });
    const completed = await gw.client.chat.completions.create({ model: "up:gpt-4o-mini", messages });
    expect(completed).toMatchObject({ id: "chatcmpl-raw", object: "chat.completion", model: "gpt-4o-mini" });
  });

  it("accepts provider/model and aliases, and the client's x-request-id", async () => {
    const r1 = await gw.client.chat.completions.create({ model: "up/gpt-4o", messages }).withResponse();
    expect(fake.calls[0].body.model).toBe("gpt-4o");
    const r2 = await gw.client.chat.completions.create({ model: "fast", messages }, { headers: { "x-request-id": "my-req-1" } }).withResponse();
    expect(fake.calls[1].body.model).toBe("gpt-4o-mini");
    expect(r2.response.headers.get("x-request-id")).toBe("my-req-1");
    expect(r1.data.choices).toHaveLength(1);
  });

  it("passes tools, tool_choice, response_format and other parameters through, and returns tool calls", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }] });
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const r = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, tools, tool_choice: "auto", temperature: 0.2, seed: 7 });
    expect(r.choices[0].finish_reason).toBe("tool_calls");
    const tc = r.choices[0].message.tool_calls![0];
    expect(tc.type === "function" && tc.function.name).toBe("get_weather");
    expect(tc.type === "function" && JSON.parse(tc.function.arguments)).toEqual({ city: "Paris" });
    expect(fake.calls[0].body).toMatchObject({ tools, tool_choice: "auto", temperature: 0.2, seed: 7 });

    await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, response_format: { type: "json_object" } });
    expect(fake.calls[1].body.response_format).toEqual({ type: "json_object" });
  });

  it("removes gateway extension fields before the request goes upstream", async () => {
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, "x-fallback-chain": ["up:gpt-4o-mini"] });
    expect(res.status).toBe(200);
    expect(fake.calls[0].body["x-fallback-chain"]).toBeUndefined();
  });

  it("estimates and flags usage when the provider reports none", async () => {
    fake.enqueue({ text: "no usage here", body: undefined, noUsage: true });
    const { response } = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages }).withResponse();
    const rows = await ledger(response.headers.get("x-request-id")!);
    expect(rows[0].usageEstimated).toBe(true);
    expect(rows[0].promptTokens).toBeGreaterThan(0);
    expect(rows[0].completionTokens).toBeGreaterThan(0);
  });
});

describe("stream", () => {
  it("streams chunks and ends with a usage chunk when the client asks for it", async () => {
    fake.enqueue({ text: "one two three four", chunks: 4, usage: { prompt_tokens: 9, completion_tokens: 4 } });
    const stream = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, stream: true, stream_options: { include_usage: true } });
    let text = "";
    const usages = [];
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? "";
      if (c.usage) usages.push(c.usage);
    }
    expect(text).toBe("one two three four");
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })]);
    expect(fake.calls[0].body.stream_options).toEqual({ include_usage: true });
  });

  it("asks upstream for usage but drops that chunk when the client did not ask, and still records usage", async () => {
    fake.enqueue({ text: "alpha beta", usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, stream: true });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(fake.calls[0].body.stream_options).toEqual({ include_usage: true });
    const events = body
      .split("\n\n")
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => !c.usage)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("alpha beta");
    const rows = await ledger(res.headers.get("x-request-id")!);
    expect(rows[0]).toMatchObject({ streamed: true, promptTokens: 5, completionTokens: 2, usageEstimated: false, status: 200 });
    expect(rows[0].ttftMs).toBeGreaterThan(0);
  });

  it("takes usage from a content chunk when the provider puts it there", async () => {
    fake.enqueue({ text: "gamma", usageInLastContentChunk: true, usage: { prompt_tokens: 3, completion_tokens: 1 } });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, stream: true });
    await res.text();
    const rows = await ledger(res.headers.get("x-request-id")!);
    expect(rows[0]).toMatchObject({ promptTokens: 3, completionTokens: 1, usageEstimated: false });
  });

  it("adds an estimated usage chunk when the client asked and the provider sent none", async () => {
    fake.enqueue({ text: "delta epsilon", noUsage: true });
    const stream = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, stream: true, stream_options: { include_usage: true } });
    let usage;
    for await (const c of stream) if (c.usage) usage = c.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("reassembles a stream delivered one byte at a time, across multi-byte characters", async () => {
    fake.enqueue({ splitBytes: true, text: NON_ASCII_TEXT });
    const stream = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, stream: true });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe(NON_ASCII_TEXT);
  });

  it("streams tool calls", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_9", name: "lookup", arguments: { q: "x" } }] });
    const stream = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, stream: true, tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }] });
    let args = "";
    let name = "";
    let finish = "";
    for await (const c of stream) {
      const tc = c.choices[0]?.delta?.tool_calls?.[0];
      if (tc?.function?.name) name = tc.function.name;
      args += tc?.function?.arguments ?? "";
      if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
    }
    expect(name).toBe("lookup");
    expect(JSON.parse(args)).toEqual({ q: "x" });
    expect(finish).toBe("tool_calls");
  });

  it("ends the stream with an error event and no [DONE] when the upstream fails after the first byte", async () => {
    fake.enqueue({ text: "a b c d e f", chunks: 6, cutAfterChunks: 3 });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, stream: true });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain("[DONE]");
    const last = JSON.parse(
      body
        .trim()
        .split("\n\n")
        .at(-1)!
        .replace(/^data: /, ""),
    );
    expect(last.error).toMatchObject({ code: "upstream_error", type: "api_error" });
    expect(fake.calls).toHaveLength(1);
    const rows = await ledger(res.headers.get("x-request-id")!);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe(502);

    fake.enqueue({ text: "a b c d e f", chunks: 6, cutAfterChunks: 3 });
    const stream = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages, stream: true });
    const consumed = (async () => {
      for await (const _ of stream) void _;
    })();
    // The SDK raises the stream's error event as an APIError carrying the gateway's error object.
    await expect(consumed).rejects.toBeInstanceOf(APIError);
    await expect(consumed).rejects.toMatchObject({ status: undefined, code: "upstream_error", type: "api_error" });
  });

  it("aborts the upstream request when the client disconnects mid-stream", async () => {
    fake.enqueue({ text: "w1 w2 w3 w4 w5 w6 w7 w8", chunks: 8, chunkDelayMs: 150 });
    const controller = new AbortController();
    const res = await fetch(gw.url + "/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "up:gpt-4o", messages, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => fake.calls[0]?.aborted, { timeout: 5000 }).toBe(true);
    const rows = await expect.poll(async () => (await ledger(res.headers.get("x-request-id")!)).length, { timeout: 5000 }).toBe(1);
    void rows;
    const [row] = await ledger(res.headers.get("x-request-id")!);
    expect(row.status).toBe(499);
  });
});

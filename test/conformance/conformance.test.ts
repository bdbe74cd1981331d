/**
 * One conformance suite, run for every provider adapter: through the real gateway with the
 * official OpenAI SDK against each provider's fake server, and through each adapter's stream
 * decoder with the recorded stream split at every byte.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatChunk } from "../../src/wire/openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { listUsageByRequest } from "../../src/usage/query.js";
import { TARGETS } from "./targets/index.js";
import type { FakeProvider, StreamFixture } from "./types.js";

interface Assembled {
  text: string;
  toolCalls: Array<{ name: string; arguments: Record<string, unknown> }>;
  finish: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
}

function assemble(chunks: ChatChunk[]): Assembled {
  let text = "";
  let finish: string | null = null;
  let usage: Assembled["usage"];
  const calls = new Map<number, { name: string; args: string }>();
  for (const c of chunks) {
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (typeof ch.delta?.content === "string") text += ch.delta.content;
      for (const tc of ch.delta?.tool_calls ?? []) {
        const cur = calls.get(tc.index) ?? { name: "", args: "" };
        if (tc.function?.name) cur.name = tc.function.name;
        cur.args += tc.function?.arguments ?? "";
        calls.set(tc.index, cur);
      }
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  const toolCalls = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => ({ name: v.name, arguments: v.args ? JSON.parse(v.args) : {} }));
  return { text, toolCalls, finish, usage };
}

// eslint-disable-next-line @typescript-eslint/require-await -- the pieces are at hand, but the decoder under test reads an async iterable
async function* pieces(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    yield bytes.slice(at, c);
    at = c;
  }
}

const messages = [{ role: "user" as const, content: "Say hello" }];
const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};

describe.each(TARGETS)("conformance: $type", (target) => {
  let fake: FakeProvider;
  let gw: TestGateway;
  const model = `p:${target.model}`;

  beforeAll(async () => {
    fake = await target.startFake();
    gw = await startTestGateway({
      providers: { p: fake.providerConfig },
      pricing: { [model]: { input: 2, output: 8, cached_input: 1 } },
      // The error cases fail on purpose, many times: they must not open the provider's circuit for the cases after them.
      routing: { retries: 2, timeouts: { connect_ms: 2000, first_token_ms: 5000, idle_ms: 5000, total_ms: 10000 }, circuit_breaker: { failures: 1000 } },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  it("text: the same answer, finish reason and usage, streamed and not", async () => {
    const scenario = { text: "Hello there, friend", usage: { input: 12, output: 5 }, finish: "stop" as const };
    fake.enqueue(scenario);
    const r = await gw.client.chat.completions.create({ model, messages });
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0].message.role).toBe("assistant");
    expect(r.choices[0].message.content).toBe("Hello there, friend");
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(r.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });

    fake.enqueue(scenario);
    const stream = await gw.client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
    const chunks: ChatChunk[] = [];
    for await (const c of stream) chunks.push(c as unknown as ChatChunk);
    const a = assemble(chunks);
    expect(a.text).toBe("Hello there, friend");
    expect(a.finish).toBe("stop");
    expect(a.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
  });

  it("finish reason length maps to OpenAI's", async () => {
    fake.enqueue({ text: "cut", finish: "length", usage: { input: 3, output: 1 } });
    const r = await gw.client.chat.completions.create({ model, messages, max_tokens: 1 });
    expect(r.choices[0].finish_reason).toBe("length");
  });

  it("cached prompt tokens are reported as OpenAI's prompt_tokens_details.cached_tokens", async () => {
    fake.enqueue({ text: "cached", usage: { input: 100, output: 2, cachedInput: 80 } });
    const r = await gw.client.chat.completions.create({ model, messages });
    expect(r.usage!.prompt_tokens_details?.cached_tokens).toBe(80);
    expect(r.usage!.prompt_tokens).toBe(100);
  });

  it("the same exchange costs the same streamed and not, with cached tokens priced as cached", async () => {
    const scenario = { text: "Priced answer", usage: { input: 100, output: 20, cachedInput: 40 } };
    fake.enqueue(scenario);
    const { response } = await gw.client.chat.completions.create({ model, messages }).withResponse();
    fake.enqueue(scenario);
    const res = await gw.post("/v1/chat/completions", { model, messages, stream: true });
    await res.text();
    await gw.usage.flush();
    const [a] = await listUsageByRequest(gw.store.db, response.headers.get("x-request-id")!);
    const [b] = await listUsageByRequest(gw.store.db, res.headers.get("x-request-id")!);
    // 60 uncached × $2/M + 40 cached × $1/M + 20 out × $8/M = 120 + 40 + 160 micro-USD
    for (const row of [a, b]) {
      expect(row).toMatchObject({ promptTokens: 100, cachedTokens: 40, completionTokens: 20, usageEstimated: false });
      expect(row.cost).toEqual({ inputMicros: 120, cachedMicros: 40, cacheWriteMicros: 0, outputMicros: 160, totalMicros: 320 });
      expect(row.priceVersion).toBe("config");
    }
    expect(response.headers.get("x-switchboard-cost-usd")).toBe("0.00032");
  });

  it("a stream split one byte at a time arrives whole", async () => {
    fake.enqueue({ text: "héllo wörld ✓ 你好", splitBytes: true, usage: { input: 4, output: 6 } });
    const stream = await gw.client.chat.completions.create({ model, messages, stream: true });
    const chunks: ChatChunk[] = [];
    for await (const c of stream) chunks.push(c as unknown as ChatChunk);
    expect(assemble(chunks).text).toBe("héllo wörld ✓ 你好");
  });

  it.runIf(target.capabilities.tools)("tools: calls come back as OpenAI tool_calls, streamed and not, and results go back upstream", async () => {
    const scenario = { toolCalls: [{ id: "call_abc", name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls" as const, usage: { input: 20, output: 8 } };
    fake.enqueue(scenario);
    const r = await gw.client.chat.completions.create({ model, messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weatherTool] });
    const call = r.choices[0].message.tool_calls![0];
    expect(call.type).toBe("function");
    if (call.type !== "function") return;
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect(typeof call.id).toBe("string");
    expect(r.choices[0].finish_reason).toBe("tool_calls");

    fake.enqueue(scenario);
    const stream = await gw.client.chat.completions.create({ model, messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weatherTool], stream: true });
    const chunks: ChatChunk[] = [];
    for await (const c of stream) chunks.push(c as unknown as ChatChunk);
    const a = assemble(chunks);
    expect(a.toolCalls).toEqual([{ name: "get_weather", arguments: { city: "Paris" } }]);
    expect(a.finish).toBe("tool_calls");

    fake.enqueue({ text: "It is 22C and sunny in Paris." });
    const final = await gw.client.chat.completions.create({
      model,
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [{ id: call.id, type: "function", function: { name: "get_weather", arguments: call.function.arguments } }] },
        { role: "tool", tool_call_id: call.id, content: "22C, sunny" },
      ],
    });
    expect(final.choices[0].message.content).toBe("It is 22C and sunny in Paris.");
    const sent = JSON.stringify(fake.calls.at(-1)!.body);
    expect(sent).toContain("22C, sunny");
    expect(sent).toContain("get_weather");
  });

  it.runIf(target.capabilities.vision)("images: a data URL reaches the provider", async () => {
    fake.enqueue({ text: "A red dot." });
    const r = await gw.client.chat.completions.create({
      model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" } },
          ],
        },
      ],
    });
    expect(r.choices[0].message.content).toBe("A red dot.");
    expect(JSON.stringify(fake.calls.at(-1)!.body)).toContain("iVBORw0KGgoAAAANSUhEUg==");
  });

  it.runIf(target.capabilities.json)("JSON mode: the JSON answer comes back as message content", async () => {
    fake.enqueue({ text: '{"answer":42}' });
    const r = await gw.client.chat.completions.create({ model, messages, response_format: { type: "json_object" } });
    expect(JSON.parse(r.choices[0].message.content!)).toEqual({ answer: 42 });
  });

  it("errors: 400 passes through with the provider's message; auth failure is 502; 429 stays 429; 5xx is 502 after retries", async () => {
    fake.enqueue({ error: { status: 400, message: "messages: field required" } });
    let res = await gw.post("/v1/chat/completions", { model, messages });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("field required");

    fake.enqueue({ error: { status: 401, message: "invalid x-api-key" } });
    res = await gw.post("/v1/chat/completions", { model, messages });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.code).toBe("upstream_auth_error");

    for (let i = 0; i < 3; i++) fake.enqueue({ error: { status: 429, message: "rate limited" } });
    res = await gw.post("/v1/chat/completions", { model, messages });
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error.code).toBe("rate_limit_exceeded");

    fake.reset();
    for (let i = 0; i < 3; i++) fake.enqueue({ error: { status: 500, message: "internal failure" } });
    res = await gw.post("/v1/chat/completions", { model, messages });
    expect(res.status).toBe(502);
    expect(res.headers.get("x-switchboard-attempts")).toBe("3");
    expect(fake.calls).toHaveLength(3);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("upstream_error");
    expect(JSON.stringify(body)).not.toMatch(/conformance-[a-z]+-key/);
  });

  it.runIf(target.capabilities.embeddings)("embeddings come back in OpenAI's shape", async () => {
    const r = await gw.client.embeddings.create({ model: `p:${target.embeddingModel}`, input: ["one", "two"], encoding_format: "float" });
    expect(r.object).toBe("list");
    expect(r.data.map((d) => d.index)).toEqual([0, 1]);
    expect(Array.isArray(r.data[0].embedding)).toBe(true);
    expect(r.data[0].embedding.length).toBeGreaterThan(0);
  });

  describe.each(target.streamFixtures)("stream fixture: $name", (fx: StreamFixture) => {
    const check = (a: Assembled) => {
      expect(a.text).toBe(fx.expect.text);
      expect(a.finish).toBe(fx.expect.finish);
      if (fx.expect.toolCalls) expect(a.toolCalls).toEqual(fx.expect.toolCalls);
      if (fx.expect.usage) expect(a.usage).toMatchObject(fx.expect.usage);
    };
    const decode = async (cuts: number[]) => {
      const out: ChatChunk[] = [];
      for await (const c of target.decodeStream(pieces(fx.bytes, cuts))) out.push(c);
      return assemble(out);
    };

    it("decodes whole", async () => check(await decode([])));
    it("decodes when split at every byte position", async () => {
      const whole = await decode([]);
      for (let i = 1; i < fx.bytes.length; i++) expect(await decode([i])).toEqual(whole);
    });
    it("decodes one byte at a time", async () => {
      check(await decode(Array.from({ length: fx.bytes.length - 1 }, (_, i) => i + 1)));
    });
  });
});

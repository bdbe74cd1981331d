/**
 * OpenAI's Responses API on the gateway: the official `openai` SDK's `client.responses.*` pointed
 * at it, routed to an OpenAI (chat completions) upstream through the canonical layer. What the
 * upstream receives, what the client gets back (a Response, or the event sequence recorded in
 * test/fixtures/openai-responses/), errors in OpenAI's envelope, and the same keys, budgets and
 * ledger as chat completions.
 */
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;
let client: OpenAI;
let key: string;

const MODEL = "up:gpt-4o";
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/openai-responses/${name}`, import.meta.url), "utf8"));
const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather of a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: true,
};

async function newKey(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await gw.admin("POST", "/v1/keys", { key_name: "responses-client", ...fields });
  expect(res.status).toBe(201);
  return res.body.key as string;
}

const sdk = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });

/** Every key of `a`, recursively for plain objects, as dotted paths. */
function shape(a: unknown, at = ""): string[] {
  if (!a || typeof a !== "object" || Array.isArray(a)) return [];
  return Object.entries(a as Record<string, unknown>).flatMap(([k, v]) => [at + k, ...(k === "response" || k === "part" || k === "usage" ? shape(v, `${at}${k}.`) : [])]);
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } } });
  key = await newKey();
  client = sdk(key);
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("POST /v1/responses with the official openai SDK", () => {
  it("non-stream text: the Response object as documented, translated to a chat request upstream", async () => {
    fake.enqueue({ text: "Hello there", usage: { prompt_tokens: 12, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 1 } } });
    const { data: r, response } = await client.responses
      .create({ model: MODEL, instructions: "Be terse.", input: "hi", max_output_tokens: 64, temperature: 0.5, metadata: { topic: "greeting" } })
      .withResponse();
    expect(r.id).toBe(`resp_${response.headers.get("x-switchboard-request-id")!.slice(4)}`);
    expect(r).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-4o",
      instructions: "Be terse.",
      max_output_tokens: 64,
      temperature: 0.5,
      metadata: { topic: "greeting" },
      store: true,
      previous_response_id: null,
      error: null,
      incomplete_details: null,
    });
    expect(r.output).toEqual([
      { id: `msg_${r.id.slice(5)}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hello there", annotations: [], logprobs: [] }] },
    ]);
    expect(r.output_text).toBe("Hello there");
    expect(r.usage).toEqual({ input_tokens: 12, input_tokens_details: { cached_tokens: 4 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 15 });
    // Every field of OpenAI's documented object is there (the SDK adds output_text itself).
    const raw = await (await gw.post("/v1/responses", { model: MODEL, input: "x" }, { authorization: `Bearer ${key}` })).json();
    expect(shape(raw).sort()).toEqual(shape(fixture("response.json")).sort());
    expect(fake.calls[0].path).toBe("/v1/chat/completions");
    expect(fake.calls[0].body).toMatchObject({
      model: "gpt-4o",
      max_completion_tokens: 64,
      temperature: 0.5,
      messages: [
        { role: "developer", content: "Be terse." },
        { role: "user", content: "hi" },
      ],
    });
    expect(fake.calls[0].body.metadata).toBeUndefined();
  });

  it("stream: the recorded event sequence, sequence numbers from 0, and the SDK's final response", async () => {
    fake.enqueue({ text: "Hi there! How can I assist you today?", chunks: 4, usage: { prompt_tokens: 37, completion_tokens: 11 } });
    const events: any[] = [];
    for await (const ev of await client.responses.create({ model: MODEL, input: "hi", stream: true })) events.push(ev);
    const recorded = fixture("text-stream.events.json") as any[];
    expect(events.map((e) => e.type)).toEqual(recorded.map((e) => e.type));
    events.forEach((e, i) => expect(Object.keys(e).sort(), e.type).toEqual(Object.keys(recorded[i]).sort()));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(shape(events.at(-1)).sort()).toEqual(shape(recorded.at(-1)).sort());
    expect(events.at(-1).response.usage).toMatchObject({ input_tokens: 37, output_tokens: 11 });
    expect(fake.calls[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    fake.enqueue({ text: "streamed whole", usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const final = await client.responses.stream({ model: MODEL, input: "x" }).finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "streamed whole" }] });
  });

  it("stream on the wire: `event:` lines naming each event, no [DONE]", async () => {
    fake.enqueue({ text: "abc", chunks: 1 });
    const res = await gw.post("/v1/responses", { model: MODEL, input: "x", stream: true }, { authorization: `Bearer ${key}` });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const body = await res.text();
    expect(body.startsWith('event: response.created\ndata: {"type":"response.created"')).toBe(true);
    expect(body).not.toContain("[DONE]");
    expect(body.trimEnd()).toMatch(/event: response\.completed\ndata: \{"type":"response\.completed".*\}$/s);
  });

  it("function tools over two turns: function_call out, function_call_output back with previous_response_id", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }], usage: { prompt_tokens: 30, completion_tokens: 8 } });
    const first = await client.responses.create({ model: MODEL, input: "Weather in Paris?", tools: [WEATHER], tool_choice: { type: "function", name: "get_weather" }, parallel_tool_calls: false });
    expect(first.output).toEqual([{ id: "fc_call_1", type: "function_call", status: "completed", arguments: '{"city":"Paris"}', call_id: "call_1", name: "get_weather" }]);
    expect(fake.calls[0].body.tools).toEqual([{ type: "function", function: { name: "get_weather", description: "Weather of a city", parameters: WEATHER.parameters, strict: true } }]);
    expect(fake.calls[0].body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(fake.calls[0].body.parallel_tool_calls).toBe(false);

    fake.enqueue({ text: "Sunny, 21°C", usage: { prompt_tokens: 50, completion_tokens: 5 } });
    const second = await client.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      tools: [WEATHER],
      input: [{ type: "function_call_output", call_id: "call_1", output: '{"temp":21}' }],
    });
    expect(second.output_text).toBe("Sunny, 21°C");
    expect(second.previous_response_id).toBe(first.id);
    expect(fake.calls[1].body.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: '{"temp":21}' },
    ]);
  });

  it("stream with a function call: the recorded event sequence", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_9", name: "get_weather", arguments: { city: "Paris, France" } }] });
    const events: any[] = [];
    for await (const ev of await client.responses.create({ model: MODEL, input: "x", tools: [WEATHER], stream: true })) events.push(ev);
    const recorded = fixture("function-call-stream.events.json") as any[];
    const types = events.map((e) => e.type).filter((t, i, all) => t !== "response.function_call_arguments.delta" || all[i - 1] !== t);
    expect(types).toEqual(recorded.map((e) => e.type).filter((t, i, all) => t !== "response.function_call_arguments.delta" || all[i - 1] !== t));
    for (const e of events) expect(Object.keys(e).sort(), e.type).toEqual(Object.keys(recorded.find((r) => r.type === e.type)).sort());
    expect(events.find((e) => e.type === "response.function_call_arguments.done")).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris, France"}' });
  });

  it("previous_response_id: instructions not carried over; another key gets 404; the master key may read it", async () => {
    fake.enqueue({ text: "first answer" });
    const first = await client.responses.create({ model: MODEL, instructions: "Speak French.", input: "one" });
    fake.enqueue({ text: "second answer" });
    await client.responses.create({ model: MODEL, previous_response_id: first.id, input: "two" });
    expect(fake.calls[1].body.messages).toEqual([
      { role: "user", content: "one" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: "two" },
    ]);
    const other = sdk(await newKey());
    const err = await other.responses.create({ model: MODEL, previous_response_id: first.id, input: "steal" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as any).error).toMatchObject({ message: `Response with id '${first.id}' not found.`, param: "previous_response_id" });
    expect(await other.responses.retrieve(first.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(fake.calls).toHaveLength(2);
    expect((await gw.client.responses.retrieve(first.id)).output_text).toBe("first answer");
  });

  it("GET returns the stored response; store:false is not retrievable; DELETE answers OpenAI's deletion object", async () => {
    fake.enqueue({ text: "keep me" });
    const kept = await client.responses.create({ model: MODEL, input: "x" });
    const got = await client.responses.retrieve(kept.id);
    expect(got).toMatchObject({ id: kept.id, status: "completed", output_text: "keep me" });
    const items = await gw.admin("GET", `/v1/responses/${kept.id}/input_items`);
    expect(items.body).toMatchObject({ object: "list", data: [{ type: "message", role: "user", content: [{ type: "input_text", text: "x" }] }], has_more: false });

    fake.enqueue({ text: "forget me" });
    const gone = await client.responses.create({ model: MODEL, input: "x", store: false });
    expect((gone as unknown as { store: boolean }).store).toBe(false);
    expect(await client.responses.retrieve(gone.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);

    const del = await fetch(`${gw.url}/v1/responses/${kept.id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    expect(del.status).toBe(200);
    const deleted = (await del.json()) as Record<string, unknown>;
    expect(Object.keys(deleted).sort()).toEqual(Object.keys(fixture("delete.json")).sort());
    expect(deleted).toEqual({ id: kept.id, object: "response", deleted: true });
    expect(await client.responses.retrieve(kept.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.responses.delete(kept.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("input_items: the response's own input with ids, paged by limit, order and after; unknown query parameters refused", async () => {
    fake.enqueue({ text: "ok" });
    const r = await client.responses.create({
      model: MODEL,
      input: [
        { role: "user", content: "one" },
        { role: "assistant", content: "two" },
        // An input message with an id of the client's own (the SDK's type has no `id` on input messages).
        { type: "message", id: "msg_mine", role: "user", content: [{ type: "input_text", text: "three" }] } as OpenAI.Responses.ResponseInputItem,
      ],
    });
    const page = async (q: string) => (await fetch(`${gw.url}/v1/responses/${r.id}/input_items${q}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<any>;
    const all = await page("?order=asc");
    expect(all.data.map((i: any) => i.content[0].text)).toEqual(["one", "two", "three"]);
    expect(all.data[1]).toMatchObject({ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "two" }] });
    expect(all.data[2].id).toBe("msg_mine");
    const first = await page("?order=asc&limit=2");
    expect(first).toMatchObject({ object: "list", has_more: true, first_id: all.data[0].id, last_id: all.data[1].id });
    const rest = await page(`?order=asc&limit=2&after=${first.last_id}`);
    expect(rest).toMatchObject({ data: [{ id: "msg_mine" }], has_more: false });
    expect((await page("")).data.map((i: any) => i.content[0].text)).toEqual(["three", "two", "one"]);
    const bad = await fetch(`${gw.url}/v1/responses/${r.id}/input_items?cursor=x`, { headers: { authorization: `Bearer ${key}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ code: "invalid_request", param: "cursor" });
  });

  it("images, a three-turn chain, and a reasoning item that cannot be replayed named in x-switchboard-warnings", async () => {
    fake.enqueue({ text: "a cat" });
    const first = await client.responses.create({
      model: MODEL,
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "What is this?" },
            { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" },
          ],
        },
      ],
    });
    expect(fake.calls[0].body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
    ]);
    fake.enqueue({ text: "grey" });
    const second = await client.responses.create({ model: MODEL, previous_response_id: first.id, input: "Colour?" });
    fake.enqueue({ text: "yes" });
    const { response } = await client.responses
      .create({
        model: MODEL,
        previous_response_id: second.id,
        input: [
          { type: "reasoning", id: "rs_x", summary: [{ type: "summary_text", text: "thought" }] },
          { role: "user", content: "Sure?" },
        ],
      })
      .withResponse();
    expect(fake.calls[2].body.messages.map((m: any) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(fake.calls[2].body.messages[3]).toEqual({ role: "assistant", content: "grey" });
    expect(response.headers.get("x-switchboard-warnings")).toContain("input[0]: a reasoning item without encrypted_content cannot be replayed to a model; it was left out");
  });

  it("structured output: text.format json_schema becomes response_format; json_object too", async () => {
    const schema = { type: "object", properties: { answer: { type: "number" } }, required: ["answer"], additionalProperties: false };
    fake.enqueue({ text: '{"answer":42}' });
    const r = await client.responses.create({ model: MODEL, input: "6*7?", text: { format: { type: "json_schema", name: "math", schema, strict: true } } });
    expect(JSON.parse(r.output_text)).toEqual({ answer: 42 });
    expect(r.text).toMatchObject({ format: { type: "json_schema", name: "math", schema, strict: true } });
    expect(fake.calls[0].body.response_format).toEqual({ type: "json_schema", json_schema: { name: "math", schema, strict: true } });
    fake.enqueue({ text: "{}" });
    await client.responses.create({ model: MODEL, input: "json", text: { format: { type: "json_object" } }, reasoning: { effort: "low" } });
    expect(fake.calls[1].body).toMatchObject({ response_format: { type: "json_object" }, reasoning_effort: "low" });
  });

  it("cut by the token limit: status incomplete (max_output_tokens), and response.incomplete in a stream", async () => {
    fake.enqueue({ text: "cut sho", finishReason: "length" });
    const r = await client.responses.create({ model: MODEL, input: "x", max_output_tokens: 2 });
    expect(r).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(r.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    fake.enqueue({ text: "cut sho", finishReason: "length" });
    const types: string[] = [];
    for await (const ev of await client.responses.create({ model: MODEL, input: "x", max_output_tokens: 2, stream: true })) types.push(ev.type);
    expect(types.at(-1)).toBe("response.incomplete");
    expect(types).not.toContain("response.completed");
  });
});

describe("refused with 400 invalid_request, naming the field", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a built-in tool", { tools: [{ type: "web_search" }] }, "tools[0].type"],
    ["background: true", { background: true }, "background"],
    ["an unknown field", { conversation: "conv_1" }, "conversation"],
    ["an include value other than reasoning.encrypted_content", { include: ["file_search_call.results"] }, "include"],
    ["truncation auto", { truncation: "auto" }, "truncation"],
    ["an input_file part", { input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }] }, "input[0].content[0]"],
    ["an item type only OpenAI runs", { input: [{ type: "web_search_call", id: "ws_1" }] }, "input[0]"],
    ["too many input items", { input: Array.from({ length: 2049 }, () => ({ role: "user", content: "x" })) }, "input"],
    ["too many metadata pairs", { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, "metadata"],
  ];
  for (const [what, extra, param] of cases) {
    it(what, async () => {
      const res = await gw.post("/v1/responses", { model: MODEL, input: "x", ...extra }, { authorization: `Bearer ${key}` });
      expect(res.status).toBe(400);
      const body: any = await res.json();
      expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param });
      expect(fake.calls).toHaveLength(0);
    });
  }

  it("an unknown previous_response_id is 404 in OpenAI's envelope", async () => {
    const res = await gw.post("/v1/responses", { model: MODEL, input: "x", previous_response_id: "resp_nope" }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error).toMatchObject({ type: "invalid_request_error", param: "previous_response_id" });
  });
});

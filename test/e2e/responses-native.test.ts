/**
 * OpenAI's Responses API passed through natively to an `openai` provider: the client's body goes
 * to the upstream's /v1/responses with model replaced, previous_response_id expanded by the
 * gateway into the input items it stands for, and store: false (the gateway keeps the
 * conversation, so it works across providers); the Response and its events come back unchanged,
 * usage (cached and reasoning tokens) is costed exactly.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;
let client: OpenAI;

async function receipt(id: string | null): Promise<any> {
  await gw.usage.flush();
  return (await fetch(`${gw.url}/v1/logs/${id}`, { headers: { authorization: `Bearer ${gw.masterKey}` } })).json();
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000", native_responses: true } } });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.masterKey, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("POST /v1/responses to OpenAI: native", () => {
  it("the body goes to /v1/responses as sent (model replaced, store false); the Response comes back unchanged; cached and reasoning tokens costed", async () => {
    fake.enqueue({ text: "Paris.", usage: { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 400 }, completion_tokens_details: { reasoning_tokens: 60 } } });
    const body = { model: "up:gpt-4o", input: "Capital of France?", instructions: "Be brief.", reasoning: { effort: "low" }, text: { verbosity: "low" } };
    const res = await gw.post("/v1/responses", body);
    expect(res.status).toBe(200);
    expect(fake.calls[0].path).toBe("/v1/responses");
    expect(fake.calls[0].body).toEqual({ ...body, model: "gpt-4o", store: false });
    const text = await res.text();
    const r = JSON.parse(text);
    expect(r.id).toMatch(/^resp_/);
    expect(r.output[0].content[0].text).toBe("Paris.");
    expect(r.usage).toMatchObject({ input_tokens: 1000, input_tokens_details: { cached_tokens: 400 }, output_tokens: 100 });
    const receiptBody = await receipt(res.headers.get("x-switchboard-request-id"));
    expect(receiptBody.endpoint).toBe("responses");
    expect(receiptBody.attempts[0]).toMatchObject({ status: 200, prompt_tokens: 1000, completion_tokens: 100, cached_tokens: 400, reasoning_tokens: 60 });
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million: 600 × 2.5 + 400 × 1.25 + 100 × 10 = 1500 + 500 + 1000 micro-USD.
    expect(receiptBody.cost.total_usd).toBe("0.003");
  });

  it("previous_response_id: the gateway stores the Response under its id and expands it into the next request's input", async () => {
    fake.enqueue({ text: "Paris." });
    const first = await client.responses.create({ model: "up:gpt-4o", input: "Capital of France?" });
    fake.enqueue({ text: "About 2 million." });
    const second = await client.responses.create({ model: "up:gpt-4o", input: "Its population?", previous_response_id: first.id });
    expect(second.output_text).toBe("About 2 million.");
    const sent = fake.calls[1].body;
    expect(sent.previous_response_id).toBeUndefined();
    expect(sent.store).toBe(false);
    expect(sent.input).toEqual([{ type: "message", role: "user", content: "Capital of France?" }, first.output[0], { type: "message", role: "user", content: "Its population?" }]);
    const got = await client.responses.retrieve(second.id);
    expect(got.id).toBe(second.id);
  });

  it("stream: OpenAI's events relayed unchanged, usage from response.completed, the Response stored", async () => {
    fake.enqueue({ text: "Streamed answer", usage: { prompt_tokens: 20, completion_tokens: 4 } });
    const res = await gw.post("/v1/responses", { model: "up:gpt-4o", input: "Go", stream: true });
    const raw = await res.text();
    const events = raw
      .split("\n\n")
      .filter((b) => b.trim())
      .map((b) =>
        JSON.parse(
          b
            .split("\n")
            .find((l) => l.startsWith("data: "))!
            .slice(6),
        ),
      );
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(fake.calls[0].body).toEqual({ model: "gpt-4o", input: "Go", stream: true, store: false });
    const done = events.at(-1).response;
    const r = await receipt(res.headers.get("x-switchboard-request-id"));
    expect(r.attempts[0]).toMatchObject({ status: 200, streamed: true, prompt_tokens: 20, completion_tokens: 4 });
    expect((await client.responses.retrieve(done.id)).output_text).toBe("Streamed answer");
  });
});

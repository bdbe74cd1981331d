/**
 * Native pass-through of Anthropic's Messages API: the official `@anthropic-ai/sdk` against the
 * gateway in front of a fake Anthropic upstream (and an OpenAI one for fallbacks). The client's
 * body reaches the upstream unchanged but for `model`; the answer and the stream's events come
 * back unchanged; usage with cache reads and writes is costed exactly; fallbacks, budgets, errors
 * and cut streams behave as on the translated path.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let claudeUp: FakeAnthropic;
let openaiUp: FakeOpenAI;
let gw: TestGateway;
let client: Anthropic;

const CLAUDE = "claude:claude-sonnet-4-5";

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(gw.url + "/v1/messages", {
    method: "POST",
    headers: { "x-api-key": gw.masterKey, "anthropic-version": "2023-06-01", "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** The named events of an SSE body, in order. */
function sseEvents(text: string): Array<[string, string]> {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split("\n");
      const name = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "";
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "";
      return [name, data];
    });
}

async function receipt(res: Response): Promise<any> {
  await gw.usage.flush();
  return (await gw.admin("GET", `/v1/logs/${res.headers.get("x-switchboard-request-id")}`)).body;
}

beforeAll(async () => {
  claudeUp = await startFakeAnthropic();
  openaiUp = await startFakeOpenAI();
  gw = await startTestGateway({
    routing: { retries: 0 },
    providers: {
      claude: { type: "anthropic", base_url: claudeUp.url, api_key: claudeUp.apiKey },
      beta: { type: "anthropic", base_url: claudeUp.url, api_key: claudeUp.apiKey, anthropic_beta: "configured-beta-1" },
      up: { type: "openai", base_url: openaiUp.url, api_key: "sk-up-000000" },
    },
    models: [
      { name: "main", deployments: [CLAUDE], fallbacks: ["up:gpt-4o"] },
      { name: "openai-first", deployments: ["up:gpt-4o"], fallbacks: [CLAUDE] },
    ],
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: gw.masterKey, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.stop();
  await claudeUp?.close();
  await openaiUp?.close();
});
beforeEach(() => {
  claudeUp.reset();
  openaiUp.reset();
});

/** A request using what the canonical translation has no place for. */
const RICH_REQUEST = {
  model: CLAUDE,
  max_tokens: 4096,
  system: [{ type: "text", text: "You are exact.", cache_control: { type: "ephemeral", ttl: "1h" } }],
  thinking: { type: "enabled", budget_tokens: 1024 },
  tools: [
    { name: "get_weather", description: "Weather of a city", input_schema: { type: "object", properties: { city: { type: "string" } } }, cache_control: { type: "ephemeral" } },
    { type: "web_search_20250305", name: "web_search", max_uses: 2 },
  ],
  context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
  metadata: { user_id: "session-1234" },
  messages: [
    {
      role: "user",
      content: [
        { type: "document", source: { type: "text", media_type: "text/plain", data: "The sky is blue." }, title: "Facts", citations: { enabled: true }, cache_control: { type: "ephemeral" } },
        { type: "text", text: "What colour is the sky?" },
      ],
    },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "The document says blue.", signature: "sig-abc-123" },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP" },
        { type: "server_tool_use", id: "srvtoolu_01", name: "web_search", input: { query: "sky colour" } },
        {
          type: "web_search_tool_result",
          tool_use_id: "srvtoolu_01",
          content: [{ type: "web_search_result", url: "https://example.com/sky", title: "Sky", encrypted_content: "enc", page_age: null }],
        },
        { type: "text", text: "Blue.", citations: [{ type: "char_location", cited_text: "The sky is blue.", document_index: 0, document_title: "Facts", start_char_index: 0, end_char_index: 16 }] },
      ],
    },
    { role: "user", content: [{ type: "text", text: "Sure?", cache_control: { type: "ephemeral" } }] },
  ],
};

/** A Message using what the canonical translation has no place for. */
const RICH_MESSAGE = {
  id: "msg_01UpstreamOwnId",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content: [
    { type: "thinking", thinking: "Check the document again.", signature: "sig-def-456" },
    { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" },
    { type: "text", text: "Yes, blue.", citations: [{ type: "char_location", cited_text: "The sky is blue.", document_index: 0, document_title: "Facts", start_char_index: 0, end_char_index: 16 }] },
  ],
  stop_reason: "end_turn",
  stop_sequence: null,
  container: null,
  usage: { input_tokens: 500, cache_creation_input_tokens: 300, cache_read_input_tokens: 200, output_tokens: 50, service_tier: "standard", server_tool_use: { web_search_requests: 0 } },
};

// claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output per million:
// 500 × 3 + 200 × 0.3 + 300 × 3.75 + 50 × 15 = 1500 + 60 + 1125 + 750 micro-USD.
const RICH_COST = "0.003435";

describe("Anthropic: the request and the answer pass through unchanged", () => {
  it("a request with cache_control, signed and redacted thinking, citations, documents, server tools and unknown fields reaches Anthropic as sent, but for model", async () => {
    claudeUp.enqueue({ message: RICH_MESSAGE });
    const res = await post(RICH_REQUEST);
    expect(res.status).toBe(200);
    expect(claudeUp.calls).toHaveLength(1);
    expect(claudeUp.calls[0].path).toBe("/v1/messages");
    expect(claudeUp.calls[0].body).toEqual({ ...RICH_REQUEST, model: "claude-sonnet-4-5" });
    // The answer, byte for byte: the upstream's own id, model, blocks and usage.
    expect(await res.text()).toBe(JSON.stringify(RICH_MESSAGE));
    expect(res.headers.get("x-switchboard-provider")).toBe("claude");
    expect(res.headers.get("x-switchboard-cost-usd")).toBe(RICH_COST);
  });

  it("usage with cache reads and writes is costed exactly in the ledger", async () => {
    claudeUp.enqueue({ message: RICH_MESSAGE });
    const res = await post(RICH_REQUEST);
    const r = await receipt(res);
    expect(r.endpoint).toBe("messages");
    expect(r.attempts).toHaveLength(1);
    expect(r.attempts[0]).toMatchObject({ status: 200, prompt_tokens: 1000, completion_tokens: 50, cached_tokens: 200, cache_write_tokens: 300, usage_estimated: false });
    expect(r.cost).toMatchObject({ input_usd: "0.0015", cached_input_usd: "0.00006", cache_write_usd: "0.001125", output_usd: "0.00075", total_usd: RICH_COST });
  });

  it("the official SDK reads the passed-through Message", async () => {
    claudeUp.enqueue({ message: RICH_MESSAGE });
    const msg = await client.messages.create(RICH_REQUEST as unknown as Anthropic.MessageCreateParamsNonStreaming);
    expect(msg).toEqual(RICH_MESSAGE);
  });

  it("anthropic-beta is forwarded, after the provider's configured flags", async () => {
    claudeUp.enqueue({ text: "ok" });
    await post({ model: CLAUDE, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }, { "anthropic-beta": "context-1m-2025-08-07, files-api-2025-04-14" });
    expect(claudeUp.calls[0].headers["anthropic-beta"]).toBe("context-1m-2025-08-07,files-api-2025-04-14");
    claudeUp.enqueue({ text: "ok" });
    await post({ model: "beta:claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }, { "anthropic-beta": "context-1m-2025-08-07" });
    expect(claudeUp.calls[1].headers["anthropic-beta"]).toBe("configured-beta-1,context-1m-2025-08-07");
  });

  it("stream: every event relayed as Anthropic sent it (thinking with signature_delta, citations_delta), usage with cache tokens costed", async () => {
    const events: Array<[string, unknown]> = [
      ["message_start", { type: "message_start", message: { ...RICH_MESSAGE, content: [], stop_reason: null, usage: { ...RICH_MESSAGE.usage, output_tokens: 1 } } }],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Check it." } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig-def-456" } }],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      ["ping", { type: "ping" }],
      ["content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "", citations: [] } }],
      [
        "content_block_delta",
        {
          type: "content_block_delta",
          index: 1,
          delta: { type: "citations_delta", citation: { type: "char_location", cited_text: "The sky is blue.", document_index: 0, start_char_index: 0, end_char_index: 16 } },
        },
      ],
      ["content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Yes, blue." } }],
      ["content_block_stop", { type: "content_block_stop", index: 1 }],
      ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 50 } }],
      ["message_stop", { type: "message_stop" }],
    ];
    claudeUp.enqueue({ events });
    const res = await post({ ...RICH_REQUEST, stream: true });
    expect(res.status).toBe(200);
    expect(sseEvents(await res.text())).toEqual(events.map(([name, data]) => [name, JSON.stringify(data)]));
    expect(claudeUp.calls[0].body).toEqual({ ...RICH_REQUEST, stream: true, model: "claude-sonnet-4-5" });
    const r = await receipt(res);
    expect(r.attempts[0]).toMatchObject({ status: 200, streamed: true, prompt_tokens: 1000, completion_tokens: 50, cached_tokens: 200, cache_write_tokens: 300, usage_estimated: false });
    expect(r.cost.total_usd).toBe(RICH_COST);

    claudeUp.enqueue({ events });
    const final = await client.messages.stream(RICH_REQUEST as unknown as Anthropic.MessageStreamParams).finalMessage();
    expect(final.content).toEqual([
      { type: "thinking", thinking: "Check it.", signature: "sig-def-456" },
      { type: "text", text: "Yes, blue.", citations: [{ type: "char_location", cited_text: "The sky is blue.", document_index: 0, start_char_index: 0, end_char_index: 16 }] },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 500, cache_read_input_tokens: 200, cache_creation_input_tokens: 300, output_tokens: 50 });
  });
});

describe("Anthropic: errors, budgets, fallbacks and cut streams", () => {
  it("an error of the upstream keeps Anthropic's type and message", async () => {
    claudeUp.enqueue({ error: { status: 400, message: "messages.0.content.0: unknown citation source" } });
    const res = await post({ model: CLAUDE, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "messages.0.content.0: unknown citation source" } });
    claudeUp.enqueue({ error: { status: 529, message: "Overloaded" } });
    const err = await client.messages.create({ model: CLAUDE, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
  });

  it("a failing native deployment falls back to an OpenAI one within the request (translated there)", async () => {
    claudeUp.enqueue({ error: { status: 500, message: "internal" } });
    openaiUp.enqueue({ text: "from openai", usage: { prompt_tokens: 10, completion_tokens: 3 } });
    const { data: msg, response } = await client.messages.create({ model: "main", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(msg.content).toEqual([{ type: "text", text: "from openai" }]);
    expect(msg.id).toBe(`msg_${response.headers.get("x-switchboard-request-id")!.slice(4)}`);
    expect(claudeUp.calls).toHaveLength(1);
    expect(openaiUp.calls[0].path).toBe("/v1/chat/completions");
    const r = await receipt(response);
    expect(r.attempts.map((a: any) => [a.provider, a.status])).toEqual([
      ["claude", 502],
      ["up", 200],
    ]);
  });

  it("and an OpenAI deployment that fails falls back to the native one, which gets the client's body", async () => {
    openaiUp.enqueue({ status: 500 });
    claudeUp.enqueue({ text: "from claude" });
    const res = await post({ model: "openai-first", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(claudeUp.calls[0].body).toEqual({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
  });

  it("a request the translation cannot carry goes only to deployments that speak the API; with none, the same 400 as before", async () => {
    const server = { model: "openai-first", max_tokens: 64, tools: [{ type: "web_search_20250305", name: "web_search" }], messages: [{ role: "user", content: "hi" }] };
    claudeUp.enqueue({ text: "searched" });
    const res = await post(server);
    expect(res.status).toBe(200);
    expect(openaiUp.calls).toHaveLength(0);
    expect(res.headers.get("x-switchboard-warnings")).toContain("left out of the route");
    const refused = await post({ ...server, model: "up:gpt-4o" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as any).error.message).toContain('Anthropic server tools ("web_search_20250305") are not available');
    const unknown = await post({ model: "up:gpt-4o", max_tokens: 8, context_management: {}, messages: [{ role: "user", content: "hi" }] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error.message).toContain('"context_management" is not supported');
  });

  it("anthropic-beta on the translated path is a warning, never silence", async () => {
    openaiUp.enqueue({ text: "ok" });
    const res = await post({ model: "up:gpt-4o", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }, { "anthropic-beta": "context-1m-2025-08-07" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-warnings")).toContain("anthropic-beta context-1m-2025-08-07 is not honoured by provider up");
    expect(openaiUp.calls[0].headers["anthropic-beta"]).toBeUndefined();
  });

  it("an exhausted budget is 402 billing_error, before any upstream call", async () => {
    expect((await gw.admin("POST", "/v1/budgets", { budget_id: "native-cap", max_budget: 0.000001, budget_duration: "1d" })).status).toBe(201);
    const key = (await gw.admin("POST", "/v1/keys", { key_name: "capped", budget_id: "native-cap" })).body.key;
    const res = await post({ model: CLAUDE, max_tokens: 1000, messages: [{ role: "user", content: "hi" }] }, { "x-api-key": key });
    expect(res.status).toBe(402);
    expect(((await res.json()) as any).error.type).toBe("billing_error");
    expect(claudeUp.calls).toHaveLength(0);
  });

  it("a stream cut mid-way ends with Anthropic's error event; the attempt is recorded with what was used", async () => {
    claudeUp.enqueue({ text: "a long answer that will not arrive whole", usage: { input: 400, output: 60 }, cutAfter: 4 });
    const res = await post({ model: CLAUDE, max_tokens: 256, stream: true, messages: [{ role: "user", content: "go" }] });
    expect(res.status).toBe(200);
    const events = sseEvents(await res.text());
    expect(events.slice(0, 4).map(([n]) => n)).toEqual(["message_start", "content_block_start", "ping", "content_block_delta"]);
    const [name, data] = events.at(-1)!;
    expect(name).toBe("error");
    expect(JSON.parse(data)).toMatchObject({ type: "error", error: { type: "api_error" } });
    const r = await receipt(res);
    expect(r.attempts[0]).toMatchObject({ status: 502, streamed: true, prompt_tokens: 400 });
    expect(r.attempts[0].completion_tokens).toBeGreaterThan(0);
  });

  it("a client that leaves mid-stream: the attempt is recorded as 499 with the input the upstream reported, the reservation settled", async () => {
    expect((await gw.admin("POST", "/v1/budgets", { budget_id: "native-leave", max_budget: 10, budget_duration: "1d" })).status).toBe(201);
    const key = (await gw.admin("POST", "/v1/keys", { key_name: "leaver", budget_id: "native-leave" })).body.key;
    claudeUp.enqueue({ text: "x".repeat(4000), usage: { input: 300, output: 1000 }, splitBytes: true });
    const abort = new AbortController();
    const res = await fetch(gw.url + "/v1/messages", {
      method: "POST",
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: CLAUDE, max_tokens: 2000, stream: true, messages: [{ role: "user", content: "go" }] }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("content_block_delta")) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const id = res.headers.get("x-switchboard-request-id");
    let r: any;
    for (let i = 0; i < 50; i++) {
      await gw.usage.flush();
      r = (await gw.admin("GET", `/v1/logs/${id}`)).body;
      if (r?.attempts?.length) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(r.attempts[0]).toMatchObject({ status: 499, streamed: true, prompt_tokens: 300 });
    // The budget's spend is what was billed (the reservation settled to it).
    expect((await gw.admin("GET", "/v1/budgets/native-leave")).body.assignments[0].spend_usd).toBe(r.cost.total_usd);
  });

  it("an error event mid-stream is relayed with Anthropic's type and message", async () => {
    claudeUp.enqueue({ text: "partial answer", midStreamError: { type: "overloaded_error", message: "Overloaded" } });
    const res = await post({ model: CLAUDE, max_tokens: 256, stream: true, messages: [{ role: "user", content: "go" }] });
    const events = sseEvents(await res.text());
    const [name, data] = events.at(-1)!;
    expect(name).toBe("error");
    expect(JSON.parse(data)).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
  });
});

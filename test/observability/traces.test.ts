/**
 * Traces over OTLP/HTTP to a local receiver: one span per request continuing the client's
 * `traceparent`, one child span per upstream attempt whose context reaches the upstream in
 * `traceparent`, GenAI attributes, error status on failures; a receiver that is down never
 * fails or holds a request.
 */
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { genAiProviderName, PROVIDER_REGISTRY } from "../../src/providers/registry.js";
import { startFakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeBedrock } from "../support/fake-bedrock.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
const UNSAMPLED = "0af7651916cd43dd8448eb211c80319c";
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

let up: FakeOpenAI;
let receiver: OtlpReceiver;

beforeAll(async () => {
  [up, receiver] = await Promise.all([startFakeOpenAI(), startOtlpReceiver()]);
});
afterAll(async () => {
  await up?.close();
  await receiver?.close();
});

const config = (endpoint: string) => ({
  providers: { a: { type: "openai", base_url: up.url, api_key: "sk-a-000000" } },
  models: [{ name: "smart", deployments: ["a:gpt-4o"] }],
  pricing: { "a:gpt-4o": { input: 1, output: 2 } },
  routing: { retries: 1 },
  observability: { otlp_endpoint: endpoint, otlp_headers: { authorization: "Basic dGVzdA==" }, service_name: "sb-test" },
});

const chat = (gw: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gw.post("/v1/chat/completions", { model: "smart", messages: [{ role: "user", content: "a secret prompt" }], ...body }, headers);

describe("traces", () => {
  let spans: ReceivedSpan[];
  let ids: { retried: string; refused: string; streamed: string };

  beforeAll(async () => {
    const gw = await startTestGateway(config(receiver.url));
    up.reset();
    up.setDefault({ usage: { prompt_tokens: 11, completion_tokens: 7 }, model: "gpt-4o-2024-08-06" });
    // A request retried once (500, then answered), continuing the client's trace.
    up.enqueue({ status: 500 });
    const retried = await chat(gw, {}, { traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01` });
    expect(retried.status).toBe(200);
    // A request refused before any upstream call (unknown model): a span alone, with an error.
    const refused = await chat(gw, { model: "no-such-model" });
    expect(refused.status).toBe(404);
    // A stream, with no traceparent: a new trace.
    const streamed = await chat(gw, { stream: true });
    await streamed.text();
    // A client's trace that is not sampled: nothing exported, the flag passed on upstream.
    expect((await chat(gw, {}, { traceparent: `00-${UNSAMPLED}-${CLIENT_SPAN}-00` })).status).toBe(200);
    ids = { retried: retried.headers.get("x-switchboard-request-id")!, refused: refused.headers.get("x-switchboard-request-id")!, streamed: streamed.headers.get("x-switchboard-request-id")! };
    await gw.stop(); // sends what is left
    spans = receiver.spans;
  }, 60_000);

  const requestSpan = (id: string) => spans.find((s) => s.attributes["switchboard.request_id"] === id)!;
  const children = (parent: ReceivedSpan) =>
    spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId).sort((x, y) => Number(x.attributes["switchboard.attempt"]) - Number(y.attributes["switchboard.attempt"]));

  it("exports OTLP JSON with the configured headers and service name", () => {
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests[0].contentType).toMatch(/application\/json/);
    expect(receiver.requests[0].headers.authorization).toBe("Basic dGVzdA==");
    expect(spans.every((s) => s.resource["service.name"] === "sb-test")).toBe(true);
  });

  it("one span per request, the client's trace continued; one child span per attempt", () => {
    const req = requestSpan(ids.retried);
    expect(req.traceId).toBe(TRACE_ID);
    expect(req.parentSpanId).toBe(CLIENT_SPAN);
    expect(req.name).toBe("chat smart");
    expect(req.kind).toBe(SERVER);
    expect(req.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "smart",
      "gen_ai.provider.name": "openai",
      "gen_ai.response.model": "gpt-4o-2024-08-06",
      "gen_ai.usage.input_tokens": 11,
      "gen_ai.usage.output_tokens": 7,
      "switchboard.cost_usd": 0.000025,
      "switchboard.attempts": 2,
      "switchboard.cache": "bypass",
      "switchboard.fallback": false,
      "http.response.status_code": 200,
    });
    const [first, second] = children(req);
    expect(children(req)).toHaveLength(2);
    expect(first.name).toBe("chat gpt-4o");
    expect(first.kind).toBe(CLIENT);
    expect(first.attributes).toMatchObject({
      "switchboard.attempt": 1,
      "switchboard.retry": 0,
      "gen_ai.request.model": "gpt-4o",
      "error.type": "upstream_error",
      "http.response.status_code": 500,
      "switchboard.status": 502,
    });
    expect(first.status.code).toBe(ERROR);
    expect(second.attributes).toMatchObject({
      "switchboard.attempt": 2,
      "switchboard.retry": 1,
      "switchboard.fallback": false,
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.response.model": "gpt-4o-2024-08-06",
      "gen_ai.usage.input_tokens": 11,
      "gen_ai.usage.output_tokens": 7,
      "switchboard.cost_usd": 0.000025,
    });
    expect(second.status.code).not.toBe(ERROR);
  });

  it("each attempt's traceparent reaches the upstream with the attempt span's id", () => {
    const req = requestSpan(ids.retried);
    const [first, second] = children(req);
    expect(up.calls[0].headers.traceparent).toBe(`00-${TRACE_ID}-${first.spanId}-01`);
    expect(up.calls[1].headers.traceparent).toBe(`00-${TRACE_ID}-${second.spanId}-01`);
  });

  it("a request refused before any attempt has its span with the error, and no child", () => {
    const req = requestSpan(ids.refused);
    expect(req.name).toBe("chat");
    expect(req.parentSpanId ?? "").toBe("");
    expect(req.attributes).toMatchObject({ "error.type": "model_not_found", "http.response.status_code": 404, "switchboard.attempts": 0 });
    expect(req.status.code).toBe(ERROR);
    expect(children(req)).toHaveLength(0);
  });

  it("a stream without traceparent starts a new trace; the upstream still gets the attempt's context", () => {
    const req = requestSpan(ids.streamed);
    expect(req.traceId).not.toBe(TRACE_ID);
    const [attempt] = children(req);
    expect(attempt.attributes["switchboard.streamed"]).toBe(true);
    expect(up.calls[2].headers.traceparent).toBe(`00-${req.traceId}-${attempt.spanId}-01`);
  });

  it("a client's unsampled trace is not exported; upstream gets its trace id with the flag unset", () => {
    expect(spans.filter((s) => s.traceId === UNSAMPLED)).toEqual([]);
    expect(up.calls[3].headers.traceparent).toMatch(new RegExp(`^00-${UNSAMPLED}-[0-9a-f]{16}-00$`));
    expect(up.calls[3].headers.traceparent).not.toContain(CLIENT_SPAN);
  });

  it("no prompt text in any span", () => {
    expect(JSON.stringify(spans)).not.toContain("a secret prompt");
  });
});

describe("gen_ai.provider.name", () => {
  it("carries the GenAI conventions' name of the service, with the provider's type and configured name beside it", async () => {
    const [claude, bedrock, own] = await Promise.all([startFakeAnthropic(), startFakeBedrock(), startOtlpReceiver()]);
    try {
      const gw = await startTestGateway({
        providers: {
          claude: { type: "anthropic", base_url: claude.url, api_key: claude.apiKey },
          aws: { type: "bedrock", base_url: bedrock.url, region: bedrock.options.region, access_key_id: bedrock.options.accessKeyId, secret_access_key: bedrock.options.secretAccessKey },
          oai: { type: "openai", base_url: up.url, api_key: "sk-a-000000" },
        },
        routing: { retries: 0 },
        observability: { otlp_endpoint: own.url, service_name: "sb-test" },
      });
      const models = { claude: "claude:claude-3-5-haiku-20241022", aws: "aws:anthropic.claude-3-5-haiku-20241022-v1:0", oai: "oai:gpt-4o" };
      const requestIds: Record<string, string> = {};
      for (const [provider, model] of Object.entries(models)) {
        const r = await gw.post("/v1/chat/completions", { model, max_tokens: 20, messages: [{ role: "user", content: "hi" }] });
        expect(r.status, model).toBe(200);
        requestIds[provider] = r.headers.get("x-switchboard-request-id")!;
      }
      await gw.stop();
      const expected = {
        claude: { "gen_ai.provider.name": "anthropic", "switchboard.provider.type": "anthropic", "switchboard.provider": "claude" },
        aws: { "gen_ai.provider.name": "aws.bedrock", "switchboard.provider.type": "bedrock", "switchboard.provider": "aws" },
        oai: { "gen_ai.provider.name": "openai", "switchboard.provider.type": "openai", "switchboard.provider": "oai" },
      };
      for (const [provider, attrs] of Object.entries(expected)) {
        const req = own.spans.find((s) => s.attributes["switchboard.request_id"] === requestIds[provider])!;
        expect(req.attributes, provider).toMatchObject(attrs);
        const attempts = own.spans.filter((s) => s.parentSpanId === req.spanId && s.traceId === req.traceId);
        expect(attempts, provider).toHaveLength(1);
        expect(attempts[0].attributes, provider).toMatchObject(attrs);
      }
    } finally {
      await Promise.all([claude.close(), bedrock.close(), own.close()]);
    }
  }, 60_000);

  it("maps every provider type as docs/observability.md's table says, and every other type to itself", () => {
    const doc = readFileSync(new URL("../../docs/observability.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("### `gen_ai.provider.name`"), doc.indexOf("### Jaeger"));
    const table = Object.fromEntries([...section.matchAll(/^\| `([a-z0-9_]+)` +\| `([a-z0-9_.]+)` +\|$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(table)).toHaveLength(12);
    const mapped = Object.fromEntries([...PROVIDER_REGISTRY.keys()].filter((t) => genAiProviderName(t) !== t || t in table).map((t) => [t, genAiProviderName(t)]));
    expect(mapped).toEqual(table);
    for (const t of ["together", "fireworks", "openrouter", "ollama", "vllm", "mock"]) expect(genAiProviderName(t), t).toBe(t);
    for (const t of ["together", "fireworks", "openrouter", "ollama", "vllm", "mock"]) expect(PROVIDER_REGISTRY.has(t), t).toBe(true);
  });
});

describe("a collector that is down or silent", () => {
  it("a refused connection never fails a request", async () => {
    const dead = await startOtlpReceiver();
    await dead.close(); // nothing listens on its port any more
    const gw = await startTestGateway(config(dead.url));
    for (let i = 0; i < 20; i++) expect((await chat(gw, {})).status).toBe(200);
    await gw.stop();
  });

  it("a collector that never answers holds no request, and shutdown waits for it at most 2 s", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket)); // accepts, reads, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const gw = await startTestGateway(config(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`));
    for (let i = 0; i < 20; i++) expect((await chat(gw, {})).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200)); // a batch has left and hangs on the collector
    expect(held.length).toBeGreaterThan(0);
    const started = performance.now();
    await gw.stop();
    // The export timeout is 10 s: an unbounded wait would take that long.
    expect(performance.now() - started).toBeLessThan(9000);
    for (const s of held) s.destroy();
    silent.close();
  });

  it("an unconfigured gateway sends no traceparent upstream", async () => {
    const gw = await startTestGateway({ providers: { a: { type: "openai", base_url: up.url, api_key: "sk-a-000000" } } });
    up.reset();
    expect((await gw.post("/v1/chat/completions", { model: "a:gpt-4o", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    expect(up.calls[0].headers.traceparent).toBeUndefined();
    await gw.stop();
  });
});

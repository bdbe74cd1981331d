/** The provider layer under the batch functions: which providers have a batch API, and the bounds of a results download. */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { createAnthropicProvider } from "../../src/providers/anthropic/index.js";
import { resultOf as anthropicResult, stateOf as anthropicState } from "../../src/providers/anthropic/batch.js";
import { LineSplitter } from "../../src/providers/batch-http.js";
import { resultOf as openAIResult, stateOf as openAIState } from "../../src/providers/openai/batch.js";
import type { NativeBatchResult } from "../../src/providers/batch.js";
import { DEFAULT_UPSTREAM } from "../../src/providers/http.js";
import { PROVIDER_REGISTRY } from "../../src/providers/registry.js";
import type { CallOptions, Provider } from "../../src/providers/types.js";
import { startFakeServer, type FakeServer } from "../support/fake-server.js";

const call: CallOptions = { timeouts: { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10_000 } };

describe("which providers have a batch API", () => {
  it("a type marked nativeBatch gives its providers Provider.batch, and no other does", () => {
    const checked: string[] = [];
    for (const def of PROVIDER_REGISTRY.values()) {
      const extra: Record<string, unknown> = { region: "us-east-1", project: "p", location: "us-central1", resource_name: "r", access_key_id: "AKIA0000", secret_access_key: "s" };
      let p: Provider;
      try {
        p = def.create(
          {
            id: def.type,
            type: def.type,
            apiKey: "k-0000000000",
            baseUrl: def.defaultBaseUrl ?? "http://127.0.0.1:9",
            headers: {},
            extra: Object.fromEntries(Object.entries(extra).filter(([k]) => def.settings.includes(k))),
          },
          { connectTimeoutMs: 1000 },
        );
      } catch {
        continue; // a type that needs other settings to be created
      }
      expect([def.type, p.batch !== undefined]).toEqual([def.type, def.nativeBatch === true]);
      checked.push(def.type);
      void p.close?.();
    }
    expect(checked).toEqual(expect.arrayContaining(["openai", "anthropic", "groq", "gemini", "mock"]));
  });
});

describe("states and results as each provider gives them", () => {
  it("OpenAI's eight statuses", () => {
    const st = (status: string) => openAIState({ id: "b", status, request_counts: { total: 3, completed: 1, failed: 1 } });
    expect(["validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled"].map((s) => st(s).status)).toEqual([
      "in_progress",
      "in_progress",
      "in_progress",
      "ended",
      "failed",
      "expired",
      "cancelling",
      "cancelled",
    ]);
    expect(() => st("paused")).toThrow(/unknown status "paused"/);
    expect(openAIState({ id: "b", status: "failed", failed_at: 1700000000, errors: { data: [{ code: "invalid_json_line", message: "bad", line: 3 }] } })).toMatchObject({
      status: "failed",
      endedAt: 1700000000,
      error: "line 3: bad",
      counts: { total: 0, completed: 0, failed: 0 },
    });
  });

  it("Anthropic's processing_status, with cancellation and expiry", () => {
    const counts = { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 };
    expect(anthropicState({ id: "m", processing_status: "in_progress", request_counts: { ...counts, processing: 3 } })).toMatchObject({
      status: "in_progress",
      counts: { total: 6, completed: 2, failed: 1 },
    });
    expect(anthropicState({ id: "m", processing_status: "canceling" }).status).toBe("cancelling");
    expect(anthropicState({ id: "m", processing_status: "ended", request_counts: counts, ended_at: "2026-12-06T10:00:00Z" })).toMatchObject({ status: "ended", endedAt: 1796551200 });
    expect(anthropicState({ id: "m", processing_status: "ended", cancel_initiated_at: "2026-12-06T09:00:00Z", request_counts: { ...counts, canceled: 2 } }).status).toBe("cancelled");
    expect(anthropicState({ id: "m", processing_status: "ended", request_counts: { ...counts, expired: 1 } })).toMatchObject({ status: "expired", counts: { total: 4, failed: 2 } });
  });

  it("OpenAI result lines: an answer, an HTTP error, and a request never run", () => {
    const ok = openAIResult(
      JSON.stringify({
        id: "r1",
        custom_id: "a",
        response: { status_code: 200, body: { object: "list", data: [{ object: "embedding", index: 0, embedding: [1] }], model: "m", usage: { prompt_tokens: 1, total_tokens: 1 } } },
        error: null,
      }),
      "openai",
    );
    expect(ok).toMatchObject({ custom_id: "a", ok: true, response: { object: "list", usage: { prompt_tokens: 1 } } });
    const http = openAIResult(
      JSON.stringify({ custom_id: "b", response: { status_code: 429, body: { error: { message: "slow down", type: "requests", code: "rate_limit_exceeded" } } }, error: null }),
      "openai",
    );
    expect(http).toEqual({ custom_id: "b", ok: false, status: 429, error: { message: "slow down", type: "requests", code: "rate_limit_exceeded" } });
    const never = openAIResult(JSON.stringify({ custom_id: "c", response: null, error: { code: "batch_expired", message: "too late" } }), "openai");
    expect(never).toEqual({ custom_id: "c", ok: false, status: 0, error: { message: "too late", code: "batch_expired" } });
    expect(() => openAIResult("{not json", "openai")).toThrow(/not JSON/);
  });

  it("Anthropic result lines: both error shapes, and the key scrubbed from a message", () => {
    const nested = anthropicResult(
      JSON.stringify({ custom_id: "a", result: { type: "errored", error: { type: "error", error: { type: "rate_limit_error", message: "key sk-ant-secret is limited" } } } }),
      "anthropic",
      ["sk-ant-secret"],
    );
    expect(nested).toMatchObject({ ok: false, status: 429, error: { type: "rate_limit_error" } });
    expect((nested as { error: { message: string } }).error.message).not.toContain("sk-ant-secret");
    const flat = anthropicResult(JSON.stringify({ custom_id: "b", result: { type: "errored", error: { type: "invalid_request_error", message: "bad" } } }), "anthropic", []);
    expect(flat).toEqual({ custom_id: "b", ok: false, status: 400, error: { type: "invalid_request_error", message: "bad" } });
    expect(() => anthropicResult(JSON.stringify({ custom_id: "c", result: { type: "paused" } }), "anthropic", [])).toThrow(/unknown type "paused"/);
  });
});

describe("LineSplitter", () => {
  it("cuts lines anywhere, even inside a multi-byte character; CRLF and blank lines handled", () => {
    const text = '{"a":"héllo 你好"}\r\n\n{"b":2}\n   \n{"c":3}';
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new LineSplitter(100, "p");
      const out = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut)), ...s.end()];
      expect(out).toEqual(['{"a":"héllo 你好"}', '{"b":2}', '{"c":3}']);
    }
  });

  it("refuses a line longer than its bound, however it arrives", () => {
    const s = new LineSplitter(10, "p");
    expect([...s.push(Buffer.from("0123456789\n"))]).toEqual(["0123456789"]);
    expect(() => [...s.push(Buffer.from("01234")), ...s.push(Buffer.from("567890"))]).toThrow(/p sent a results line longer than 10 bytes/);
  });
});

describe("Anthropic results download", () => {
  let server: FakeServer<object> | undefined;
  afterEach(async () => server?.close());

  /** A fake answering a batch lookup with `resultsUrl` and the results with `lines`. */
  async function start(resultsUrl: (base: string) => string, lines: string[]) {
    server = await startFakeServer<object>({
      handle(rec, res: ServerResponse) {
        if (rec.path.endsWith("/results")) {
          res.writeHead(200, { "content-type": "application/binary" });
          for (const l of lines) res.write(l + "\n");
          return res.end();
        }
        const body = JSON.stringify({ id: "msgbatch_1", type: "message_batch", processing_status: "ended", request_counts: { succeeded: lines.length }, results_url: resultsUrl(server!.url) });
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      },
    });
    return createAnthropicProvider(
      { id: "anthropic", type: "anthropic", apiKey: "sk-ant-0000", baseUrl: server.url, headers: {}, extra: {} },
      { connectTimeoutMs: 1000, upstream: { ...DEFAULT_UPSTREAM, maxResponseBytes: 2000 } },
    );
  }

  const succeeded = (id: string, pad = 0) =>
    JSON.stringify({
      custom_id: id,
      result: {
        type: "succeeded",
        message: {
          id: `msg_${id}`,
          type: "message",
          role: "assistant",
          model: "claude",
          content: [{ type: "text", text: "x".repeat(pad) }],
          stop_reason: "end_turn",
          usage: { input_tokens: 3, output_tokens: 4 },
        },
      },
    });

  async function collect(p: Provider): Promise<NativeBatchResult[]> {
    const out: NativeBatchResult[] = [];
    for await (const r of p.batch!.results("msgbatch_1", call)) out.push(r);
    return out;
  }

  it("reads a file far longer than upstream.max_response_bytes, a line at a time", async () => {
    const lines = Array.from({ length: 40 }, (_, i) => succeeded(`r${i}`, 100)); // ~12 KB in all, each line ~300 bytes
    const p = await start((base) => `${base}/v1/messages/batches/msgbatch_1/results`, lines);
    const results = await collect(p);
    expect(results.map((r) => r.custom_id)).toEqual(lines.map((_, i) => `r${i}`));
    expect(results[0]).toMatchObject({ ok: true, response: { usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } } });
  });

  it("fails on one line longer than upstream.max_response_bytes", async () => {
    const p = await start((base) => `${base}/v1/messages/batches/msgbatch_1/results`, [succeeded("a"), succeeded("b", 3000)]);
    const seen: string[] = [];
    const e = await (async () => {
      for await (const r of p.batch!.results("msgbatch_1", call)) seen.push(r.custom_id);
    })().catch((x: unknown) => x);
    expect(seen).toEqual(["a"]);
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).message).toMatch(/results line longer than 2000 bytes/);
  });

  it("does not send the key to a results_url on another origin", async () => {
    const p = await start(() => "http://127.0.0.2:9/v1/messages/batches/msgbatch_1/results", [succeeded("a")]);
    const e = await collect(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).message).toMatch(/pointed to http:\/\/127\.0\.0\.2:9, outside its base URL's origin/);
    expect(server!.calls.map((c) => c.path)).toEqual(["/v1/messages/batches/msgbatch_1"]);
  });
});

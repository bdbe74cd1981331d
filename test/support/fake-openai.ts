/**
 * A fake OpenAI upstream for tests: plain node:http on 127.0.0.1, speaking the OpenAI wire format
 * (chat.completion, chat.completion.chunk SSE, embeddings, models, error envelope) with fault
 * injection (status errors, delays, cut streams, silent sockets, byte-by-byte SSE).
 *
 *   const up = await startFakeOpenAI();            // up.url = "http://127.0.0.1:<port>/v1"
 *   up.enqueue({ status: 429, retryAfter: 1 });     // next POST gets a 429
 *   up.enqueue({ text: "héllo", splitBytes: true }); // the one after streams byte by byte
 *   ... up.calls[0].body.model, up.calls[1].aborted ...
 *   await up.close();
 *
 * Behaviours are consumed one per matching request (FIFO); when the queue holds none that
 * match, the default behaviour (setDefault, initially `{}` = a normal reply) answers.
 *
 * The Files and Batch APIs are there too (fake-openai-batch.ts): `up.batches.setOptions(...)`
 * controls how batches run; each line gets the usual answer to its request.
 */
import { EventEmitter } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { closeServer, listen, writeSplit } from "./fake-server.js";
import { fakeOpenAIBatches, type FakeOpenAIBatches } from "./fake-openai-batch.js";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number; audio_tokens?: number };
  completion_tokens_details?: { reasoning_tokens: number; audio_tokens?: number; accepted_prediction_tokens?: number; rejected_prediction_tokens?: number };
}

export interface ToolCallSpec {
  id?: string;
  name: string;
  /** A JSON string as OpenAI sends it, or an object (serialised for you). */
  arguments: string | Record<string, unknown>;
}

export interface Behavior {
  /** Only requests to this path (e.g. "/v1/embeddings") consume it; default: any POST. */
  path?: string;
  // --- normal replies ---
  /** Reply text. Default: "Echo: <last user text>" ("héllo wörld ✓ 你好" with splitBytes). */
  text?: string;
  toolCalls?: ToolCallSpec[];
  /** Default "stop" ("tool_calls" when toolCalls are given). */
  finishReason?: string;
  /** Overrides of the computed usage numbers; total_tokens is derived unless given. */
  usage?: Partial<Usage>;
  /** Response `model`; default: the request's model. */
  model?: string;
  // --- streams (when the request has "stream": true) ---
  /** Number of content chunks the text is split into (default min(5, characters)). */
  chunks?: number;
  /** Put usage on the last chunk that has choices (the finish chunk), with no usage-only chunk. */
  usageInLastContentChunk?: boolean;
  /** Never send usage: no `usage` field on a non-stream reply; no usage in a stream even when include_usage is true. */
  noUsage?: boolean;
  /** Delay between SSE events. */
  chunkDelayMs?: number;
  /** Destroy the socket after this many `data:` events (the role chunk counts as the first). */
  cutAfterChunks?: number;
  /** Write the whole SSE stream one byte at a time (splits multi-byte UTF-8 characters). */
  splitBytes?: boolean;
  // --- errors and faults ---
  /** HTTP status; >= 400 answers with the OpenAI error envelope (or `body`). */
  status?: number;
  error?: { message?: string; type?: string; param?: string | null; code?: string | null };
  /** Raw response body (string as-is, anything else as JSON), replacing the generated one. */
  body?: unknown;
  retryAfter?: number | string;
  headers?: Record<string, string>;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Hold the response before its headers until this resolves (the test decides when it answers). */
  holdUntil?: Promise<unknown>;
  /** Accept the request and never answer. */
  silent?: boolean;
  // --- embeddings ---
  /** Vector size (default: request `dimensions`, else 64). */
  dimensions?: number;
  /** Exact vectors to return, one per input (reused cyclically). */
  vectors?: number[][];
}

export interface RecordedCall {
  method: string;
  /** Without the query string, e.g. "/v1/chat/completions". */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (the raw string when it is not JSON; undefined when empty). */
  body: any;
  /** The client closed the connection before the response finished. */
  aborted: boolean;
  startedAt: number;
  finishedAt?: number;
}

export interface FakeOpenAI {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1 */
  url: string;
  port: number;
  calls: RecordedCall[];
  /** Resolves once the n-th call (1-based, since the last reset) has arrived: it is in flight here. */
  received(n: number): Promise<RecordedCall>;
  /** Resolves once the n-th call's connection has closed, answered or aborted (`finishedAt` is set). */
  closed(n: number): Promise<RecordedCall>;
  reset(): void;
  close(): Promise<void>;
  enqueue(b: Behavior): void;
  setDefault(b: Behavior): void;
  /** The Files and Batch APIs' controls (reset() clears their files and batches too). */
  batches: FakeOpenAIBatches;
}

export const NON_ASCII_TEXT = "héllo wörld ✓ 你好";

// ---------------------------------------------------------------- wire-format builders

export const newRequestId = (): string => `req_${randomBytes(16).toString("hex")}`;
const newCompletionId = (): string => `chatcmpl-${randomBytes(12).toString("base64url")}`;
const newToolCallId = (): string => `call_${randomBytes(12).toString("base64url")}`;

/** Rough, deterministic token estimate (~4 characters a token, at least 1). */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function makeUsage(prompt: number, completion: number, over: Partial<Usage> = {}): Usage {
  const u: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    ...over,
  };
  if (over.total_tokens === undefined) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return u;
}

function toolCallsWire(specs: ToolCallSpec[]) {
  return specs.map((t) => ({
    id: t.id ?? newToolCallId(),
    type: "function" as const,
    function: { name: t.name, arguments: typeof t.arguments === "string" ? t.arguments : JSON.stringify(t.arguments) },
  }));
}

export interface ChatCompletionInit {
  model: string;
  text?: string | null;
  toolCalls?: ToolCallSpec[];
  finishReason?: string;
  usage?: Usage;
  id?: string;
  created?: number;
}

/** A complete `chat.completion` object as OpenAI returns it. */
export function chatCompletion(init: ChatCompletionInit, omitUsage = false) {
  const toolCalls = init.toolCalls?.length ? toolCallsWire(init.toolCalls) : undefined;
  return {
    id: init.id ?? newCompletionId(),
    object: "chat.completion" as const,
    created: init.created ?? Math.floor(Date.now() / 1000),
    model: init.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: toolCalls ? (init.text ?? null) : (init.text ?? ""),
          refusal: null,
          annotations: [],
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: init.finishReason ?? (toolCalls ? "tool_calls" : "stop"),
      },
    ],
    ...(omitUsage ? {} : { usage: init.usage ?? makeUsage(1, estimateTokens(init.text ?? "")) }),
    service_tier: "default",
    system_fingerprint: "fp_fake",
  };
}

/** One `chat.completion.chunk`; pass `choices: []` for the usage-only chunk. */
export function chatCompletionChunk(init: { id: string; created: number; model: string; choices: { delta: Record<string, unknown>; finish_reason?: string | null }[]; usage?: Usage | null }) {
  return {
    id: init.id,
    object: "chat.completion.chunk" as const,
    created: init.created,
    model: init.model,
    service_tier: "default",
    system_fingerprint: "fp_fake",
    choices: init.choices.map((c, index) => ({ index, delta: c.delta, logprobs: null, finish_reason: c.finish_reason ?? null })),
    ...(init.usage !== undefined ? { usage: init.usage } : {}),
  };
}

const DEFAULT_ERROR_TYPE: Record<number, [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"],
  408: ["timeout", null],
  409: ["invalid_request_error", null],
  422: ["invalid_request_error", null],
  429: ["requests", "rate_limit_exceeded"],
};

/** OpenAI's error envelope; type/code default from the status. */
export function errorEnvelope(status: number, e: Behavior["error"] = {}) {
  const [type, code] = DEFAULT_ERROR_TYPE[status] ?? ["server_error", null];
  const message = e.message ?? `Fake upstream error ${status}`;
  return { error: { message, type: e.type ?? type, param: e.param ?? null, code: e.code !== undefined ? e.code : code } };
}

/** Deterministic unit vector for an input (same input → same vector). */
export function fakeEmbedding(input: unknown, dims: number): number[] {
  let h = 2166136261;
  for (const ch of JSON.stringify(input)) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  const v: number[] = [];
  for (let i = 0; i < dims; i++) {
    h = (h + 0x6d2b79f5) >>> 0; // mulberry32 step
    let t = Math.imul(h ^ (h >>> 15), h | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    v.push(((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5);
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

// ---------------------------------------------------------------- the server

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function lastUserText(body: any): string | undefined {
  const msgs: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const m = [...msgs].reverse().find((x) => x?.role === "user");
  if (typeof m?.content === "string") return m.content;
  if (Array.isArray(m?.content)) return m.content.map((p: any) => p?.text ?? "").join("");
  return undefined;
}

function splitText(text: string, n: number): string[] {
  const chars = Array.from(text); // never split a character here; splitBytes does that on purpose
  if (chars.length === 0) return [];
  const size = Math.ceil(chars.length / Math.max(1, Math.min(n, chars.length)));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}

export async function startFakeOpenAI(opts: { port?: number } = {}): Promise<FakeOpenAI> {
  const calls: RecordedCall[] = [];
  let queue: Behavior[] = [];
  let fallback: Behavior = {};
  let closing = false;
  const events = new EventEmitter();
  /** Resolves with the n-th call once `ready` holds for it, checked on each of `event`. */
  const when = (event: string, n: number, ready: (c: RecordedCall) => boolean) =>
    new Promise<RecordedCall>((resolve) => {
      const check = () => {
        const c = calls[n - 1];
        if (!c || !ready(c)) return;
        events.off(event, check);
        resolve(c);
      };
      events.on(event, check);
      check();
    });

  const matches = (b: Behavior, method: string, path: string) => (b.path !== undefined ? b.path === path : method === "POST");
  function take(method: string, path: string): Behavior {
    const i = queue.findIndex((b) => matches(b, method, path));
    if (i >= 0) return queue.splice(i, 1)[0];
    return matches(fallback, method, path) ? fallback : {};
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const rec: RecordedCall = { method: req.method ?? "GET", path, headers: { ...req.headers }, body: undefined, aborted: false, startedAt: Date.now() };
    calls.push(rec);
    events.emit("call");
    const state = { cut: false };
    res.on("close", () => {
      rec.finishedAt = Date.now();
      if (!res.writableFinished && !state.cut && !closing) rec.aborted = true;
      events.emit("close");
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      try {
        rec.body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        rec.body = raw; // not JSON: keep the raw string
      }
      handle(res, rec, state, new URLSearchParams((req.url ?? "").split("?")[1] ?? "")).catch((err) => {
        if (!res.headersSent) send(res, 500, errorEnvelope(500, { message: String(err) }));
        else res.destroy();
      });
    });
  });

  async function handle(res: ServerResponse, rec: RecordedCall, state: { cut: boolean }, query: URLSearchParams) {
    const b = take(rec.method, rec.path);
    if (b.silent) return;
    if (b.delayMs) await sleep(b.delayMs);
    if (b.holdUntil) await b.holdUntil;
    if (res.destroyed) return;
    const headers = { ...(b.retryAfter !== undefined ? { "retry-after": String(b.retryAfter) } : {}), ...b.headers };
    const status = b.status ?? 200;
    if (b.body !== undefined) return send(res, status, b.body, headers);
    if (status >= 400) return send(res, status, errorEnvelope(status, b.error), headers);

    const body: any = rec.body;
    if (await batchApi.handle({ ...rec, query }, res)) return;
    if (rec.method === "GET" && rec.path === "/v1/models") {
      const data = ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"].map((id) => ({ id, object: "model", created: 1715367049, owned_by: "system" }));
      return send(res, 200, { object: "list", data }, headers);
    }
    if (rec.method === "GET" && rec.path.startsWith("/v1/models/")) {
      const id = decodeURIComponent(rec.path.slice("/v1/models/".length));
      return send(res, 200, { id, object: "model", created: 1715367049, owned_by: "system" }, headers);
    }
    if (rec.method === "POST" && (rec.path === "/v1/chat/completions" || rec.path === "/v1/embeddings")) {
      if (typeof body !== "object" || body === null) {
        return send(res, 400, errorEnvelope(400, { message: "We could not parse the JSON body of your request." }), headers);
      }
      if (rec.path === "/v1/embeddings") return send(res, 200, embeddings(body, b), headers);
      const model = b.model ?? String(body.model ?? "gpt-4o-mini");
      const text = b.text ?? (b.splitBytes ? NON_ASCII_TEXT : `Echo: ${lastUserText(body) ?? "hello"}`);
      const promptTokens = estimateTokens(JSON.stringify(body.messages ?? ""));
      const completionText = text + (b.toolCalls ? JSON.stringify(b.toolCalls) : "");
      const usage = makeUsage(promptTokens, estimateTokens(completionText), b.usage);
      if (body.stream === true) return stream(res, b, { body, model, text, usage }, headers, state);
      const toolText = b.toolCalls && b.text === undefined ? null : text;
      return send(res, 200, chatCompletion({ model, text: toolText, toolCalls: b.toolCalls, finishReason: b.finishReason, usage }, b.noUsage), headers);
    }
    if (rec.method === "POST" && rec.path === "/v1/responses") {
      if (typeof body !== "object" || body === null) return send(res, 400, errorEnvelope(400, { message: "We could not parse the JSON body of your request." }), headers);
      if (typeof body.model !== "string" || body.input === undefined) return send(res, 400, errorEnvelope(400, { message: "Missing required parameter: 'input'.", param: "input" }), headers);
      const text = b.text ?? (b.toolCalls ? undefined : "Hello from the fake");
      const calls = b.toolCalls ? toolCallsWire(b.toolCalls) : [];
      const u = makeUsage(estimateTokens(JSON.stringify(body.input)), estimateTokens((text ?? "") + JSON.stringify(calls)), b.usage);
      const r = responseObject(String(body.model), text, u, body, calls);
      if (body.stream !== true) return send(res, 200, r, headers);
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", ...headers });
      const events = responseEvents(r).map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
      if (b.cutAfterChunks === undefined) return void res.end(events.join(""));
      // A stream that breaks mid-way: the first events, then the socket destroyed.
      res.write(events.slice(0, b.cutAfterChunks).join(""), () => {
        state.cut = true;
        res.socket?.destroy();
        res.destroy();
      });
      return;
    }
    return send(res, 404, errorEnvelope(404, { message: `Invalid URL (${rec.method} ${rec.path})`, code: null }), headers);
  }

  /** What a batch line gets: the usual answer to its request (the default behaviour's). */
  function lineAnswer(url: string, body: any) {
    if (url === "/v1/embeddings") return embeddings(body, {});
    const text = `Echo: ${lastUserText(body) ?? "hello"}`;
    return chatCompletion({ model: String(body.model), text, usage: makeUsage(estimateTokens(JSON.stringify(body.messages ?? "")), estimateTokens(text)) });
  }
  const batchApi = fakeOpenAIBatches(lineAnswer, (res, status, body) => send(res, status, body));

  function embeddings(body: any, b: Behavior) {
    const input: unknown[] = typeof body.input === "string" || (Array.isArray(body.input) && typeof body.input[0] === "number") ? [body.input] : Array.isArray(body.input) ? body.input : [];
    const dims = b.dimensions ?? (typeof body.dimensions === "number" ? body.dimensions : 64);
    let tokens = 0;
    const data = input.map((item, index) => {
      tokens += Array.isArray(item) ? item.length : estimateTokens(String(item));
      const vec = b.vectors?.length ? b.vectors[index % b.vectors.length] : fakeEmbedding(item, dims);
      const embedding = body.encoding_format === "base64" ? Buffer.from(new Float32Array(vec).buffer).toString("base64") : vec;
      return { object: "embedding", index, embedding };
    });
    return { object: "list", data, model: String(body.model ?? "text-embedding-3-small"), usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  async function stream(res: ServerResponse, b: Behavior, r: { body: any; model: string; text: string; usage: Usage }, headers: Record<string, string>, state: { cut: boolean }) {
    const includeUsage = r.body.stream_options?.include_usage === true && !b.noUsage && !b.usageInLastContentChunk;
    const base = { id: newCompletionId(), created: Math.floor(Date.now() / 1000), model: r.model };
    // OpenAI puts "usage": null on every chunk when include_usage is set.
    const nullUsage: { usage?: Usage | null } = r.body.stream_options?.include_usage === true ? { usage: null } : {};
    const events: unknown[] = [];
    const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra = nullUsage) =>
      events.push(chatCompletionChunk({ ...base, choices: [{ delta, finish_reason: finish }], ...extra }));
    const tools = b.toolCalls?.length ? toolCallsWire(b.toolCalls) : undefined;
    if (tools) {
      chunk({ role: "assistant", content: b.text ?? null, refusal: null });
      tools.forEach((t, index) => {
        chunk({ tool_calls: [{ index, id: t.id, type: "function", function: { name: t.function.name, arguments: "" } }] });
        for (const part of splitText(t.function.arguments, b.chunks ?? 3)) {
          chunk({ tool_calls: [{ index, function: { arguments: part } }] });
        }
      });
    } else {
      chunk({ role: "assistant", content: "", refusal: null });
      for (const part of splitText(r.text, b.chunks ?? 5)) chunk({ content: part });
    }
    const finish = b.finishReason ?? (tools ? "tool_calls" : "stop");
    chunk({}, finish, b.usageInLastContentChunk && !b.noUsage ? { usage: r.usage } : nullUsage);
    if (includeUsage) events.push(chatCompletionChunk({ ...base, choices: [], usage: r.usage }));

    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": newRequestId(),
      "openai-processing-ms": "1",
      ...headers,
    });
    const lines = [...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), "data: [DONE]\n\n"];
    for (let i = 0; i < lines.length; i++) {
      if (res.destroyed) return;
      if (i > 0 && b.chunkDelayMs) await sleep(b.chunkDelayMs);
      await writeSplit(res, Buffer.from(lines[i], "utf8"), b.splitBytes);
      if (b.cutAfterChunks !== undefined && i + 1 >= b.cutAfterChunks) {
        state.cut = true;
        res.socket?.destroy();
        res.destroy();
        return;
      }
    }
    res.end();
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const length = Buffer.byteLength(text);
    res.writeHead(status, { "content-type": "application/json", "content-length": length, "x-request-id": newRequestId(), "openai-processing-ms": "1", ...headers });
    res.end(text);
  }

  const port = await listen(server, opts.port);

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    calls,
    received: (n) => when("call", n, () => true),
    closed: (n) => when("close", n, (c) => c.finishedAt !== undefined),
    enqueue: (b) => void queue.push(b),
    setDefault: (b) => void (fallback = b),
    batches: batchApi.control,
    reset: () => void ((calls.length = 0), (queue = []), (fallback = {}), batchApi.reset()),
    close() {
      closing = true;
      batchApi.reset();
      return closeServer(server);
    },
  };
}

/** A Response object (OpenAI's Responses API): one output message (when there is text), then one function_call item per tool call. */
function responseObject(model: string, text: string | undefined, u: Usage, req: any, calls: ReturnType<typeof toolCallsWire> = []) {
  const id = `resp_${Math.random().toString(36).slice(2, 14)}`;
  const details = (u.prompt_tokens_details ?? {}) as { cached_tokens?: number };
  const output: Array<Record<string, any>> = [];
  if (text !== undefined) output.push({ type: "message", id: `msg_${id.slice(5)}`, status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] });
  for (const c of calls) output.push({ type: "function_call", id: `fc_${c.id}`, call_id: c.id, name: c.function.name, arguments: c.function.arguments, status: "completed" });
  return {
    id,
    object: "response",
    created_at: 1741476542,
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: req.previous_response_id ?? null,
    store: req.store ?? true,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage: {
      input_tokens: u.prompt_tokens,
      input_tokens_details: { cached_tokens: details.cached_tokens ?? 0 },
      output_tokens: u.completion_tokens,
      output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
      total_tokens: u.prompt_tokens + u.completion_tokens,
    },
    user: null,
    metadata: {},
  };
}

const halves = (text: string) => [text.slice(0, Math.ceil(text.length / 2)), text.slice(Math.ceil(text.length / 2))].filter(Boolean);

/** The Responses API's stream events for a Response, as OpenAI sends them. */
function responseEvents(r: ReturnType<typeof responseObject>): Array<Record<string, unknown>> {
  const open = { ...r, status: "in_progress", output: [], usage: null };
  const events: Array<Record<string, unknown>> = [
    { type: "response.created", response: open },
    { type: "response.in_progress", response: open },
  ];
  r.output.forEach((item, output_index) => {
    if (item.type === "message") {
      const text = item.content[0].text as string;
      events.push(
        { type: "response.output_item.added", output_index, item: { ...item, status: "in_progress", content: [] } },
        { type: "response.content_part.added", item_id: item.id, output_index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } },
        ...halves(text).map((delta) => ({ type: "response.output_text.delta", item_id: item.id, output_index, content_index: 0, delta })),
        { type: "response.output_text.done", item_id: item.id, output_index, content_index: 0, text },
        { type: "response.content_part.done", item_id: item.id, output_index, content_index: 0, part: item.content[0] },
      );
    } else {
      events.push(
        { type: "response.output_item.added", output_index, item: { ...item, status: "in_progress", arguments: "" } },
        ...halves(item.arguments as string).map((delta) => ({ type: "response.function_call_arguments.delta", item_id: item.id, output_index, delta })),
        { type: "response.function_call_arguments.done", item_id: item.id, output_index, arguments: item.arguments },
      );
    }
    events.push({ type: "response.output_item.done", output_index, item });
  });
  events.push({ type: "response.completed", response: r });
  return events.map((e, i) => ({ ...e, sequence_number: i }));
}

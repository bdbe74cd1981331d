/**
 * OpenAI's Batch API as a NativeBatchApi: the lines are uploaded as a JSONL file
 * (`POST /files`, multipart, purpose "batch"), the batch created on it (`POST /batches`), read
 * (`GET /batches/{id}`), cancelled (`POST /batches/{id}/cancel`) and listed (`GET /batches`);
 * its results are the output and error files (`GET /files/{id}/content`), read line by line.
 * Paths are relative to the provider's base URL (".../v1"); each line's `url` is "/v1/...", as
 * OpenAI requires, and one batch addresses one endpoint.
 */
import { randomBytes } from "node:crypto";
import { GatewayError } from "../../core/errors.js";
import type { ChatRequest, EmbeddingsRequest } from "../../wire/openai.js";
import type { BatchEndpoint, BatchHttp, BatchLine, BatchListOptions, BatchSubmitOptions, NativeBatchApi, NativeBatchResult, NativeBatchState } from "../batch.js";
import type { CallOptions, WireAdapter } from "../types.js";
import { chatResponse, embeddingsResponse } from "./from-upstream.js";

const ENDPOINTS: ReadonlyArray<BatchEndpoint> = ["/v1/chat/completions", "/v1/embeddings"];

/** OpenAI's batch object, as far as it is read. */
interface OpenAIBatch {
  id: string;
  status: string;
  endpoint?: string;
  created_at?: number;
  completed_at?: number | null;
  failed_at?: number | null;
  expired_at?: number | null;
  cancelled_at?: number | null;
  output_file_id?: string | null;
  error_file_id?: string | null;
  request_counts?: { total?: number; completed?: number; failed?: number } | null;
  errors?: { data?: Array<{ code?: string; message?: string; line?: number | null }> } | null;
  metadata?: Record<string, string> | null;
}

const STATUS: Record<string, NativeBatchState["status"]> = {
  validating: "in_progress",
  in_progress: "in_progress",
  finalizing: "in_progress",
  completed: "ended",
  failed: "failed",
  expired: "expired",
  cancelling: "cancelling",
  cancelled: "cancelled",
};

/** The adapter with OpenAI's Batch API added (the `openai` provider type; other presets' servers have none). */
export function withOpenAIBatch(wire: WireAdapter): WireAdapter {
  return { ...wire, batch: (http) => openAIBatch(http, wire) };
}

export function openAIBatch(http: BatchHttp, wire: WireAdapter): NativeBatchApi {
  const batch = async (id: string, opts: CallOptions, action = "") =>
    toOpenAIBatch(await http.json({ method: action ? "POST" : "GET", path: `/batches/${encodeURIComponent(id)}${action}` }, opts), http.id);

  return {
    endpoints: ENDPOINTS,

    async submit(lines: BatchLine[], opts: BatchSubmitOptions): Promise<NativeBatchState> {
      const endpoint = oneEndpoint(lines);
      const jsonl = lines.map((l) => JSON.stringify({ custom_id: l.custom_id, method: "POST", url: l.url, body: lineBody(wire, l) })).join("\n") + "\n";
      const form = multipart({ purpose: "batch" }, { name: "file", filename: "batch.jsonl", contentType: "application/octet-stream", content: jsonl });
      const file = (await http.json({ method: "POST", path: "/files", raw: form }, opts)) as { id?: unknown };
      if (typeof file?.id !== "string") throw new GatewayError("upstream_error", `${http.id} answered the file upload without a file id`, { retryable: false });
      const body: Record<string, unknown> = { input_file_id: file.id, endpoint, completion_window: "24h" };
      if (opts.metadata && Object.keys(opts.metadata).length) body.metadata = opts.metadata;
      try {
        return stateOf(toOpenAIBatch(await http.json({ method: "POST", path: "/batches", json: body }, opts), http.id));
      } catch (e) {
        // No batch uses the file: it is deleted rather than left in the account's storage.
        await http.json({ method: "DELETE", path: `/files/${encodeURIComponent(file.id)}` }, opts).catch(() => undefined);
        throw e;
      }
    },

    retrieve: async (id, opts) => stateOf(await batch(id, opts)),
    cancel: async (id, opts) => stateOf(await batch(id, opts, "/cancel")),

    async list(opts: BatchListOptions): Promise<NativeBatchState[]> {
      const q = new URLSearchParams();
      if (opts.limit !== undefined) q.set("limit", String(opts.limit));
      if (opts.after) q.set("after", opts.after);
      const page = (await http.json({ method: "GET", path: `/batches${q.size ? `?${q.toString()}` : ""}` }, opts)) as { data?: unknown };
      if (!Array.isArray(page?.data)) throw new GatewayError("upstream_error", `${http.id} answered the batch list without data`, { retryable: false });
      return page.data.map((b) => stateOf(toOpenAIBatch(b, http.id)));
    },

    results(id: string, opts: CallOptions): AsyncIterable<NativeBatchResult> {
      return {
        async *[Symbol.asyncIterator]() {
          const b = await batch(id, opts);
          const state = stateOf(b);
          if (state.status === "in_progress" || state.status === "cancelling") {
            throw new GatewayError("invalid_request", `batch ${id} is ${b.status}: its results can be read once it has ended`, { param: "batch_id" });
          }
          for (const fileId of [b.output_file_id, b.error_file_id]) {
            if (!fileId) continue;
            for await (const line of http.lines({ method: "GET", path: `/files/${encodeURIComponent(fileId)}/content` }, opts)) yield resultOf(line, http.id);
          }
        },
      };
    },
  };
}

function oneEndpoint(lines: BatchLine[]): BatchEndpoint {
  if (lines.length === 0) throw new GatewayError("invalid_request", "a batch needs at least one request", { param: "input_file_id" });
  const endpoint = lines[0].url;
  if (!ENDPOINTS.includes(endpoint)) throw new GatewayError("invalid_request", `openai does not batch ${String(endpoint)}`, { param: "url" });
  const other = lines.find((l) => l.url !== endpoint);
  if (other) throw new GatewayError("invalid_request", `an openai batch addresses one endpoint: line ${other.custom_id} is for ${other.url}, the first for ${endpoint}`, { param: "url" });
  return endpoint;
}

/** The line's body as the adapter sends it (a chat request never streams in a batch). */
function lineBody(wire: WireAdapter, l: BatchLine): unknown {
  if (l.url === "/v1/embeddings") return wire.embeddingsRequest ? wire.embeddingsRequest(l.body as EmbeddingsRequest).body : l.body;
  return wire.chatRequest(l.body as ChatRequest, false).body;
}

function toOpenAIBatch(body: unknown, provider: string): OpenAIBatch {
  const b = body as OpenAIBatch;
  if (!b || typeof b !== "object" || typeof b.id !== "string" || typeof b.status !== "string") {
    throw new GatewayError("upstream_error", `${provider} answered with something that is not a batch`, { retryable: false });
  }
  return b;
}

export function stateOf(b: OpenAIBatch): NativeBatchState {
  const status = STATUS[b.status];
  if (!status) throw new GatewayError("upstream_error", `openai batch ${b.id} has an unknown status "${b.status}"`, { retryable: false });
  const c = b.request_counts ?? {};
  const s: NativeBatchState = { id: b.id, status, counts: { total: c.total ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0 } };
  const errors = b.errors?.data ?? [];
  if (errors.length) s.error = errors.map((e) => `${e.line != null ? `line ${e.line}: ` : ""}${e.message ?? e.code ?? "error"}`).join("; ");
  if (typeof b.created_at === "number") s.createdAt = b.created_at;
  const ended = b.completed_at ?? b.failed_at ?? b.expired_at ?? b.cancelled_at;
  if (typeof ended === "number") s.endedAt = ended;
  if (b.metadata && typeof b.metadata === "object") s.metadata = b.metadata;
  if (b.endpoint && (ENDPOINTS as readonly string[]).includes(b.endpoint)) s.endpoint = b.endpoint as BatchEndpoint;
  return s;
}

/** One line of an output or error file: `{id, custom_id, response: {status_code, body} | null, error: {code, message} | null}`. */
export function resultOf(line: string, provider: string): NativeBatchResult {
  let o: { custom_id?: unknown; response?: { status_code?: number; body?: unknown } | null; error?: { code?: string; message?: string } | null };
  try {
    o = JSON.parse(line) as typeof o;
  } catch {
    throw new GatewayError("upstream_error", `${provider} sent a results line that is not JSON`, { retryable: false });
  }
  if (!o || typeof o.custom_id !== "string") throw new GatewayError("upstream_error", `${provider} sent a results line without custom_id`, { retryable: false });
  const custom_id = o.custom_id;
  const r = o.response;
  if (r && typeof r.status_code === "number" && r.status_code < 300 && !o.error) {
    const body = r.body as { object?: unknown } | undefined;
    return { custom_id, ok: true, response: body?.object === "list" ? embeddingsResponse(body) : chatResponse(body) };
  }
  const e = (r?.body as { error?: { message?: string; type?: string; code?: string | null } } | undefined)?.error;
  const error: { message: string; type?: string; code?: string } = { message: o.error?.message ?? e?.message ?? `request failed with HTTP ${r?.status_code ?? "?"}` };
  if (e?.type) error.type = e.type;
  const code = o.error?.code ?? e?.code;
  if (code) error.code = code;
  return { custom_id, ok: false, status: typeof r?.status_code === "number" ? r.status_code : 0, error };
}

/** A multipart/form-data body of text fields and one file. */
function multipart(fields: Record<string, string>, file: { name: string; filename: string; contentType: string; content: string }): { body: string; contentType: string } {
  const boundary = `----switchboard-${randomBytes(12).toString("hex")}`;
  let body = "";
  for (const [k, v] of Object.entries(fields)) body += `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  body += `--${boundary}\r\ncontent-disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\ncontent-type: ${file.contentType}\r\n\r\n${file.content}\r\n--${boundary}--\r\n`;
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Anthropic's Message Batches as a NativeBatchApi: `POST /v1/messages/batches` with
 * `requests: [{custom_id, params}]` (each `params` the Messages request this adapter builds for
 * the canonical chat request), `GET /v1/messages/batches/{id}`, `POST .../{id}/cancel`,
 * `GET /v1/messages/batches` (newest first), and the results file at the batch's `results_url`
 * (JSONL; each result succeeded, errored, canceled or expired), translated back to canonical
 * completions with their usage.
 */
import { GatewayError, scrubSecrets } from "../../core/errors.js";
import type { ChatRequest } from "../../wire/openai.js";
import type { BatchHttp, BatchLine, BatchListOptions, BatchSubmitOptions, NativeBatchApi, NativeBatchResult, NativeBatchState } from "../batch.js";
import type { CallOptions } from "../types.js";
import { STATUS_OF_TYPE } from "./errors.js";
import { chatResponse } from "./from-upstream.js";
import { chatRequest, type AnthropicWireOptions } from "./to-upstream.js";

/** A message batch as Anthropic returns it, as far as it is read. */
interface MessageBatch {
  id: string;
  processing_status: string;
  request_counts?: { processing?: number; succeeded?: number; errored?: number; canceled?: number; expired?: number };
  created_at?: string;
  ended_at?: string | null;
  cancel_initiated_at?: string | null;
  results_url?: string | null;
}

/** Anthropic's rule for a request's custom_id. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export function anthropicBatch(http: BatchHttp, o: AnthropicWireOptions, secrets: readonly string[]): NativeBatchApi {
  const root = `${o.path}/batches`; // "/v1/messages/batches" (or "/messages/batches" under a base URL ending in /v1)
  const batch = async (id: string, opts: CallOptions, action = "") =>
    toMessageBatch(await http.json({ method: action ? "POST" : "GET", path: `${root}/${encodeURIComponent(id)}${action}` }, opts), http.id);

  return {
    endpoints: ["/v1/chat/completions"],

    async submit(lines: BatchLine[], opts: BatchSubmitOptions): Promise<NativeBatchState> {
      if (lines.length === 0) throw new GatewayError("invalid_request", "a batch needs at least one request", { param: "input_file_id" });
      if (opts.metadata && Object.keys(opts.metadata).length) opts.warn?.("metadata is not supported by anthropic message batches; not sent");
      const requests = lines.map((l) => {
        if (!CUSTOM_ID.test(l.custom_id)) {
          throw new GatewayError("invalid_request", `custom_id "${l.custom_id}" is not one anthropic takes: 1 to 64 letters, digits, "_" or "-"`, { param: "custom_id" });
        }
        if (l.url !== "/v1/chat/completions") throw new GatewayError("invalid_request", `anthropic batches chat completions only; line ${l.custom_id} is for ${l.url}`, { param: "url" });
        const up = chatRequest(l.body as ChatRequest, false, o);
        if (opts.warn) for (const w of up.warnings ?? []) opts.warn(`${l.custom_id}: ${w}`);
        return { custom_id: l.custom_id, params: up.body };
      });
      return stateOf(toMessageBatch(await http.json({ method: "POST", path: root, json: { requests } }, opts), http.id));
    },

    retrieve: async (id, opts) => stateOf(await batch(id, opts)),
    cancel: async (id, opts) => stateOf(await batch(id, opts, "/cancel")),

    async list(opts: BatchListOptions): Promise<NativeBatchState[]> {
      const q = new URLSearchParams();
      if (opts.limit !== undefined) q.set("limit", String(opts.limit));
      if (opts.after) q.set("after_id", opts.after);
      const page = (await http.json({ method: "GET", path: `${root}${q.size ? `?${q.toString()}` : ""}` }, opts)) as { data?: unknown };
      if (!Array.isArray(page?.data)) throw new GatewayError("upstream_error", `${http.id} answered the batch list without data`, { retryable: false });
      return page.data.map((b) => stateOf(toMessageBatch(b, http.id)));
    },

    results(id: string, opts: CallOptions): AsyncIterable<NativeBatchResult> {
      return {
        async *[Symbol.asyncIterator]() {
          const b = await batch(id, opts);
          if (b.processing_status !== "ended" || !b.results_url) {
            throw new GatewayError("invalid_request", `batch ${id} is ${b.processing_status}: its results can be read once it has ended`, { param: "batch_id" });
          }
          for await (const line of http.lines({ method: "GET", url: b.results_url }, opts)) yield resultOf(line, http.id, secrets);
        },
      };
    },
  };
}

function toMessageBatch(body: unknown, provider: string): MessageBatch {
  const b = body as MessageBatch;
  if (!b || typeof b !== "object" || typeof b.id !== "string" || typeof b.processing_status !== "string") {
    throw new GatewayError("upstream_error", `${provider} answered with something that is not a message batch`, { retryable: false });
  }
  return b;
}

const seconds = (t: string | null | undefined): number | undefined => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

export function stateOf(b: MessageBatch): NativeBatchState {
  const c = b.request_counts ?? {};
  const [processing, succeeded, errored, canceled, expired] = [c.processing, c.succeeded, c.errored, c.canceled, c.expired].map((n) => n ?? 0);
  let status: NativeBatchState["status"];
  if (b.processing_status === "in_progress") status = "in_progress";
  else if (b.processing_status === "canceling") status = "cancelling";
  else if (b.processing_status === "ended") status = b.cancel_initiated_at ? "cancelled" : expired > 0 ? "expired" : "ended";
  else throw new GatewayError("upstream_error", `anthropic batch ${b.id} has an unknown processing_status "${b.processing_status}"`, { retryable: false });
  const s: NativeBatchState = {
    id: b.id,
    status,
    counts: { total: processing + succeeded + errored + canceled + expired, completed: succeeded, failed: errored + canceled + expired },
    endpoint: "/v1/chat/completions",
  };
  const created = seconds(b.created_at);
  if (created !== undefined) s.createdAt = created;
  const ended = seconds(b.ended_at);
  if (ended !== undefined) s.endedAt = ended;
  return s;
}

/** One results line: `{custom_id, result: {type: "succeeded", message} | {type: "errored", error} | {type: "canceled"} | {type: "expired"}}`. */
export function resultOf(line: string, provider: string, secrets: readonly string[]): NativeBatchResult {
  let o: { custom_id?: unknown; result?: { type?: string; message?: unknown; error?: { type?: string; message?: string; error?: { type?: string; message?: string } } } };
  try {
    o = JSON.parse(line) as typeof o;
  } catch {
    throw new GatewayError("upstream_error", `${provider} sent a results line that is not JSON`, { retryable: false });
  }
  if (!o || typeof o.custom_id !== "string" || !o.result) throw new GatewayError("upstream_error", `${provider} sent a results line without custom_id or result`, { retryable: false });
  const custom_id = o.custom_id;
  const r = o.result;
  if (r.type === "succeeded") return { custom_id, ok: true, response: chatResponse(r.message) };
  if (r.type === "errored") {
    // The error response as the Messages API gives it: {type: "error", error: {type, message}}.
    const e = r.error?.error ?? r.error ?? {};
    const type = e.type ?? "api_error";
    return { custom_id, ok: false, status: STATUS_OF_TYPE[type] ?? 500, error: { message: scrubSecrets(e.message ?? "request failed", secrets), type } };
  }
  if (r.type === "canceled") return { custom_id, ok: false, status: 0, error: { message: "the batch was cancelled before this request ran", code: "batch_cancelled" } };
  if (r.type === "expired") return { custom_id, ok: false, status: 0, error: { message: "the batch expired before this request ran", code: "batch_expired" } };
  throw new GatewayError("upstream_error", `${provider} sent a result of unknown type "${String(r.type)}"`, { retryable: false });
}

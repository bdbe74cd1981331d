/**
 * A provider's own batch API (OpenAI's Batch API, Anthropic's Message Batches): requests given
 * as canonical (OpenAI-shaped) lines, run by the provider at its own pace, results read back as
 * canonical responses carrying usage. Implementations live in the provider folders
 * (openai/batch.ts, anthropic/batch.ts); a Provider that has one exposes it as `batch`.
 */
import type { ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from "../wire/openai.js";
import type { CallOptions } from "./types.js";

/** The endpoints a batch line may address. */
export type BatchEndpoint = "/v1/chat/completions" | "/v1/embeddings";

/** One request of a batch, canonical (OpenAI-shaped); `body.model` is the upstream model id. */
export interface BatchLine {
  custom_id: string;
  url: BatchEndpoint;
  body: ChatRequest | EmbeddingsRequest;
}

/** A provider-side batch's state. */
export interface NativeBatchState {
  /** The provider's batch id. */
  id: string;
  status: "in_progress" | "ended" | "cancelling" | "cancelled" | "failed" | "expired";
  counts: { total: number; completed: number; failed: number };
  error?: string;
  /** Unix seconds the provider created the batch, when it says. */
  createdAt?: number;
  /** Unix seconds the batch ended (completed, failed, expired or cancelled), when it says. */
  endedAt?: number;
  /** Metadata given at submission, as the provider returns it. */
  metadata?: Record<string, string>;
  /** The one endpoint every line of the batch addresses, when the provider says. */
  endpoint?: BatchEndpoint;
}

/**
 * One result of a finished batch: a canonical response (with usage) or the line's error.
 * `status` is the HTTP status the line was answered with, 0 when it never ran (the batch was
 * cancelled or expired first; `error.code` is then "batch_cancelled" or "batch_expired").
 */
export type NativeBatchResult =
  { custom_id: string; ok: true; response: ChatCompletion | EmbeddingsResponse } | { custom_id: string; ok: false; status: number; error: { message: string; type?: string; code?: string } };

/** Submission options: call options plus the batch's metadata. */
export type BatchSubmitOptions = CallOptions & { metadata?: Record<string, string> };

/** Listing options: `after` is the id of the last batch of the previous page. */
export type BatchListOptions = CallOptions & { limit?: number; after?: string };

/** A provider's own batch API (OpenAI Batch, Anthropic Message Batches). */
export interface NativeBatchApi {
  /** Which line urls the provider batches natively. */
  readonly endpoints: ReadonlyArray<BatchEndpoint>;
  submit(lines: BatchLine[], opts: BatchSubmitOptions): Promise<NativeBatchState>;
  retrieve(id: string, opts: CallOptions): Promise<NativeBatchState>;
  cancel(id: string, opts: CallOptions): Promise<NativeBatchState>;
  /**
   * The results, streamed (bounded memory, in the provider's order), once the batch has
   * finished: "ended", and also "cancelled" or "expired" (the lines that ran before are billed
   * and reported; the others come with status 0). Earlier, it throws an invalid_request error.
   */
  results(id: string, opts: CallOptions): AsyncIterable<NativeBatchResult>;
  /** Batches, newest first. */
  list?(opts: BatchListOptions): Promise<NativeBatchState[]>;
}

/** One HTTP call of a batch API, relative to the provider's base URL (`path`) or absolute (`url`). */
export interface BatchHttpRequest {
  method: "GET" | "POST" | "DELETE";
  path?: string;
  url?: string;
  headers?: Record<string, string>;
  /** A JSON value (serialised, content-type application/json) or a body already serialised. */
  json?: unknown;
  raw?: { body: string; contentType: string };
}

/**
 * What the shared HTTP layer (./http.ts) gives a provider's batch implementation: its transport,
 * timers, cancellation, credentials and error mapping, with bounded bodies.
 */
export interface BatchHttp {
  /** The provider's configured id (for messages). */
  readonly id: string;
  /** The origin of the provider's base URL: absolute URLs elsewhere are refused (credentials stay home). */
  readonly origin: string;
  /** Calls and parses a JSON answer (at most `upstream.max_response_bytes`); errors as GatewayErrors. */
  json(req: BatchHttpRequest, opts: CallOptions): Promise<unknown>;
  /**
   * Calls and hands out the answer's lines as they arrive (JSONL), blank lines skipped; a line
   * longer than `upstream.max_response_bytes` fails the read. Only a window of the body is held.
   */
  lines(req: BatchHttpRequest, opts: CallOptions): AsyncIterable<string>;
}

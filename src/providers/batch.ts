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
}

/** One result of an ended batch: a canonical response (with usage) or the line's error. */
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
  /** The results, streamed (bounded memory), once the state is "ended". */
  results(id: string, opts: CallOptions): AsyncIterable<NativeBatchResult>;
  /** Batches, newest first. */
  list?(opts: BatchListOptions): Promise<NativeBatchState[]>;
}

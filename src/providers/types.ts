/**
 * The provider layer. Requests, responses and stream chunks are OpenAI-shaped (the canonical
 * form); each provider translates to and from its own wire format. The HTTP call itself is
 * shared code (./http.ts); a provider folder only holds pure translation functions.
 */
import type { CancelSignal } from "../core/cancel.js";
import type { GatewayError } from "../core/errors.js";
import type { ChatChunk, ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from "../wire/openai.js";

export interface Capabilities {
  chat: boolean;
  stream: boolean;
  tools: boolean;
  vision: boolean;
  json: boolean;
  embeddings: boolean;
  reasoning: boolean;
}

export interface Timeouts {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

export interface CallOptions {
  /** Aborted when the client goes away or the request is otherwise cancelled (an AbortSignal works). */
  signal?: CancelSignal;
  timeouts: Timeouts;
  /** Extra headers for the upstream call (e.g. x-request-id). */
  headers?: Record<string, string>;
  /** Told about every parameter the provider cannot honour as given (never changed silently). */
  warn?: (message: string) => void;
}

/** A stream of canonical chunks. `usage` is filled by the time iteration ends, if the provider reported it. */
export interface ChunkStream extends AsyncIterable<ChatChunk> {
  /** Cancels the upstream call; safe to call more than once. */
  cancel(): void;
}

/** A configured, callable provider: what routing and the pipeline use. */
export interface Provider {
  readonly id: string;
  readonly type: string;
  readonly capabilities: Capabilities;
  chat(req: ChatRequest, opts: CallOptions): Promise<ChatCompletion>;
  /**
   * Starts a streamed chat. Resolves once the upstream accepted the request (status 2xx);
   * errors before that reject with a GatewayError, errors later are thrown by the iterator.
   */
  chatStream(req: ChatRequest, opts: CallOptions): Promise<ChunkStream>;
  embeddings?(req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse>;
  /**
   * The models the upstream server itself lists (OpenAI's `GET /models`). Present only on
   * providers whose `/v1/models` entries come from their server rather than the catalog (an
   * OpenAI-compatible server at its own base URL). `maxBytes` bounds the response body.
   */
  listModels?(opts: CallOptions, maxBytes: number): Promise<UpstreamModel[]>;
  close?(): Promise<void>;
}

/** One model as an upstream server lists it. */
export interface UpstreamModel {
  id: string;
  /** Unix seconds, when the server gives one. */
  created?: number;
  /** Longest context the server serves the model with, when it says (vLLM's `max_model_len`). */
  contextWindow?: number;
}

/**
 * An HTTP request to an upstream, built by a wire adapter. `path` is relative to the base URL
 * (it may carry a query string); `url`, when given, replaces base URL + path.
 */
export interface UpstreamRequest {
  path: string;
  url?: string;
  method?: "POST" | "GET";
  headers: Record<string, string>;
  body?: unknown;
  /** Parameters the provider cannot honour as given, e.g. "logit_bias is not supported by anthropic; ignored". */
  warnings?: string[];
}

/** What a wire-format adapter provides; `createHttpProvider` turns it into a Provider. */
export interface WireAdapter {
  /** Registry type name, e.g. "openai". */
  readonly type: string;
  chatRequest(req: ChatRequest, stream: boolean): UpstreamRequest;
  /**
   * The canonical completion of a response body. `text` is the body's JSON text: an adapter that
   * returns `body` itself, unchanged, records it in RAW_JSON so it is relayed without serialising.
   */
  chatResponse(body: unknown, text?: string): ChatCompletion;
  /** Turns one upstream SSE event into zero or more canonical chunks; "done" ends the stream. */
  streamEvent(event: { event?: string; data: string }, state: StreamState): ChatChunk[] | "done";
  embeddingsRequest?(req: EmbeddingsRequest): UpstreamRequest;
  embeddingsResponse?(body: unknown): EmbeddingsResponse;
  /** The request listing the server's models; with modelsResponse, gives the Provider `listModels`. */
  modelsRequest?(): UpstreamRequest;
  /** The models of a list response; throws a GatewayError when the body is not such a list. */
  modelsResponse?(body: unknown): UpstreamModel[];
  /** Maps an upstream error response to a GatewayError. */
  error(status: number, body: string, headers: Record<string, string | string[] | undefined>): GatewayError;
  /**
   * Last async step before a request is sent, on the final URL, headers and serialised body:
   * sign it (AWS SigV4) or attach a fresh OAuth token (Vertex AI). Mutates `req.headers`.
   */
  authorize?(req: SignableRequest): Promise<void>;
  /** How the stream body is framed: Server-Sent Events (default) or AWS's binary event stream. */
  streamFormat?: "sse" | "aws-eventstream";
}

export interface SignableRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Mutable per-stream state an adapter may use between events. */
export interface StreamState {
  /** Whether the client asked for the usage chunk (the adapter may have asked upstream regardless). */
  clientWantsUsage: boolean;
  /** Adapter-private scratch space. */
  data: Record<string, unknown>;
}

/**
 * The provider layer. Requests, responses and stream chunks are OpenAI-shaped (the canonical
 * form); each provider translates to and from its own wire format. The HTTP call itself is
 * shared code (./http.ts); a provider folder only holds pure translation functions.
 */
import type { CancelSignal } from "../core/cancel.js";
import type { BatchHttp, NativeBatchApi } from "./batch.js";
import type { GatewayError } from "../core/errors.js";
import type { ChatChunk, ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse, Usage } from "../wire/openai.js";

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
  /** The client APIs this provider speaks itself (native pass-through, ./native-http.ts). */
  native?: NativeCalls;
  /** The provider's own batch API (OpenAI Batch, Anthropic Message Batches), when it has one. */
  batch?: NativeBatchApi;
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
  /** The provider's own batch API over the shared HTTP layer; gives the Provider `batch`. */
  batch?(http: BatchHttp): NativeBatchApi;
  /** The client APIs this wire format carries without translation, one NativeWire each. */
  native?: Partial<Record<NativeApi, NativeWire>>;
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

/**
 * A client API a provider may speak itself, so a request in it can go upstream unchanged:
 * Anthropic's Messages API (`/v1/messages`), OpenAI's Responses API (`/v1/responses`).
 */
export type NativeApi = "messages" | "responses";

/** A client's request in a native API: its own body, as parsed (never changed by the provider). */
export interface NativeRequest {
  body: Record<string, unknown>;
  /** The deployment's upstream model: replaces the body's `model`. */
  model: string;
  stream: boolean;
  /** Anthropic's `anthropic-beta` flags the client sent (Messages only). */
  betas?: readonly string[];
}

/** One event of a native stream, to be relayed as it is: its name and its JSON text. */
export interface NativeEvent {
  event?: string;
  data: string;
}

/** Per-stream state of a native stream: its usage so far, and adapter-private scratch space. */
export interface NativeStreamState {
  usage?: Usage;
  data: Record<string, unknown>;
}

/** How one wire format carries one client API natively (see docs/architecture.md, "Native pass-through"). */
export interface NativeWire {
  /** Whether a model of this provider speaks the API (Bedrock: Anthropic models only). */
  accepts(model: string): boolean;
  /** The upstream call built from the client's own body. */
  request(req: NativeRequest): UpstreamRequest;
  /** The usage of a native answer's body (undefined when it reports none). */
  usage(body: unknown): Usage | undefined;
  /**
   * One upstream stream event → the event to relay (null: nothing to relay), with its usage folded
   * into `state.usage`. "done" ends the stream (the last event was relayed before it). An error
   * event throws its GatewayError.
   */
  streamEvent(event: { event?: string; data: string }, state: NativeStreamState): NativeEvent | null | "done";
  /** Whether a stream that ended after these events ended properly. */
  streamComplete(state: NativeStreamState): boolean;
  /** Maps an upstream error response; the adapter's `error` when absent. */
  error?(status: number, body: string, headers: Record<string, string | string[] | undefined>): GatewayError;
  /** How the stream body is framed; the adapter's `streamFormat` when absent. */
  streamFormat?: "sse" | "aws-eventstream";
}

/** A native answer: the upstream's body text (relayed byte for byte) and its usage. */
export interface NativeAnswer {
  text: string;
  body: unknown;
  usage?: Usage;
}

/** A native stream's events; `state.usage` is filled as they are read. */
export interface NativeStream extends AsyncIterable<NativeEvent> {
  readonly state: NativeStreamState;
  /** Cancels the upstream call; safe to call more than once. */
  cancel(): void;
}

/** `Provider.native`: the calls of the client APIs a provider speaks itself. */
export interface NativeCalls {
  speaks(api: NativeApi, model: string): boolean;
  call(api: NativeApi, req: NativeRequest, opts: CallOptions): Promise<NativeAnswer>;
  /** Resolves once the upstream accepted the request (2xx), like `chatStream`. */
  stream(api: NativeApi, req: NativeRequest, opts: CallOptions): Promise<NativeStream>;
}

/**
 * What the observability hooks read of a request and of an upstream attempt. The pipeline's own
 * `RequestContext` and `AttemptInfo` carry these fields (and more); naming only these keeps this
 * layer below the pipeline.
 */
import type { IncomingHttpHeaders } from "node:http";

/** Per-request state the hooks keep on the request (created by the first hook that needs it). */
export interface Observation {
  /** The gateway's own time in the request as its last recorded attempt says (the ledger's overhead_ms). */
  overheadMs?: number;
  /** The request's span, when traces are on, and what its attempts used. */
  span?: RequestSpan;
  inputTokens?: number;
  outputTokens?: number;
  responseModel?: string;
}

/** An opaque handle on a span of the tracing module (loaded only when traces are configured). */
export interface RequestSpan {
  readonly traceId: string;
}

/** An upstream attempt's span: its W3C `traceparent` goes upstream with the attempt. */
export interface AttemptTrace {
  readonly traceparent: string;
}

export interface ObservedRequest {
  readonly requestId: string;
  readonly endpoint: string;
  /** performance.now() when the request arrived. */
  readonly receivedAt: number;
  readonly externalMs: number;
  readonly headers: IncomingHttpHeaders;
  /** How the model was resolved: `requested` is the model the client asked for. */
  readonly routing?: Record<string, unknown>;
  /** Provider id and upstream model of the last attempt. */
  readonly provider?: string;
  readonly model?: string;
  readonly attempts: number;
  readonly costMicros: number;
  readonly responseHeaders: Record<string, string>;
  observation?: Observation;
}

export interface ObservedAttempt {
  readonly attempt: number;
  /** The deployment's identity (`provider:model`). */
  readonly key: string;
  readonly deployment: { readonly provider: string; readonly model: string };
  trace?: AttemptTrace;
}

export interface ObservedOutcome {
  readonly status: number;
  readonly error?: { readonly code: string; readonly message: string; readonly upstreamStatus?: number };
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number; readonly cachedTokens: number; readonly estimated: boolean };
  readonly streamed: boolean;
  /** Milliseconds from the request's arrival to the first byte of a stream. */
  readonly ttftMs?: number | null;
  /** The model the upstream's answer named, when known. */
  readonly responseModel?: string;
}

export interface ObservedError {
  readonly code: string;
  readonly message: string;
  readonly upstreamStatus?: number;
}

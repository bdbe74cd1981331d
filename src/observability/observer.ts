/**
 * The request path's one interface to observability: three hooks, called where an upstream
 * attempt starts, where an attempt is recorded in the usage ledger, and where a request has been
 * answered. The runtime holds no observer when metrics are off and traces are not configured,
 * so the hooks then cost one property check.
 */
import type { RequestMetrics } from "./request-metrics.js";
import type { ObservedAttempt, ObservedError, ObservedOutcome, ObservedRequest } from "./types.js";

export interface Observer {
  /** An upstream attempt is about to be sent; `retry` counts earlier tries of the same deployment. */
  attemptStart(ctx: ObservedRequest, info: ObservedAttempt, retry: number): void;
  /** An attempt was recorded in the ledger with this cost (micro-USD) and the gateway's own time (ms). */
  attemptEnd(ctx: ObservedRequest, info: ObservedAttempt, outcome: ObservedOutcome, costMicros: number, overheadMs: number): void;
  /** The request was answered with `status` (failed with `error`), its last byte written. */
  requestEnd(ctx: ObservedRequest, status: number, error: ObservedError | undefined): void;
}

/** The tracing module's side of the hooks (tracing.ts, loaded only when traces are configured). */
export interface TraceHooks extends Observer {
  /** Sends the spans ended so far. */
  flush(): Promise<void>;
  /** Sends what is left (bounded in time) and stops. */
  close(): Promise<void>;
}

/** An observer over the request series and/or the traces; undefined when neither is on. */
export function createObserver(metrics: RequestMetrics | undefined, traces: TraceHooks | undefined): Observer | undefined {
  if (!metrics && !traces) return undefined;
  return new CombinedObserver(metrics, traces);
}

class CombinedObserver implements Observer {
  constructor(
    private readonly m: RequestMetrics | undefined,
    private readonly t: TraceHooks | undefined,
  ) {}

  attemptStart(ctx: ObservedRequest, info: ObservedAttempt, retry: number): void {
    const m = this.m;
    if (m) {
      if (retry > 0) m.retries++;
      else if (info.attempt > 1) m.fallbacks++;
    }
    this.t?.attemptStart(ctx, info, retry);
  }

  attemptEnd(ctx: ObservedRequest, info: ObservedAttempt, outcome: ObservedOutcome, costMicros: number, overheadMs: number): void {
    const m = this.m;
    if (m) {
      const ttft = outcome.ttftMs;
      m.attempt(outcome.usage.promptTokens, outcome.usage.completionTokens, costMicros, ttft === undefined || ttft === null ? undefined : ttft / 1000);
      (ctx.observation ??= {}).overheadMs = overheadMs;
    }
    this.t?.attemptEnd(ctx, info, outcome, costMicros, overheadMs);
  }

  requestEnd(ctx: ObservedRequest, status: number, error: ObservedError | undefined): void {
    const m = this.m;
    if (m) {
      const now = performance.now();
      const total = now - ctx.receivedAt;
      const overhead = ctx.observation?.overheadMs ?? Math.max(0, total - ctx.externalMs);
      m.request(ctx.routing?.requested, ctx.provider, status, total / 1000, overhead / 1000, ctx.responseHeaders["x-switchboard-cache"]);
      if (error && error.code === "rate_limit_exceeded" && error.upstreamStatus === undefined) m.rateLimited++;
    }
    this.t?.requestEnd(ctx, status, error);
  }
}

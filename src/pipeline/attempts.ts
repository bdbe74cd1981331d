/**
 * Calling upstream along the request's route (route.ts): each deployment in order, each retried
 * `routing.retries` times for retryable errors (honouring Retry-After), then the next one. A
 * deployment whose circuit is open is skipped; a half-open one lets exactly one request through
 * as its probe, which is not retried there. A content-filter refusal moves on to the next
 * deployment when `routing.content_policy_fallback` is on. Every attempt is reported to the
 * deployment's health (health.ts); a successful attempt's report waits for `endAttempt`, so a
 * stream counts as in flight until it ends. Retry logic reads `GatewayError.retryable`.
 */
import type { TimeoutsConfig } from "../config/types.js";
import type { CancelSignal } from "../core/cancel.js";
import { GatewayError, toGatewayError } from "../core/errors.js";
import { warnIfUnpriced } from "../pricing/unpriced.js";
import type { Provider, Timeouts } from "../providers/types.js";
import type { Deployment } from "../routing/resolve.js";
import type { RequestContext, Runtime } from "./context.js";
import type { RouteStep } from "./route.js";
import type { AttemptTrace } from "../observability/types.js";

export interface AttemptInfo {
  attempt: number;
  provider: Provider;
  deployment: Deployment;
  timeouts: Timeouts;
  startedAt: number;
  /** The deployment's identity in health and routing. */
  key: string;
  /** This attempt is the probe of a half-open circuit. */
  probe: boolean;
  /** Tokens counted for it against the deployment's own rpm/tpm (trued up when it ends). */
  routedTokens: number;
  /** Reported to the deployment's health already. */
  ended?: boolean;
  /** The attempt's span when traces are on: its `traceparent` goes upstream. */
  trace?: AttemptTrace;
}

export interface AttemptOutcome<T> {
  value: T;
  info: AttemptInfo;
}

/** Longest Retry-After the gateway waits itself; longer ones move on to the next deployment. */
const MAX_RETRY_WAIT_MS = 10_000;

export async function withAttempts<T>(
  rt: Runtime,
  ctx: RequestContext,
  steps: readonly RouteStep[],
  run: (info: AttemptInfo) => Promise<T>,
  onFailure: (info: AttemptInfo, error: GatewayError) => void | Promise<void>,
  routedTokens = 0,
): Promise<AttemptOutcome<T>> {
  let last: GatewayError | undefined;
  let lastKey: string | undefined;
  const skipped: Array<{ deployment: string; reason: string }> = [];
  for (const step of steps) {
    const { deployment } = step;
    const provider = rt.providers.get(deployment.provider);
    if (!provider) continue;
    warnIfUnpriced(rt.pricing, deployment, ctx.warnings);
    const timeouts = timeoutsFor(rt, ctx, deployment.provider);
    for (let retry = 0; retry <= rt.config.routing.retries; retry++) {
      const gate = rt.health.acquire(step.key);
      if (!gate.allowed) {
        if (retry === 0) skipped.push({ deployment: step.key, reason: "circuit open" });
        break;
      }
      rt.router.count(step.key, routedTokens);
      const info: AttemptInfo = { attempt: ++ctx.attempts, provider, deployment, timeouts, startedAt: performance.now(), key: step.key, probe: gate.probe, routedTokens };
      ctx.provider = deployment.provider;
      ctx.model = deployment.model;
      rt.observe?.attemptStart(ctx, info, retry);
      try {
        const value = await run(info);
        ctx.reached = true;
        noteRoute(ctx, step, steps, skipped, last, lastKey);
        return { value, info };
      } catch (e) {
        const err = toGatewayError(e);
        if (err.unsent !== true) ctx.reached = true;
        ctx.externalMs += performance.now() - info.startedAt;
        concludeAttempt(rt, ctx, info, err);
        const noted = onFailure(info, err);
        if (noted) await noted; // with Redis, growing the reservation is a round trip (and may refuse)
        last = err;
        lastKey = step.key;
        if (err.code === "client_disconnected") throw err;
        if (err.contentFilter && rt.config.routing.contentPolicyFallback) break;
        if (err.code === "invalid_request") throw err;
        if (!err.retryable || info.probe) break;
        if (retry < rt.config.routing.retries) {
          const waitMs = backoffMs(err, retry);
          if (waitMs > MAX_RETRY_WAIT_MS) break;
          await sleep(waitMs, ctx.signal);
          ctx.externalMs += waitMs;
        }
      }
    }
  }
  if (skipped.length && ctx.routing) ctx.routing.skipped = skipped;
  throw finalError(last, skipped.length);
}

/**
 * Reports an attempt's end to its deployment's health (once): `ok` false counts toward opening
 * its circuit. `ttftMs`: when its first byte came (a stream), else the whole answer's time.
 */
export function endAttempt(rt: Runtime, info: AttemptInfo, ok: boolean, ttftMs?: number): void {
  if (info.ended) return;
  info.ended = true;
  const totalMs = performance.now() - info.startedAt;
  rt.health.end(info.key, info.probe, { ok, ttftMs: ttftMs ?? totalMs, totalMs });
}

/**
 * Reports how an attempt ended: answered (no error), failed for a reason that counts against
 * its deployment, or ended by the client (a probe so ended is released without a verdict).
 */
export function concludeAttempt(rt: Runtime, ctx: RequestContext, info: AttemptInfo, err: GatewayError | undefined, ttftMs?: number): void {
  if (!err) return endAttempt(rt, info, true, ttftMs);
  if (info.probe && saysNothing(rt, ctx, info, err)) return releaseAttempt(rt, info);
  endAttempt(rt, info, !countsAgainst(rt, ctx, info, err), ttftMs);
}

/** Ends an attempt without a verdict on its deployment (see DeploymentHealth.release), once. */
function releaseAttempt(rt: Runtime, info: AttemptInfo): void {
  if (info.ended) return;
  info.ended = true;
  rt.health.release(info.key, info.probe);
}

/**
 * Failures that say something about the deployment, not about the client: not its own bad
 * request, not its leaving, and not a timeout it chose itself (`x-switchboard-timeout-ms` lower
 * than the operator's), which would otherwise let one client open a circuit for everyone. Nor a
 * model the provider does not know (404): the name is wrong, not the deployment down, and a
 * client could otherwise open circuits on names of its own choosing, which are never forgotten
 * and which active health checks would probe upstream, all of them, at every interval.
 */
function countsAgainst(rt: Runtime, ctx: RequestContext, info: AttemptInfo, err: GatewayError): boolean {
  if (err.contentFilter) return false;
  if (err.code === "upstream_timeout" && clientTimedOut(rt, ctx, info)) return false;
  return err.code !== "invalid_request" && err.code !== "client_disconnected" && err.code !== "context_length_exceeded" && err.code !== "model_not_found";
}

/**
 * Outcomes that tell nothing about whether the deployment works: the client left, or its own
 * timeout ran out first. A probe ending so must neither close the circuit nor open it again.
 */
function saysNothing(rt: Runtime, ctx: RequestContext, info: AttemptInfo, err: GatewayError): boolean {
  return err.code === "client_disconnected" || (err.code === "upstream_timeout" && clientTimedOut(rt, ctx, info));
}

/**
 * Whether the timeout that ended the attempt was the client's own: its total was lower than the
 * operator's and the attempt lasted that long. A header above the operator's total (which has
 * no effect), or the operator's first-token or idle timeout firing earlier, is the deployment's.
 */
function clientTimedOut(rt: Runtime, ctx: RequestContext, info: AttemptInfo): boolean {
  const own = ctx.totalTimeoutMs;
  if (own === undefined || own >= operatorTimeouts(rt, info.deployment.provider).totalMs) return false;
  // Timers never fire early; the millisecond allows for the two clocks' rounding.
  return performance.now() - info.startedAt >= own - 1;
}

/** The receipt's account of how the answering deployment was reached. */
function noteRoute(
  ctx: RequestContext,
  step: RouteStep,
  steps: readonly RouteStep[],
  skipped: Array<{ deployment: string; reason: string }>,
  last: GatewayError | undefined,
  lastKey: string | undefined,
): void {
  if (!ctx.routing) return;
  if (skipped.length) ctx.routing.skipped = skipped;
  const index = steps.indexOf(step);
  const answered: Record<string, unknown> = { deployment: step.key, via: step.via };
  if (index > 0) {
    answered.fallback = true;
    answered.reason = last && lastKey ? `after ${last.code}${last.contentFilter ? " (content filter)" : ""} from ${lastKey}` : "the deployments before it had their circuits open";
  }
  ctx.routing.answered_by = answered;
}

function backoffMs(err: GatewayError, retry: number): number {
  if (err.retryAfterSeconds !== undefined) return err.retryAfterSeconds * 1000;
  return Math.min(2000, 50 * 2 ** retry) * (0.5 + Math.random() / 2);
}

/** Once everything failed: 429 stays 429; timeouts are 504; other upstream failures 502; nothing tried because every circuit was open is 503. */
function finalError(last: GatewayError | undefined, skipped: number): GatewayError {
  if (last) return last;
  if (skipped > 0)
    return new GatewayError("no_healthy_deployment", `every deployment this request may use has its circuit open (${skipped} skipped): try again after the cooldown`, { retryAfterSeconds: 1 });
  return new GatewayError("no_healthy_deployment", "no deployment is available for this model");
}

/**
 * The upstream timeouts of one attempt: `routing.timeouts`, overridden by the provider's own
 * `timeout_ms` / `timeouts`; a request's `x-switchboard-timeout-ms` can only lower the total
 * below that (a caller cannot hold upstream calls open longer than the operator allows).
 */
export function timeoutsFor(rt: Runtime, ctx: RequestContext, providerId: string): Timeouts {
  const t = operatorTimeouts(rt, providerId);
  if (ctx.totalTimeoutMs !== undefined && ctx.totalTimeoutMs < t.totalMs) t.totalMs = ctx.totalTimeoutMs;
  return t;
}

/** The timeouts the operator configured for a provider: `routing.timeouts` with the provider's own over them. */
function operatorTimeouts(rt: Runtime, providerId: string): Timeouts {
  const base: TimeoutsConfig = rt.config.routing.timeouts;
  const p = rt.config.providers[providerId];
  return { ...base, ...(p?.timeoutMs ? { totalMs: p.timeoutMs } : {}), ...(p?.timeouts ?? {}) };
}

export const TIMEOUT_HEADER = "x-switchboard-timeout-ms";

/**
 * The request's `x-switchboard-timeout-ms`: undefined when absent, else a positive whole number
 * of milliseconds written in decimal digits (no sign, exponent, fraction or spaces); anything
 * else is refused with 400. Values above the configured total are accepted and have no effect.
 */
export function requestedTotalTimeout(headers: RequestContext["headers"]): number | undefined {
  const v = headers[TIMEOUT_HEADER];
  if (v === undefined) return undefined;
  const ms = typeof v === "string" && /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new GatewayError("invalid_request", `${TIMEOUT_HEADER} must be a positive whole number of milliseconds, got '${String(v).slice(0, 64)}'`, { param: TIMEOUT_HEADER });
  }
  return ms;
}

function sleep(ms: number, signal: CancelSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new GatewayError("client_disconnected", "client closed the request"));
    const onAbort = () => {
      clearTimeout(t);
      reject(new GatewayError("client_disconnected", "client closed the request"));
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

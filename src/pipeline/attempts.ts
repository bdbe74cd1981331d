/**
 * Calling upstream with retries: each deployment in the order listed, each retried
 * `routing.retries` times for retryable errors (honouring Retry-After). A group's `fallbacks`
 * are not tried yet (docs/configuration.md, "Not in effect yet"). Retry logic reads
 * `GatewayError.retryable` and nothing else.
 */
import type { TimeoutsConfig } from "../config/types.js";
import type { CancelSignal } from "../core/cancel.js";
import { GatewayError, toGatewayError } from "../core/errors.js";
import { warnIfUnpriced } from "../pricing/unpriced.js";
import type { Provider, Timeouts } from "../providers/types.js";
import type { Deployment } from "../routing/resolve.js";
import type { RequestContext, Runtime } from "./context.js";

export interface AttemptInfo {
  attempt: number;
  provider: Provider;
  deployment: Deployment;
  timeouts: Timeouts;
  startedAt: number;
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
  deployments: Deployment[],
  run: (info: AttemptInfo) => Promise<T>,
  onFailure: (info: AttemptInfo, error: GatewayError) => void | Promise<void>,
): Promise<AttemptOutcome<T>> {
  let last: GatewayError | undefined;
  for (const deployment of deployments) {
    const provider = rt.providers.get(deployment.provider);
    if (!provider) continue;
    warnIfUnpriced(rt.pricing, deployment, ctx.warnings);
    const timeouts = timeoutsFor(rt, ctx, deployment.provider);
    for (let retry = 0; retry <= rt.config.routing.retries; retry++) {
      const info: AttemptInfo = { attempt: ++ctx.attempts, provider, deployment, timeouts, startedAt: performance.now() };
      ctx.provider = deployment.provider;
      ctx.model = deployment.model;
      try {
        const value = await run(info);
        ctx.reached = true;
        return { value, info };
      } catch (e) {
        const err = toGatewayError(e);
        if (err.unsent !== true) ctx.reached = true;
        ctx.externalMs += performance.now() - info.startedAt;
        const noted = onFailure(info, err);
        if (noted) await noted; // with Redis, growing the reservation is a round trip (and may refuse)
        last = err;
        if (err.code === "client_disconnected" || err.code === "invalid_request") throw err;
        if (!err.retryable) break;
        if (retry < rt.config.routing.retries) {
          const waitMs = backoffMs(err, retry);
          if (waitMs > MAX_RETRY_WAIT_MS) break;
          await sleep(waitMs, ctx.signal);
          ctx.externalMs += waitMs;
        }
      }
    }
  }
  throw finalError(last);
}

function backoffMs(err: GatewayError, retry: number): number {
  if (err.retryAfterSeconds !== undefined) return err.retryAfterSeconds * 1000;
  return Math.min(2000, 50 * 2 ** retry) * (0.5 + Math.random() / 2);
}

/** Once everything failed: 429 stays 429; timeouts are 504; other upstream failures 502. */
function finalError(last: GatewayError | undefined): GatewayError {
  if (!last) return new GatewayError("no_healthy_deployment", "no deployment is available for this model");
  return last;
}

/**
 * The upstream timeouts of one attempt: `routing.timeouts`, overridden by the provider's own
 * `timeout_ms` / `timeouts`; a request's `x-switchboard-timeout-ms` can only lower the total
 * below that (a caller cannot hold upstream calls open longer than the operator allows).
 */
export function timeoutsFor(rt: Runtime, ctx: RequestContext, providerId: string): Timeouts {
  const base: TimeoutsConfig = rt.config.routing.timeouts;
  const p = rt.config.providers[providerId];
  const t: Timeouts = { ...base, ...(p?.timeoutMs ? { totalMs: p.timeoutMs } : {}), ...(p?.timeouts ?? {}) };
  if (ctx.totalTimeoutMs !== undefined && ctx.totalTimeoutMs < t.totalMs) t.totalMs = ctx.totalTimeoutMs;
  return t;
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

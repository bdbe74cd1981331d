/**
 * Active health checks (`routing.health_checks`): every `interval_ms`, each configured deployment
 * whose circuit is open and whose cooldown is over gets one probe, a one-token chat request (to the
 * configured `model` instead of its own when set), so a deployment that recovered closes its
 * circuit without waiting for a user's request to take the risk. A probe is an attempt like any
 * other for the circuit, and what it costs is written to the usage ledger (no key, requested
 * model `health-check`), so no upstream spend goes unrecorded.
 */
import { Cancellation } from "../core/cancel.js";
import { newRequestId } from "../core/ids.js";
import { toGatewayError } from "../core/errors.js";
import { splitModelName } from "../routing/resolve.js";
import { configuredDeployments } from "./route.js";
import { fromReported, NO_USAGE, recordAttempt } from "./account.js";
import { endAttempt, timeoutsFor, type AttemptInfo } from "./attempts.js";
import type { RequestContext, Runtime } from "./context.js";

export const HEALTH_CHECK_MODEL = "health-check";

/** Starts the checks; returns how to stop them. Does nothing without `routing.health_checks`. */
export function startHealthChecks(rt: Runtime): () => void {
  const settings = rt.config.routing.healthChecks;
  if (!settings) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return; // a slow probe round is not overlapped by the next
    running = true;
    void probeAll(rt, settings.model).finally(() => (running = false));
  }, settings.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * One round: a probe for each unhealthy deployment the configuration names (an alias's, or a
 * candidate of `auto`) whose circuit lets one through now. A `provider:model` a client named
 * itself is not probed: it recovers on the traffic that reaches it, and clients cannot make
 * the gateway call upstream on names of their choosing.
 */
export async function probeAll(rt: Runtime, model?: string): Promise<void> {
  const configured = configuredDeployments(rt);
  await Promise.all(
    rt.health
      .unhealthy()
      .filter((key) => configured.has(key))
      .map((key) => probe(rt, key, model)),
  );
}

async function probe(rt: Runtime, key: string, probeModel: string | undefined): Promise<void> {
  const split = splitModelName(key);
  const provider = split ? rt.providers.get(split.provider) : undefined;
  if (!split || !provider) return;
  const gate = rt.health.acquire(key);
  if (!gate.allowed) return;
  const ctx = probeContext();
  const deployment = { provider: split.provider, model: probeModel ?? split.model, weight: 1, rpm: null, tpm: null };
  const info: AttemptInfo = { attempt: 1, provider, deployment, timeouts: timeoutsFor(rt, ctx, split.provider), startedAt: performance.now(), key, probe: gate.probe, routedTokens: 0 };
  try {
    const answer = await provider.chat(
      { model: deployment.model, messages: [{ role: "user", content: "ping" }], max_tokens: 1 },
      { signal: ctx.signal, timeouts: info.timeouts, headers: { "x-request-id": ctx.requestId } },
    );
    endAttempt(rt, info, true);
    recordAttempt(rt, ctx, info, HEALTH_CHECK_MODEL, { status: 200, usage: answer.usage ? fromReported(answer.usage) : NO_USAGE, streamed: false });
  } catch (e) {
    const err = toGatewayError(e);
    endAttempt(rt, info, false);
    recordAttempt(rt, ctx, info, HEALTH_CHECK_MODEL, { status: err.status, error: err, usage: NO_USAGE, streamed: false });
  }
}

function probeContext(): RequestContext {
  const requestId = newRequestId();
  return {
    requestId,
    clientRequestId: null,
    endpoint: "chat",
    receivedAt: performance.now(),
    headers: {},
    signal: new Cancellation(),
    attempts: 1,
    externalMs: 0,
    responseHeaders: {},
    warnings: [],
    costMicros: 0,
    tokens: 0,
    attemptErrors: [],
    routing: { requested: HEALTH_CHECK_MODEL, strategy: "health-check" },
  };
}

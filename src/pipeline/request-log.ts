/**
 * What a request leaves in the logs once it has been answered: one access line (level info),
 * and for a request refused before any upstream call (401, 402, 403, 429) a ledger row with
 * attempt 0, no tokens and no cost, so `/v1/logs` shows who was refused and why. Refusals are
 * sampled (usage/refusals.ts): a flood stays cheap and bounded.
 */
import type { GatewayError } from "../core/errors.js";
import { microsToUsd } from "../catalog/prices.js";
import { REFUSAL_STATUSES } from "../usage/refusals.js";
import { ZERO_COST, type UsageRecord } from "../usage/types.js";
import { overheadMs, type RequestContext, type Runtime } from "./context.js";

/** Longest model name and error message a refusal row keeps (the model comes from the client). */
const MAX_REFUSAL_TEXT = 256;

/**
 * Called once the answer is written (or the request failed): `status` is what the client was
 * answered (for a stream, 200, unless its last attempt was cut), `error` what failed it.
 */
export function requestEnded(rt: Runtime, ctx: RequestContext, status: number, error: GatewayError | undefined, raw: Record<string, unknown> | undefined): void {
  rt.observe?.requestEnd(ctx, status, error);
  if (ctx.requestedModel === undefined && typeof raw?.model === "string") ctx.requestedModel = raw.model.slice(0, MAX_REFUSAL_TEXT);
  if (error && ctx.attempts === 0 && REFUSAL_STATUSES.has(status)) {
    // Neither the row nor the line for refusals past the per-second bound: they are counted.
    if (!rt.refusals.admit(error.code)) return;
    recordRefusal(rt, ctx, status, error, raw);
  }
  if (rt.log.isLevelEnabled("info")) accessLine(rt, ctx, status, error);
}

function accessLine(rt: Runtime, ctx: RequestContext, status: number, error: GatewayError | undefined): void {
  const now = performance.now();
  const p = ctx.principal;
  rt.log.info(
    {
      request_id: ctx.requestId,
      client_request_id: ctx.clientRequestId ?? undefined,
      endpoint: ctx.endpoint,
      key_id: p?.keyId ?? null,
      user_id: p?.userId ?? null,
      team_id: p?.teamId ?? null,
      model: ctx.requestedModel ?? null,
      provider: ctx.provider ?? null,
      upstream_model: ctx.model ?? null,
      status,
      error_code: error?.code ?? ctx.lastErrorCode ?? null,
      attempts: ctx.attempts,
      prompt_tokens: ctx.promptTokens ?? 0,
      completion_tokens: ctx.completionTokens ?? 0,
      cost_usd: microsToUsd(ctx.costMicros),
      total_ms: round(now - ctx.receivedAt),
      overhead_ms: round(overheadMs(ctx, now)),
      ttft_ms: ctx.ttftMs ?? null,
      tags: ctx.tags,
    },
    "request",
  );
}

function recordRefusal(rt: Runtime, ctx: RequestContext, status: number, error: GatewayError, raw: Record<string, unknown> | undefined): void {
  const now = performance.now();
  const total = round(now - ctx.receivedAt);
  const row: UsageRecord = {
    requestId: ctx.requestId,
    clientRequestId: ctx.clientRequestId,
    attempt: 0,
    createdAt: new Date(),
    requestedModel: ctx.requestedModel ?? "",
    provider: "",
    model: "",
    endpoint: ctx.endpoint,
    status,
    errorCode: error.code,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    usageEstimated: false,
    streamed: raw?.stream === true,
    ttftMs: null,
    totalMs: total,
    overheadMs: total,
    keyId: ctx.principal?.keyId ?? null,
    userId: ctx.principal?.userId ?? null,
    teamId: ctx.principal?.teamId ?? null,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    cost: ZERO_COST,
    priceVersion: null,
    receipt: { refused: { error_message: error.message.slice(0, MAX_REFUSAL_TEXT) } },
  };
  if (ctx.tags) row.tags = ctx.tags;
  if (ctx.metadata) row.metadata = ctx.metadata;
  rt.usage.record(row);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Turning attempts into usage-ledger rows: tokens (estimated only when the provider reported
 * none), cost in integer micro-USD with the price version used, and the request's receipt.
 */
import type { GatewayError } from "../core/errors.js";
import { countTokens } from "../core/tokens.js";
import { estimateChatPromptTokens } from "./budget.js";
import { costOf } from "../catalog/prices.js";
import { ZERO_COST, type CostBreakdown, type UsageRecord } from "../usage/types.js";
import type { ChatRequest, Usage } from "../wire/openai.js";
import type { AttemptInfo } from "./attempts.js";
import { overheadMs, type RequestContext, type Runtime } from "./context.js";

export interface AttemptUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  estimated: boolean;
}

export const NO_USAGE: AttemptUsage = Object.freeze({ promptTokens: 0, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: false });

export function fromReported(u: Usage): AttemptUsage {
  const details = (u.prompt_tokens_details ?? {}) as { cached_tokens?: number; cache_creation_tokens?: number };
  return {
    promptTokens: u.prompt_tokens ?? 0,
    completionTokens: u.completion_tokens ?? 0,
    cachedTokens: details.cached_tokens ?? 0,
    cacheWriteTokens: details.cache_creation_tokens ?? 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
    estimated: false,
  };
}

/**
 * Estimate for a chat exchange whose provider reported no usage: the prompt as the budget
 * reservation counts it (images, audio, definitions included), the completion by the tokenizer.
 */
export async function estimateChatUsage(rt: Runtime, info: AttemptInfo, req: ChatRequest, completionText: string): Promise<AttemptUsage> {
  return {
    ...NO_USAGE,
    promptTokens: await estimateChatPromptTokens(rt, info.deployment, req),
    completionTokens: await countTokens(completionText),
    estimated: true,
  };
}

/**
 * Whether a failed attempt was cut by the gateway after it was sent (a timeout, or the client
 * going away): the upstream received the prompt and bills it, although no usage came back. Such
 * an attempt counts its prompt at the bound its reservation used; other failures (errors the upstream answered, a
 * connection never made) count nothing.
 */
export function cutInFlight(err: GatewayError): boolean {
  return (err.code === "upstream_timeout" || err.code === "client_disconnected") && err.unsent !== true;
}

/** The cost of an attempt's usage at the price that applies to its deployment. */
export function attemptCost(rt: Runtime, info: AttemptInfo, usage: AttemptUsage): { cost: CostBreakdown; priceVersion: string | null } {
  const resolved = rt.pricing.lookup(info.deployment.provider, info.deployment.model);
  if (!resolved) return { cost: ZERO_COST, priceVersion: null };
  const c = costOf(resolved.price, usage);
  return {
    cost: { inputMicros: c.inputMicros, cachedMicros: c.cachedInputMicros, cacheWriteMicros: c.cacheWriteMicros, outputMicros: c.outputMicros + c.reasoningMicros, totalMicros: c.totalMicros },
    priceVersion: resolved.version,
  };
}

export interface AttemptRecord {
  status: number;
  error?: GatewayError;
  usage: AttemptUsage;
  streamed: boolean;
  ttftMs?: number | null;
  /** The model the upstream's answer named (metrics and traces). */
  responseModel?: string;
  overheadMs?: number;
}

/** Records one attempt in the ledger, with the receipt up to this attempt; returns its cost. */
export function recordAttempt(rt: Runtime, ctx: RequestContext, info: AttemptInfo, requestedModel: string, outcome: AttemptRecord): CostBreakdown {
  const now = performance.now();
  const { cost, priceVersion } = attemptCost(rt, info, outcome.usage);
  ctx.costMicros += cost.totalMicros;
  const tokens = outcome.usage.promptTokens + outcome.usage.completionTokens;
  ctx.tokens += tokens;
  ctx.promptTokens = (ctx.promptTokens ?? 0) + outcome.usage.promptTokens;
  ctx.completionTokens = (ctx.completionTokens ?? 0) + outcome.usage.completionTokens;
  ctx.requestedModel = requestedModel;
  ctx.lastStatus = outcome.status;
  ctx.lastErrorCode = outcome.error?.code ?? null;
  ctx.ttftMs = outcome.ttftMs ?? null;
  // The deployment's own tpm counts what the attempt used, not the estimate it was routed with.
  if (tokens !== info.routedTokens) rt.router.trueUp(info.key, tokens - info.routedTokens);
  if (outcome.error) ctx.attemptErrors.push({ attempt: info.attempt, error_message: outcome.error.message });
  const u = outcome.usage;
  const total = round(now - ctx.receivedAt);
  const overhead = round(outcome.overheadMs ?? overheadMs(ctx, now));
  rt.observe?.attemptEnd(ctx, info, outcome, cost.totalMicros, overhead);
  const row: UsageRecord = {
    requestId: ctx.requestId,
    clientRequestId: ctx.clientRequestId,
    attempt: info.attempt,
    createdAt: new Date(),
    requestedModel,
    provider: info.deployment.provider,
    model: info.deployment.model,
    endpoint: ctx.endpoint,
    status: outcome.status,
    errorCode: outcome.error?.code ?? null,
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    totalTokens: u.promptTokens + u.completionTokens,
    usageEstimated: u.estimated,
    streamed: outcome.streamed,
    ttftMs: outcome.ttftMs ?? null,
    totalMs: total,
    overheadMs: overhead,
    keyId: ctx.principal?.keyId ?? null,
    userId: ctx.principal?.userId ?? null,
    teamId: ctx.principal?.teamId ?? null,
    cachedTokens: u.cachedTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    reasoningTokens: u.reasoningTokens,
    cost,
    priceVersion,
    // What the ledger's columns do not hold; the row with the highest attempt number has it all.
    receipt: receipt(ctx),
  };
  if (ctx.tags) row.tags = ctx.tags;
  if (ctx.metadata) row.metadata = ctx.metadata;
  const content = ctx.content?.take();
  if (content) row.content = content;
  rt.usage.record(row);
  return cost;
}

/**
 * The part of a request's story that the ledger's columns do not hold: how the model was
 * resolved, the warnings, and the error message of every failed attempt so far (the rows keep
 * only the code). `GET /v1/logs/{id}` builds the receipt from these and the attempts' rows.
 */
function receipt(ctx: RequestContext): Record<string, unknown> {
  const r: Record<string, unknown> = { routing: ctx.routing };
  if (ctx.warnings.length) r.warnings = ctx.warnings;
  if (ctx.attemptErrors.length) r.attempts = ctx.attemptErrors;
  return r;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

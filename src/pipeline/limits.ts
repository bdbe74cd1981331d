/**
 * The rate-limit stage: before the budget reservation and any upstream call, the request is
 * counted against every rate and concurrency limit of its key, user and team, or refused with
 * 429 `rate_limit_exceeded` and Retry-After. The `x-ratelimit-*` headers describe the tightest
 * limit of each kind. `finishLimits` frees the concurrent-request slot and corrects the tokens to
 * the actual count on every exit path (a request that never reached an upstream is taken back).
 *
 * Tokens are estimated up front at 4 bytes of prompt text per token (token ids as they are),
 * plus the output the request asks for at most (`max_completion_tokens` / `max_tokens`, per
 * choice); without such a limit, the model's maximum output as far as the window has room. The
 * actual count of every attempt replaces the estimate when the request ends.
 */
import { GatewayError } from "../core/errors.js";
import { embeddingsTokenBound } from "../core/tokens.js";
import { formatReset, type Admission, type LimitReport, type Refusal } from "../limits/limiter.js";
import type { LimitSubject } from "../policy/limit-subjects.js";
import type { ChatRequest, EmbeddingsRequest } from "../wire/openai.js";
import type { Deployment } from "../routing/resolve.js";
import { chatPromptBytes, choicesOf } from "./budget.js";
import { findCatalogModel } from "../catalog/models.js";
import type { RequestContext, Runtime } from "./context.js";

const BYTES_PER_TOKEN = 4;
/** Output counted for a request without max_tokens when nothing else bounds it (as budgets do). */
const FALLBACK_MAX_OUTPUT = 4096;

export function admitChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, deployments: readonly Deployment[]): void | Promise<void> {
  const subjects = ctx.principal?.limits;
  if (!subjects?.length) return;
  return admit(rt, ctx, subjects, () => {
    const prompt = Math.ceil(chatPromptBytes(req) / BYTES_PER_TOKEN);
    const out = Math.max(req.max_completion_tokens ?? 0, req.max_tokens ?? 0);
    const choices = choicesOf(req);
    // Without an output limit, the model's maximum output is counted as far as the window has room.
    return out > 0 ? { tokens: prompt + out * choices } : { tokens: prompt, upTo: unboundedOutput(rt, deployments) * choices };
  });
}

export function admitEmbeddings(rt: Runtime, ctx: RequestContext, req: EmbeddingsRequest): void | Promise<void> {
  const subjects = ctx.principal?.limits;
  if (!subjects?.length) return;
  // Text at 4 bytes per token; token ids are counted as they are.
  return admit(rt, ctx, subjects, () => ({
    tokens: typeof req.input === "string" || typeof firstOf(req.input) === "string" ? Math.ceil(embeddingsTokenBound(req.input) / BYTES_PER_TOKEN) : embeddingsTokenBound(req.input),
  }));
}

function firstOf(input: unknown): unknown {
  return Array.isArray(input) ? (input as unknown[])[0] : undefined;
}

/**
 * The rate-limit check and the budget reservation, started in the same turn: with Redis both
 * scripts leave in one write, so the request waits for one round trip, not two. A refusal by
 * either wins (the rate limit's first); what the other took is given back when the request ends
 * (the reservation settles to nothing, the limits' count is taken back).
 */
export async function admitAndReserve(admit: () => void | Promise<void>, reserve: () => Promise<void>): Promise<void> {
  const admitting = admit(); // in process: at once, and a refusal throws before anything is reserved
  const reserving = reserve();
  if (!admitting) return reserving;
  const [limits, budget] = await Promise.allSettled([admitting, reserving]);
  if (limits.status === "rejected") throw limits.reason;
  if (budget.status === "rejected") throw budget.reason;
}

/** The most the request's deployments may answer with: the catalog's maximum output, else the budgets' default. */
function unboundedOutput(rt: Runtime, deployments: readonly Deployment[]): number {
  let most = 0;
  for (const d of deployments) most = Math.max(most, findCatalogModel(rt.config.providers[d.provider]?.type ?? d.provider, d.model)?.maxOutputTokens ?? 0);
  return most || (rt.config.budgets.defaultMaxTokens ?? FALLBACK_MAX_OUTPUT);
}

function admit(rt: Runtime, ctx: RequestContext, subjects: readonly LimitSubject[], estimate: () => { tokens: number; upTo?: number }): void | Promise<void> {
  const e = subjects.some((s) => s.limits.tpm !== null) ? estimate() : { tokens: 0 };
  const r = rt.limiter.admit(subjects, e.tokens, ctx.requestId, e.upTo ?? 0);
  // In-process limits answer at once; Redis through a promise (one round trip).
  return r instanceof Promise ? r.then((settled) => decide(ctx, settled)) : decide(ctx, r);
}

function decide(ctx: RequestContext, r: Admission | Refusal): void {
  writeHeaders(ctx.responseHeaders, r.report);
  if (!r.refused) {
    ctx.limits = r;
    return;
  }
  throw new GatewayError("rate_limit_exceeded", `rate limit: ${r.reason}`, {
    retryable: false,
    ...(r.waitMs === Infinity ? {} : { retryAfterSeconds: Math.max(1, Math.ceil(r.waitMs / 1000)) }),
  });
}

/**
 * Frees the slot and trues up the tokens; a request that reached no upstream is taken back, and
 * its answer's headers say so. Idempotent, so every exit path may call it.
 */
export function finishLimits(rt: Runtime, ctx: RequestContext): void {
  const a = ctx.limits;
  if (!a || a.done) return;
  if (ctx.reached) {
    rt.limiter.finish(a, ctx.tokens);
    return;
  }
  const counted = a.tokens;
  rt.limiter.finish(a, null);
  const h = ctx.responseHeaders;
  const back = (name: string, n: number) => {
    if (h[name] !== undefined) h[name] = String(Number(h[name]) + n);
  };
  back("x-ratelimit-remaining-requests", 1);
  back("x-ratelimit-remaining-tokens", counted);
}

function writeHeaders(h: Record<string, string>, r: LimitReport): void {
  if (r.requests) {
    h["x-ratelimit-limit-requests"] = String(r.requests.limit);
    h["x-ratelimit-remaining-requests"] = String(r.requests.remaining);
    h["x-ratelimit-reset-requests"] = formatReset(r.requests.resetMs);
  }
  if (r.tokens) {
    h["x-ratelimit-limit-tokens"] = String(r.tokens.limit);
    h["x-ratelimit-remaining-tokens"] = String(r.tokens.remaining);
    h["x-ratelimit-reset-tokens"] = formatReset(r.tokens.resetMs);
  }
}

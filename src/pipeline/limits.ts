/**
 * The rate-limit stage: before the budget reservation and any upstream call, the request is
 * counted against every rate and concurrency limit of its key, user and team, or refused with
 * 429 `rate_limit_exceeded` and Retry-After. The `x-ratelimit-*` headers describe the tightest
 * limit of each kind. `finishLimits` frees the concurrent-request slot and corrects the tokens to
 * the actual count on every exit path (a request that never reached an upstream is taken back).
 *
 * Tokens are estimated up front at 4 bytes of prompt text per token, plus the output the request
 * asks for at most (`max_completion_tokens` / `max_tokens`, per choice); the actual count of
 * every attempt replaces the estimate when the request ends.
 */
import { GatewayError } from "../core/errors.js";
import { embeddingsTokenBound, promptTokenBound } from "../core/tokens.js";
import { formatReset, type Admission, type LimitReport, type Refusal } from "../limits/limiter.js";
import type { LimitSubject } from "../policy/limit-subjects.js";
import type { ChatRequest, EmbeddingsRequest } from "../wire/openai.js";
import { choicesOf } from "./budget.js";
import type { RequestContext, Runtime } from "./context.js";

const BYTES_PER_TOKEN = 4;

export function admitChat(rt: Runtime, ctx: RequestContext, req: ChatRequest): void | Promise<void> {
  const subjects = ctx.principal?.limits;
  if (!subjects?.length) return;
  return admit(rt, ctx, subjects, () => {
    const prompt = Math.ceil(promptTokenBound(req.messages, req.tools) / BYTES_PER_TOKEN);
    const out = Math.max(req.max_completion_tokens ?? 0, req.max_tokens ?? 0);
    return prompt + out * choicesOf(req);
  });
}

export function admitEmbeddings(rt: Runtime, ctx: RequestContext, req: EmbeddingsRequest): void | Promise<void> {
  const subjects = ctx.principal?.limits;
  if (!subjects?.length) return;
  return admit(rt, ctx, subjects, () => Math.ceil(embeddingsTokenBound(req.input) / BYTES_PER_TOKEN));
}

function admit(rt: Runtime, ctx: RequestContext, subjects: readonly LimitSubject[], estimate: () => number): void | Promise<void> {
  const tokens = subjects.some((s) => s.limits.tpm !== null) ? estimate() : 0;
  const r = rt.limiter.admit(subjects, tokens, ctx.requestId);
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

/** Frees the slot and trues up the tokens; idempotent, so every exit path may call it. */
export function finishLimits(rt: Runtime, ctx: RequestContext): void {
  if (ctx.limits) rt.limiter.finish(ctx.limits, ctx.attempts === 0 ? null : ctx.tokens);
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

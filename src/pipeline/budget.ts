/**
 * The budget stage: before any upstream call, reserve the request's maximum possible cost on
 * every budget assignment that applies (key, user, team); the HTTP edge settles the reservation
 * to the actual cost on every exit path (success, error, disconnect, timeout).
 *
 * Maximum cost (SPEC §14): counted prompt tokens × input price + max output tokens × output
 * price, where max output is the request's max_tokens, else the model's maximum output from
 * the catalog, else `budgets.default_max_tokens` (then sent upstream as max_tokens, with a
 * warning). The most expensive deployment the request may reach counts.
 */
import { findCatalogModel } from "../catalog/models.js";
import { maxCostOf } from "../catalog/prices.js";
import { countTokens, estimatePromptTokens } from "../core/tokens.js";
import type { Deployment } from "../routing/resolve.js";
import type { ChatRequest, EmbeddingsRequest } from "../wire/openai.js";
import type { RequestContext, Runtime } from "./context.js";

/** Used when nothing else bounds the output: sent upstream, with a warning. */
const FALLBACK_MAX_TOKENS = 4096;

export async function reserveChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, deployments: Deployment[]): Promise<void> {
  const list = applicable(rt, ctx);
  if (!list) return;
  let micros = 0;
  if (list.some((a) => a.budget.mode === "enforce")) {
    const prompt = await estimatePromptTokens(req.messages, req.tools);
    const explicit = req.max_completion_tokens ?? req.max_tokens ?? undefined;
    let injected: number | undefined;
    for (const d of deployments) {
      const price = rt.pricing.lookup(d.provider, d.model);
      if (!price) continue;
      let maxOut = explicit ?? findCatalogModel(rt.config.providers[d.provider]?.type ?? d.provider, d.model)?.maxOutputTokens;
      if (maxOut === undefined) {
        maxOut = injected = rt.config.budgets.defaultMaxTokens ?? FALLBACK_MAX_TOKENS;
      }
      micros = Math.max(micros, maxCostOf(price.price, prompt, maxOut));
    }
    if (injected !== undefined) {
      req.max_tokens = injected;
      ctx.warnings.push(`max_tokens was not set and the model's maximum output is unknown; sent max_tokens=${injected} so the budget reservation bounds the cost`);
    }
  }
  ctx.reservation = rt.budgets.book.reserve(list, micros);
}

export async function reserveEmbeddings(rt: Runtime, ctx: RequestContext, req: EmbeddingsRequest, deployments: Deployment[]): Promise<void> {
  const list = applicable(rt, ctx);
  if (!list) return;
  let micros = 0;
  if (list.some((a) => a.budget.mode === "enforce")) {
    const tokens = await countTokens(typeof req.input === "string" ? req.input : JSON.stringify(req.input));
    for (const d of deployments) {
      const price = rt.pricing.lookup(d.provider, d.model);
      if (price) micros = Math.max(micros, maxCostOf(price.price, tokens, 0));
    }
  }
  ctx.reservation = rt.budgets.book.reserve(list, micros);
}

function applicable(rt: Runtime, ctx: RequestContext) {
  const p = ctx.principal;
  if (!p) return null;
  const list = rt.budgets.book.applicable(p);
  if (!list.length) return null;
  ctx.budgets = list;
  return list;
}

/** Books the actual cost; idempotent, so every exit path may call it. */
export function settleBudget(rt: Runtime, ctx: RequestContext): void {
  if (ctx.reservation) rt.budgets.book.settle(ctx.reservation, ctx.costMicros);
}

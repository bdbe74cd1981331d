/**
 * The budget stage: before any upstream call, reserve the request's maximum possible cost on
 * every budget assignment that applies (key, user, team); the HTTP edge settles the reservation
 * to the actual cost on every exit path (success, error, disconnect, timeout).
 *
 * Maximum cost (SPEC §14): prompt tokens × input price + max output tokens × output price
 * (prompt tokens bounded by the prompt's UTF-8 bytes, tokenized only when that bound does not
 * fit), where max output is the request's max_tokens, else the model's maximum output from
 * the catalog, else `budgets.default_max_tokens` (then sent upstream as max_tokens, with a
 * warning). The most expensive deployment the request may reach counts.
 */
import { findCatalogModel } from "../catalog/models.js";
import { maxCostOf, type ModelPrice } from "../catalog/prices.js";
import { GatewayError } from "../core/errors.js";
import { countTokens, estimatePromptTokens, promptTokenBound, tokenBound } from "../core/tokens.js";
import type { Assignment } from "../budgets/book.js";
import type { Deployment } from "../routing/resolve.js";
import type { ChatRequest, EmbeddingsRequest } from "../wire/openai.js";
import type { RequestContext, Runtime } from "./context.js";

/** Used when nothing else bounds the output: sent upstream, with a warning. */
const FALLBACK_MAX_TOKENS = 4096;

export async function reserveChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, deployments: Deployment[]): Promise<void> {
  const list = applicable(rt, ctx);
  if (!list || trackOnly(rt, ctx, list)) return;
  const explicit = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  let injected: number | undefined;
  const bounds: Array<{ price: ModelPrice; maxOut: number }> = [];
  for (const d of deployments) {
    const price = rt.pricing.lookup(d.provider, d.model);
    if (!price) continue;
    let maxOut = explicit ?? findCatalogModel(rt.config.providers[d.provider]?.type ?? d.provider, d.model)?.maxOutputTokens;
    if (maxOut === undefined) {
      maxOut = injected = rt.config.budgets.defaultMaxTokens ?? FALLBACK_MAX_TOKENS;
    }
    bounds.push({ price: price.price, maxOut });
  }
  if (injected !== undefined) {
    req.max_tokens = injected;
    ctx.warnings.push(`max_tokens was not set and the model's maximum output is unknown; sent max_tokens=${injected} so the budget reservation bounds the cost`);
  }
  const maxCost = (prompt: number) => bounds.reduce((m, b) => Math.max(m, maxCostOf(b.price, prompt, b.maxOut)), 0);
  await reserve(rt, ctx, list, maxCost, () => promptTokenBound(req.messages, req.tools), () => estimatePromptTokens(req.messages, req.tools));
}

export async function reserveEmbeddings(rt: Runtime, ctx: RequestContext, req: EmbeddingsRequest, deployments: Deployment[]): Promise<void> {
  const list = applicable(rt, ctx);
  if (!list || trackOnly(rt, ctx, list)) return;
  const prices: ModelPrice[] = [];
  for (const d of deployments) {
    const price = rt.pricing.lookup(d.provider, d.model);
    if (price) prices.push(price.price);
  }
  const text = typeof req.input === "string" ? req.input : JSON.stringify(req.input);
  const maxCost = (tokens: number) => prices.reduce((m, p) => Math.max(m, maxCostOf(p, tokens, 0)), 0);
  await reserve(rt, ctx, list, maxCost, () => tokenBound(text), () => countTokens(text));
}

/**
 * Reserves the cost of the prompt's token bound (a byte count: cheap, and never loads the
 * tokenizer). Only when that does not fit is the prompt tokenized and the (smaller) estimate
 * tried, so a request near the limit is judged as precisely as the tokenizer allows.
 */
async function reserve(
  rt: Runtime,
  ctx: RequestContext,
  list: Assignment[],
  maxCost: (promptTokens: number) => number,
  bound: () => number,
  estimate: () => Promise<number>,
): Promise<void> {
  try {
    ctx.reservation = rt.budgets.book.reserve(list, maxCost(bound()));
  } catch (e) {
    if (!(e instanceof GatewayError) || e.code !== "budget_exceeded") throw e;
    ctx.reservation = rt.budgets.book.reserve(list, maxCost(await estimate()));
  }
}

/** Track-mode budgets only: nothing to bound, the (zero) reservation just records the spend later. */
function trackOnly(rt: Runtime, ctx: RequestContext, list: Assignment[]): boolean {
  if (list.some((a) => a.budget.mode === "enforce")) return false;
  ctx.reservation = rt.budgets.book.reserve(list, 0);
  return true;
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

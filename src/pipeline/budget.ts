/**
 * The budget stage: before any upstream call, reserve the request's maximum possible cost on
 * every budget assignment that applies (key, user, team); `runInference` (run.ts) settles the
 * reservation to the actual cost on every exit path (success, error, disconnect, timeout).
 *
 * Maximum cost: prompt tokens × input price + output tokens × output price, for the most
 * expensive deployment the request may reach.
 * - Prompt tokens: the text (messages, tool calls, tool and function definitions, the response
 *   format's schema) bounded by its UTF-8 bytes, tokenized only when that bound does not fit;
 *   plus a bound per image (the catalog's figure for the model, else IMAGE_TOKEN_BOUND) and the
 *   bytes of inline audio; never more than the model's context window. A part whose tokens the
 *   request does not bound (a file) counts as the whole context window, and without a known
 *   context window such a request is refused.
 * - Output tokens: per choice, the request's max_completion_tokens / max_tokens (the larger when
 *   both are given), else the model's maximum output from the catalog, else
 *   `budgets.default_max_tokens` (then sent upstream as max_tokens, with a warning); plus a
 *   predicted output's length; times the number of choices (`n`, or `best_of` when larger).
 */
import { findCatalogModel } from "../catalog/models.js";
import { maxCostOf, type ModelPrice } from "../catalog/prices.js";
import { GatewayError } from "../core/errors.js";
import { countEmbeddingsTokens, embeddingsTokenBound, estimatePromptTokens, IMAGE_TOKEN_BOUND, promptMedia, promptTokenBound, tokenBound, type PromptMedia } from "../core/tokens.js";
import { extendReservation, type Assignment } from "../budgets/book.js";
import type { Deployment } from "../routing/resolve.js";
import type { ChatRequest, EmbeddingsRequest } from "../wire/openai.js";
import type { RequestContext, Runtime } from "./context.js";

/** Used when nothing else bounds the output: sent upstream, with a warning. */
const FALLBACK_MAX_TOKENS = 4096;

interface ChatBound {
  price: ModelPrice;
  /** Output tokens of every choice together. */
  output: number;
  contextWindow: number | undefined;
  imageTokens: number;
}

/**
 * The price a reservation is made at: the standard price, unless the caller runs the request
 * where another applies (a provider's batch API: `pricing.batchLookup`).
 */
export type PriceLookup = (provider: string, model: string) => { price: ModelPrice } | undefined;

export async function reserveChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, deployments: Deployment[], lookup?: PriceLookup): Promise<void> {
  const known = ctx.principal && rt.budgets.ensureKnown(ctx.principal);
  if (known) await known; // with Redis, a key first seen here: its assignment read from the database
  const list = applicable(rt, ctx);
  if (!list) return;
  const tracked = trackOnly(rt, ctx, list);
  if (tracked instanceof Promise ? await tracked : tracked) return;
  const explicit = maxOutputTokens(req);
  const perChoiceExtra = predictionBound(req);
  const choices = choicesOf(req);
  const media = promptMedia(req.messages);
  let injected: number | undefined;
  const bounds: ChatBound[] = [];
  for (const d of deployments) {
    const price = lookup ? lookup(d.provider, d.model) : rt.pricing.lookup(d.provider, d.model);
    if (!price) continue;
    const model = findCatalogModel(rt.config.providers[d.provider]?.type ?? d.provider, d.model);
    let maxOut = explicit ?? model?.maxOutputTokens;
    if (maxOut === undefined) {
      maxOut = injected = rt.config.budgets.defaultMaxTokens ?? FALLBACK_MAX_TOKENS;
    }
    if (media.unbounded.length && model?.contextWindow === undefined) {
      throw new GatewayError(
        "invalid_request",
        `a budget applies and the cost of this request's '${media.unbounded[0]}' content cannot be bounded for ${d.provider}:${d.model} (its context window is unknown)`,
        { param: "messages" },
      );
    }
    bounds.push({ price: price.price, output: (maxOut + perChoiceExtra) * choices, contextWindow: model?.contextWindow, imageTokens: model?.imageTokens ?? IMAGE_TOKEN_BOUND });
  }
  if (injected !== undefined) {
    req.max_tokens = injected;
    ctx.warnings.push(`max_tokens was not set and the model's maximum output is unknown; sent max_tokens=${injected} so the budget reservation bounds the cost`);
  }
  const maxCost = (text: number) => bounds.reduce((m, b) => Math.max(m, maxCostOf(b.price, promptTokens(b, text, media), b.output)), 0);
  const extras = promptExtras(req);
  await reserve(
    rt,
    ctx,
    list,
    maxCost,
    () => chatPromptBytes(req),
    () => estimatePromptTokens(req.messages, extras),
  );
}

/** Choices the upstream generates: `n`, or `best_of` candidates when more. */
export function choicesOf(req: ChatRequest): number {
  return Math.max(req.n ?? 1, typeof req.best_of === "number" ? req.best_of : 1);
}

/** The request's own output limit per choice; the larger when both fields are given (providers read one or the other). */
function maxOutputTokens(req: ChatRequest): number | undefined {
  const a = req.max_completion_tokens ?? undefined;
  const b = req.max_tokens ?? undefined;
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** Predicted output (`prediction`): rejected predicted tokens are billed as output, beyond max_tokens. */
function predictionBound(req: ChatRequest): number {
  const p = (req as { prediction?: unknown }).prediction;
  return p && typeof p === "object" && "content" in p ? tokenBound(JSON.stringify(p.content) ?? "") : 0;
}

const promptBytesOf = new WeakMap<ChatRequest, number>();

/**
 * A chat request's prompt text bounded by its UTF-8 bytes (a token is at least one byte):
 * messages, tools, functions and the response format's schema. Measured once per request; the
 * route, the rate-limit estimate and the budget reservation all read it.
 */
export function chatPromptBytes(req: ChatRequest): number {
  let n = promptBytesOf.get(req);
  if (n === undefined) {
    n = promptTokenBound(req.messages, promptExtras(req));
    promptBytesOf.set(req, n);
  }
  return n;
}

/** Prompt-side request fields besides the messages that the provider turns into prompt tokens. */
function promptExtras(req: ChatRequest): unknown {
  const r = req as { tools?: unknown; functions?: unknown; response_format?: unknown };
  if (r.functions === undefined && r.response_format === undefined) return r.tools;
  return [r.tools ?? null, r.functions ?? null, r.response_format ?? null];
}

function promptTokens(b: Pick<ChatBound, "contextWindow" | "imageTokens">, text: number, media: PromptMedia): number {
  const all = text + media.images * b.imageTokens + media.audioBytes;
  if (b.contextWindow === undefined) return all;
  return media.unbounded.length ? b.contextWindow : Math.min(all, b.contextWindow);
}

/**
 * Prompt tokens of a chat request sent to `d`, for when the provider reports no usage (or a
 * stream ends before its usage): the tokenizer's count of the text (messages, tools, functions,
 * response format), and what the text does not show at the bounds the reservation uses (images,
 * inline audio; a file or an unknown part as the whole context window). Never more than the
 * reservation counted, never less than the text.
 */
export async function estimateChatPromptTokens(rt: Runtime, d: Deployment, req: ChatRequest): Promise<number> {
  return promptTokens(promptBounds(rt, d), await estimatePromptTokens(req.messages, promptExtras(req)), promptMedia(req.messages));
}

/**
 * The bound of a chat request's prompt tokens on `d`, as its reservation counted them (the text
 * by its UTF-8 bytes): what an attempt cut after it was sent is charged. A byte count, so the
 * failure path never tokenizes.
 */
export function chatPromptTokenBound(rt: Runtime, d: Deployment, req: ChatRequest): number {
  return promptTokens(promptBounds(rt, d), chatPromptBytes(req), promptMedia(req.messages));
}

function promptBounds(rt: Runtime, d: Deployment): Pick<ChatBound, "contextWindow" | "imageTokens"> {
  const model = findCatalogModel(rt.config.providers[d.provider]?.type ?? d.provider, d.model);
  return { contextWindow: model?.contextWindow, imageTokens: model?.imageTokens ?? IMAGE_TOKEN_BOUND };
}

export async function reserveEmbeddings(rt: Runtime, ctx: RequestContext, req: EmbeddingsRequest, deployments: Deployment[], lookup?: PriceLookup): Promise<void> {
  const known = ctx.principal && rt.budgets.ensureKnown(ctx.principal);
  if (known) await known;
  const list = applicable(rt, ctx);
  if (!list) return;
  const tracked = trackOnly(rt, ctx, list);
  if (tracked instanceof Promise ? await tracked : tracked) return;
  const prices: ModelPrice[] = [];
  for (const d of deployments) {
    const price = lookup ? lookup(d.provider, d.model) : rt.pricing.lookup(d.provider, d.model);
    if (price) prices.push(price.price);
  }
  const maxCost = (tokens: number) => prices.reduce((m, p) => Math.max(m, maxCostOf(p, tokens, 0)), 0);
  await reserve(
    rt,
    ctx,
    list,
    maxCost,
    () => embeddingsTokenBound(req.input),
    () => countEmbeddingsTokens(req.input),
  );
}

/**
 * Reserves the cost of the prompt's token bound (a byte count: cheap, and never loads the
 * tokenizer). Only when that does not fit is the prompt tokenized and the (smaller) estimate
 * tried, so a request near the limit is judged as precisely as the tokenizer allows.
 */
async function reserve(rt: Runtime, ctx: RequestContext, list: Assignment[], maxCost: (promptTokens: number) => number, bound: () => number, estimate: () => Promise<number>): Promise<void> {
  try {
    const r = rt.budgets.reserve(list, maxCost(bound()));
    ctx.reservation = r instanceof Promise ? await r : r; // in this instance at once; with Redis, one round trip
  } catch (e) {
    if (!(e instanceof GatewayError) || e.code !== "budget_exceeded") throw e;
    ctx.reservation = await rt.budgets.reserve(list, maxCost(await estimate()));
  }
}

/** Track-mode budgets only: nothing to bound, the (zero) reservation just records the spend later. */
function trackOnly(rt: Runtime, ctx: RequestContext, list: Assignment[]): boolean | Promise<boolean> {
  if (list.some((a) => a.budget.mode === "enforce")) return false;
  const r = rt.budgets.reserve(list, 0);
  if (r instanceof Promise) {
    return r.then((reservation) => {
      ctx.reservation = reservation;
      return true;
    });
  }
  ctx.reservation = r;
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

/**
 * A failed attempt that cost money (cut after it was sent) is spent beside the reservation, which
 * still holds the next attempt's maximum: before a retry or the next deployment, the reservation
 * grows by that cost, or the request stops with budget_exceeded. So retries never spend past
 * what the budget allows, however many attempts are cut.
 */
export function reserveSpentAttempt(rt: Runtime, ctx: RequestContext, micros: number): void | Promise<void> {
  const r = ctx.reservation;
  if (!r || r.settled || micros <= 0 || !ctx.budgets) return;
  const more = rt.budgets.reserve(ctx.budgets, micros);
  return more instanceof Promise ? more.then((m) => extendReservation(r, m)) : extendReservation(r, more);
}

/** Least money left across the request's budgets (after reservations), or null when none applies. */
export function budgetRemaining(rt: Runtime, ctx: RequestContext): number | null {
  return ctx.budgets ? rt.budgets.book.remaining(ctx.budgets) : null;
}

/** Books the actual cost; idempotent, so every exit path may call it. */
export function settleBudget(rt: Runtime, ctx: RequestContext): void {
  if (ctx.reservation) rt.budgets.settle(ctx.reservation, ctx.costMicros);
}

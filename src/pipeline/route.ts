/**
 * Where a request goes: the deployments it may reach, in the order they are tried, and why.
 *
 * 1. The requested model: an alias (its deployments in its group's strategy order), a
 *    `provider:model`, a bare model name (every configured provider whose catalog serves it, in
 *    `routing.default_strategy` order), or `auto` (ranked for this request, auto.ts).
 * 2. Then the fallbacks, each name once, in this order: the group's `fallbacks`, the body's
 *    `x-fallback-chain`, the header `x-switchboard-fallbacks`. Each is resolved and ordered like a
 *    requested model. A key restricted to some models may fall back only to models it may use.
 * 3. Deployments whose context window (from the catalog) cannot hold the prompt are dropped
 *    before any call, so a long prompt goes to a candidate it fits; none left is a 400.
 *
 * The attempt loop (attempts.ts) then skips open circuits and, with
 * `routing.content_policy_fallback`, moves on at a content-filter refusal. Everything decided
 * here goes to the receipt (`ctx.routing`).
 */
import type { IncomingHttpHeaders } from "node:http";
import { findCatalogModel } from "../catalog/models.js";
import { maxCostOf } from "../catalog/prices.js";
import { GatewayError } from "../core/errors.js";
import { estimatePromptTokens, promptMedia } from "../core/tokens.js";
import { chatPromptBytes } from "./budget.js";
import { authorizeModel } from "../policy/auth.js";
import { parseRoutingHints, rankAuto, type AutoCandidate, type RoutingHints } from "../routing/auto.js";
import type { DeploymentStats } from "../routing/health.js";
import { keyOf, splitModelName, type Deployment, type Resolution } from "../routing/resolve.js";
import type { Candidate, OrderContext } from "../routing/strategies.js";
import type { ChatRequest } from "../wire/openai.js";
import type { RequestContext, Runtime } from "./context.js";

export const FALLBACKS_HEADER = "x-switchboard-fallbacks";
/** At most this many fallback names per request (body and header together). */
const MAX_FALLBACKS = 10;
/**
 * The longest model name a request may send (its model and each fallback). A name becomes a key
 * of the deployment's health and usage, a receipt field and a response header; real names (a
 * Bedrock inference-profile ARN is among the longest) stay well below this.
 */
export const MAX_MODEL_NAME_LENGTH = 256;
/** Output tokens assumed for a request without max_tokens when comparing prices (`cheapest`). */
const PRICE_OUTPUT_TOKENS = 500;
/** Prompt text per token when estimating without the tokenizer. */
const BYTES_PER_TOKEN = 4;

/** One deployment of the route, with the model name that brought it there. */
export interface RouteStep {
  deployment: Deployment;
  key: string;
  /** The name it was reached through: the requested model, or a fallback's name. */
  via: string;
}

export interface Route {
  steps: RouteStep[];
  /** Every deployment the request may reach (budgets reserve for the most expensive). */
  deployments: Deployment[];
  /** The request's estimated tokens, counted against a deployment's own tpm when sent there. */
  tokens: number;
}

/** The routing extensions of a request, read from the raw body before they are stripped. */
export interface RoutingExtensions {
  fallbacks: string[];
  hints?: RoutingHints;
}

export function readRoutingExtensions(raw: Record<string, unknown>, headers: IncomingHttpHeaders): RoutingExtensions {
  if (typeof raw.model === "string") boundedName(raw.model, "model");
  const fallbacks: string[] = [];
  const chain = raw["x-fallback-chain"];
  if (chain !== undefined) {
    if (!Array.isArray(chain) || chain.some((m) => typeof m !== "string" || m.trim() === "")) {
      throw new GatewayError("invalid_request", "x-fallback-chain must be a list of model names", { param: "x-fallback-chain" });
    }
    fallbacks.push(...(chain as string[]).map((m) => m.trim()));
  }
  const header = headers[FALLBACKS_HEADER];
  if (typeof header === "string" && header.trim() !== "")
    fallbacks.push(
      ...header
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean),
    );
  if (fallbacks.length > MAX_FALLBACKS) {
    throw new GatewayError("invalid_request", `at most ${MAX_FALLBACKS} fallback models per request (x-fallback-chain and ${FALLBACKS_HEADER} together), got ${fallbacks.length}`, {
      param: "x-fallback-chain",
    });
  }
  for (const name of fallbacks) boundedName(name, "x-fallback-chain");
  const hints = raw["x-routing-hints"] === undefined ? undefined : parseRoutingHints(raw["x-routing-hints"]);
  return hints ? { fallbacks, hints } : { fallbacks };
}

function boundedName(name: string, param: string): void {
  if (name.length > MAX_MODEL_NAME_LENGTH) {
    throw new GatewayError("invalid_request", `model names are at most ${MAX_MODEL_NAME_LENGTH} characters, got one of ${name.length} ('${headerSafe(name.slice(0, 40))}…')`, { param });
  }
}

/** The route of a chat request. */
export async function routeChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, ext: RoutingExtensions): Promise<Route> {
  const estimate = estimatedPromptTokens(req);
  const output = outputTokens(req);
  const steps: RouteStep[] = [];
  const receipt: Record<string, unknown> = { requested: req.model };
  let fallbacks: string[];
  if (req.model === "auto") {
    const ranked = rankForAuto(rt, ctx, req, ext.hints ?? {}, estimate, output);
    receipt.strategy = "auto";
    receipt.auto = ranked.decision;
    ctx.responseHeaders["x-switchboard-route-reason"] = headerSafe(ranked.decision.reason);
    steps.push(...ranked.steps);
    fallbacks = [];
  } else {
    if (ext.hints) ctx.warnings.push('x-routing-hints applies to model "auto" only (the field was removed before the request went upstream)');
    const r = rt.resolver.resolve(req.model);
    receipt.alias = r.alias ?? null;
    receipt.strategy = strategyName(r);
    if (r.bare) receipt.bare_model = true;
    steps.push(...ordered(rt, r, req.model, estimate, output));
    fallbacks = r.fallbacks;
  }
  const names = dedupe([...fallbacks, ...ext.fallbacks], req.model);
  if (names.length) receipt.fallbacks = names;
  for (const name of names) {
    // The group's own fallbacks are the operator's; a request's chain is the client's, checked like its model.
    if (ctx.principal && !fallbacks.includes(name)) authorizeModel(ctx.principal, name);
    steps.push(...ordered(rt, resolveFallback(rt, name), name, estimate, output));
  }
  const kept = await fitting(rt, req, uniqueSteps(steps), receipt);
  receipt.candidates = kept.map((s) => s.key);
  ctx.routing = receipt;
  return { steps: kept, deployments: kept.map((s) => s.deployment), tokens: estimate + output };
}

/** The route of an embeddings request: its model, then its fallbacks (no context check). */
export function routeEmbeddings(rt: Runtime, ctx: RequestContext, model: string, ext: RoutingExtensions, tokens: number): Route {
  if (model === "auto") throw new GatewayError("invalid_request", 'model "auto" routes chat requests only', { param: "model" });
  if (ext.hints) ctx.warnings.push('x-routing-hints applies to model "auto" only (the field was removed before the request went upstream)');
  const r = rt.resolver.resolve(model);
  const steps = ordered(rt, r, model, tokens, 0);
  const names = dedupe([...r.fallbacks, ...ext.fallbacks], model);
  for (const name of names) {
    if (ctx.principal && !r.fallbacks.includes(name)) authorizeModel(ctx.principal, name);
    steps.push(...ordered(rt, resolveFallback(rt, name), name, tokens, 0));
  }
  const unique = uniqueSteps(steps);
  ctx.routing = { requested: model, alias: r.alias ?? null, strategy: strategyName(r), ...(names.length ? { fallbacks: names } : {}), candidates: unique.map((s) => s.key) };
  return { steps: unique, deployments: unique.map((s) => s.deployment), tokens };
}

/** The strategy a receipt names: a single `provider:model` is "direct". */
function strategyName(r: Resolution): string {
  return r.alias !== undefined || r.bare ? r.strategy : "direct";
}

function resolveFallback(rt: Runtime, name: string): Resolution {
  try {
    return rt.resolver.resolve(name);
  } catch (e) {
    if (e instanceof GatewayError && e.code === "model_not_found") throw new GatewayError("invalid_request", `fallback ${e.message}`, { param: "x-fallback-chain" });
    throw e;
  }
}

/** A resolution's deployments in its strategy's order for this request. */
function ordered(rt: Runtime, r: Resolution, via: string, promptTokens: number, outputTokens: number): RouteStep[] {
  const candidates: Candidate[] = r.deployments.map((d) => ({ key: keyOf(d), provider: d.provider, model: d.model, weight: d.weight, rpm: d.rpm, tpm: d.tpm }));
  const byKey = new Map(r.deployments.map((d) => [keyOf(d), d]));
  const order = candidates.length === 1 ? candidates : rt.router.order(r.alias ?? r.requested, r.strategy, candidates, orderContext(rt, promptTokens, outputTokens));
  return order.map((c) => ({ deployment: byKey.get(c.key)!, key: c.key, via }));
}

function orderContext(rt: Runtime, promptTokens: number, outputTokens: number): OrderContext {
  return {
    health: rt.health,
    costMicros: (c) => {
      const p = rt.pricing.lookup(c.provider, c.model);
      return p ? maxCostOf(p.price, promptTokens, outputTokens) : undefined;
    },
    estimatedTokens: promptTokens + outputTokens,
    random: Math.random,
  };
}

/** `model: "auto"`: the candidates ranked for this request; the winner first, the others after it. */
function rankForAuto(rt: Runtime, ctx: RequestContext, req: ChatRequest, hints: RoutingHints, promptTokens: number, outputTokens: number) {
  const names = rt.config.routing.auto.candidates ?? [...rt.resolver.aliases().map((g) => g.name), ...rt.resolver.aliases().flatMap((g) => g.deployments.map((d) => d.model))];
  if (names.length === 0) throw new GatewayError("invalid_request", 'model "auto" has no candidates: configure routing.auto.candidates or model aliases', { param: "model" });
  const quality = rt.config.routing.auto.quality;
  const candidates: AutoCandidate[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (ctx.principal?.key?.allowedModels && !ctx.principal.key.allowedModels.allows(name)) continue;
    for (const d of rt.resolver.resolve(name).deployments) {
      const key = keyOf(d);
      if (seen.has(key)) continue;
      seen.add(key);
      const price = rt.pricing.lookup(d.provider, d.model);
      const stats = rt.health.stats(key);
      const q = quality[key] ?? quality[d.model] ?? quality[name];
      candidates.push({
        name,
        provider: d.provider,
        providerType: rt.config.providers[d.provider]?.type ?? d.provider,
        model: d.model,
        ...(price ? { costMicros: maxCostOf(price.price, promptTokens, outputTokens) } : {}),
        ...(stats.ewma_ttft_ms !== null ? { ttftMs: stats.ewma_ttft_ms } : {}),
        ...(stats.requests > 0 ? { errorRate: stats.error_rate } : {}),
        ...(q !== undefined ? { quality: q } : {}),
      });
    }
  }
  if (candidates.length === 0) throw new GatewayError("permission_denied", 'none of the candidates of model "auto" is allowed for this key', { param: "model" });
  const decision = rankAuto(candidates, needsOf(req, promptTokens, outputTokens), hints);
  const steps: RouteStep[] = decision.ranked.map((c) => {
    const d: Deployment = { provider: c.provider, model: c.model, weight: 1, rpm: null, tpm: null };
    return { deployment: d, key: keyOf(d), via: c.name };
  });
  return { decision, steps };
}

function needsOf(req: ChatRequest, promptTokens: number, maxOutputTokens: number) {
  const media = promptMedia(req.messages);
  const format = (req as { response_format?: { type?: string } }).response_format?.type;
  return { tools: Array.isArray(req.tools) && req.tools.length > 0, vision: media.images > 0, jsonMode: format === "json_object" || format === "json_schema", promptTokens, maxOutputTokens };
}

/**
 * Drops the steps whose context window cannot hold the prompt. The byte bound (a token is at
 * least one byte) decides when it fits the smallest window; only a prompt near a window is
 * counted with the tokenizer.
 */
async function fitting(rt: Runtime, req: ChatRequest, steps: RouteStep[], receipt: Record<string, unknown>): Promise<RouteStep[]> {
  const windows = steps.map((s) => findCatalogModel(rt.config.providers[s.deployment.provider]?.type ?? s.deployment.provider, s.deployment.model)?.contextWindow);
  const bound = chatPromptBytes(req);
  if (windows.every((w) => w === undefined || w >= bound)) return steps;
  const tokens = await estimatePromptTokens(req.messages, req.tools);
  const kept: RouteStep[] = [];
  const dropped: Array<{ deployment: string; reason: string }> = [];
  steps.forEach((s, i) => {
    const w = windows[i];
    if (w === undefined || w >= tokens) kept.push(s);
    else dropped.push({ deployment: s.key, reason: `the prompt of about ${tokens} tokens does not fit its context window of ${w}` });
  });
  if (dropped.length) receipt.dropped = dropped;
  if (kept.length === 0) {
    const largest = Math.max(...windows.map((w) => w ?? 0));
    throw new GatewayError("context_length_exceeded", `the prompt of about ${tokens} tokens does not fit the context window of any model this request may use (the largest holds ${largest})`, {
      param: "messages",
    });
  }
  return kept;
}

function estimatedPromptTokens(req: ChatRequest): number {
  return Math.ceil(chatPromptBytes(req) / BYTES_PER_TOKEN);
}

function outputTokens(req: ChatRequest): number {
  return Math.max(req.max_completion_tokens ?? 0, req.max_tokens ?? 0) || PRICE_OUTPUT_TOKENS;
}

function dedupe(names: string[], requested: string): string[] {
  const out: string[] = [];
  for (const n of names) if (n !== requested && !out.includes(n)) out.push(n);
  return out;
}

/** A deployment reached through several names is tried once, at its first place. */
function uniqueSteps(steps: RouteStep[]): RouteStep[] {
  const seen = new Set<string>();
  return steps.filter((s) => (seen.has(s.key) ? false : (seen.add(s.key), true)));
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 300);
}

/** The deployments the configuration names: its aliases' and the candidates of `auto`. */
export function configuredDeployments(rt: Runtime): Set<string> {
  const keys = new Set<string>();
  for (const g of rt.resolver.aliases()) for (const d of rt.resolver.resolve(g.name).deployments) keys.add(keyOf(d));
  for (const name of rt.config.routing.auto.candidates ?? []) for (const d of rt.resolver.resolve(name).deployments) keys.add(keyOf(d));
  return keys;
}

/**
 * Every deployment this instance may route to (those of the configured aliases, and any other
 * it has sent requests to), with its circuit and live figures, for `GET /v1/providers`.
 */
export function deploymentStatuses(rt: Runtime): Array<DeploymentStats & { provider: string; model: string }> {
  const keys = configuredDeployments(rt);
  for (const s of rt.health.snapshot()) keys.add(s.deployment);
  return [...keys].sort().map((key) => {
    const split = splitModelName(key)!;
    return { ...rt.health.stats(key), provider: split.provider, model: split.model };
  });
}

/**
 * `model: "auto"`: picks among the operator's candidates for one request, and orders the rest as
 * its fallbacks. Pure and deterministic: the same candidates, needs and hints always give the same
 * decision (ties go to the name that sorts first).
 *
 * Rules:
 * - Filter first. A candidate must support what the request uses (tools, images, a JSON
 *   `response_format`), as its catalog capabilities say (unknown counts as "not supported"); its
 *   context window must hold the prompt and the requested output (unknown windows pass); and it
 *   must pass the request's `x-routing-hints` (`exclude_providers`, `min_quality_score`,
 *   `max_latency_ms`; a candidate never measured passes `max_latency_ms`). Every excluded
 *   candidate keeps a one-line reason; when none is left the request fails with a 400 naming the
 *   hint, or the need, that excluded the last ones.
 * - Score the rest on four parts, each 0..1 among them: cost (cheapest 1, others cheapest/theirs,
 *   unpriced 0), latency (fastest time to first token 1, others fastest/theirs, unmeasured 0.5),
 *   quality (the score itself, unknown 0.5) and reliability (1 − live error rate). The priority
 *   weights them 0.6 for its own part, 0.15 for each of the other two of cost/latency/quality and
 *   0.1 for reliability; a provider in `prefer_providers` adds 0.1.
 */
import { capabilitiesOf, type Capabilities } from "../catalog/capabilities.js";
import { findCatalogModel } from "../catalog/models.js";
import { qualityOf } from "../catalog/quality.js";
import { GatewayError } from "../core/errors.js";

export type Priority = "cost" | "latency" | "quality";

export interface RoutingHints {
  priority?: Priority;
  max_latency_ms?: number;
  prefer_providers?: string[];
  exclude_providers?: string[];
  min_quality_score?: number;
}

const HINTS_PARAM = "x-routing-hints";
const PRIORITIES: readonly Priority[] = ["cost", "latency", "quality"];
const HINT_FIELDS = ["priority", "max_latency_ms", "prefer_providers", "exclude_providers", "min_quality_score"] as const;

function invalidHint(field: string, message: string): GatewayError {
  return new GatewayError("invalid_request", `${HINTS_PARAM}.${field} ${message}`, { param: HINTS_PARAM });
}

function providerList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string" && v.length > 0)) {
    throw invalidHint(field, "must be an array of provider ids (non-empty strings)");
  }
  return value.slice();
}

/** Parses the body field `x-routing-hints` (absent or null: no hints); throws a 400 naming the bad field. */
export function parseRoutingHints(raw: unknown): RoutingHints {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new GatewayError("invalid_request", `${HINTS_PARAM} must be an object with any of: ${HINT_FIELDS.join(", ")}`, { param: HINTS_PARAM });
  }
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(HINT_FIELDS as readonly string[]).includes(key)) throw invalidHint(key, `is not a routing hint (known: ${HINT_FIELDS.join(", ")})`);
  }
  const hints: RoutingHints = {};
  const { priority, max_latency_ms, prefer_providers, exclude_providers, min_quality_score } = fields;
  if (priority !== undefined) {
    if (!PRIORITIES.includes(priority as Priority)) throw invalidHint("priority", `must be one of ${PRIORITIES.join(", ")}`);
    hints.priority = priority as Priority;
  }
  if (max_latency_ms !== undefined) {
    if (typeof max_latency_ms !== "number" || !Number.isFinite(max_latency_ms) || max_latency_ms <= 0) throw invalidHint("max_latency_ms", "must be a positive number of milliseconds");
    hints.max_latency_ms = max_latency_ms;
  }
  if (prefer_providers !== undefined) hints.prefer_providers = providerList("prefer_providers", prefer_providers);
  if (exclude_providers !== undefined) hints.exclude_providers = providerList("exclude_providers", exclude_providers);
  if (min_quality_score !== undefined) {
    if (typeof min_quality_score !== "number" || !(min_quality_score >= 0 && min_quality_score <= 1)) throw invalidHint("min_quality_score", "must be a number from 0 to 1");
    hints.min_quality_score = min_quality_score;
  }
  return hints;
}

/** What the request uses, measured by the pipeline before routing. */
export interface Needs {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  promptTokens: number;
  /** Output tokens to allow for (the request's `max_tokens`, or an estimate): they must fit the context window beside the prompt. */
  maxOutputTokens: number;
}

export interface AutoCandidate {
  /** As the operator listed it (alias or provider:model). */
  name: string;
  /** Provider id. */
  provider: string;
  /** For catalog lookups. */
  providerType: string;
  /** Upstream model id. */
  model: string;
  /** This request's estimated cost on it; undefined = unpriced. */
  costMicros?: number;
  /** Live EWMA time to first token; undefined = not measured. */
  ttftMs?: number;
  /** Live, 0..1. */
  errorRate?: number;
  /** Override from config; else qualityOf() is used. */
  quality?: number;
}

export interface ScoredCandidate {
  name: string;
  provider: string;
  model: string;
  score: number;
  /** Why the candidate was filtered out (then score and parts are 0). */
  excluded?: string;
  parts: { cost: number; latency: number; quality: number; reliability: number };
}

export interface AutoDecision {
  strategy: "auto";
  priority: Priority;
  /** Every candidate, in the order given, the excluded ones with their reason. */
  candidates: ScoredCandidate[];
  winner: ScoredCandidate;
  /** The candidates left after filtering, best first: the order the request tries them in. */
  ranked: ScoredCandidate[];
  /** One line for the route-reason header and the receipt. */
  reason: string;
}

interface Weights {
  cost: number;
  latency: number;
  quality: number;
  reliability: number;
}

const WEIGHTS: Record<Priority, Weights> = {
  cost: { cost: 0.6, latency: 0.15, quality: 0.15, reliability: 0.1 },
  latency: { cost: 0.15, latency: 0.6, quality: 0.15, reliability: 0.1 },
  quality: { cost: 0.15, latency: 0.15, quality: 0.6, reliability: 0.1 },
};
const PREFERRED_BONUS = 0.1;
/** Counted for a model without a latency measurement or without a quality score. */
const UNKNOWN_PART = 0.5;

/**
 * The filters in the order they apply; a candidate's reason is the first it fails. The request's
 * needs come before the hints, so an empty result blames a hint only when the request's needs alone
 * would have left candidates.
 */
type Stage = "tools" | "vision" | "jsonMode" | "context" | "exclude_providers" | "min_quality_score" | "max_latency_ms";
const STAGE_ORDER: readonly Stage[] = ["tools", "vision", "jsonMode", "context", "exclude_providers", "min_quality_score", "max_latency_ms"];
const NEED_STAGES: ReadonlySet<Stage> = new Set<Stage>(["tools", "vision", "jsonMode", "context"]);
const NEED_WORDS: Record<"tools" | "vision" | "jsonMode", string> = { tools: "tools", vision: "vision", jsonMode: "JSON mode" };

const numberFormat = new Intl.NumberFormat("en-US");

interface Exclusion {
  stage: Stage;
  reason: string;
}

function lacks(caps: Capabilities | undefined, need: "tools" | "vision" | "jsonMode"): Exclusion | undefined {
  if (caps?.[need]) return undefined;
  return { stage: need, reason: caps ? `needs ${NEED_WORDS[need]}` : `needs ${NEED_WORDS[need]} (its capabilities are not known)` };
}

function exclusionOf(c: AutoCandidate, quality: number | undefined, needs: Needs, hints: RoutingHints): Exclusion | undefined {
  if (needs.tools || needs.vision || needs.jsonMode) {
    const caps = capabilitiesOf(c.providerType, c.model);
    const missing = (needs.tools && lacks(caps, "tools")) || (needs.vision && lacks(caps, "vision")) || (needs.jsonMode && lacks(caps, "jsonMode"));
    if (missing) return missing;
  }
  const context = findCatalogModel(c.providerType, c.model)?.contextWindow;
  if (context !== undefined) {
    if (needs.promptTokens > context) {
      return { stage: "context", reason: `prompt of ${numberFormat.format(needs.promptTokens)} tokens does not fit its context of ${numberFormat.format(context)}` };
    }
    if (needs.promptTokens + needs.maxOutputTokens > context) {
      return {
        stage: "context",
        reason: `prompt of ${numberFormat.format(needs.promptTokens)} tokens and ${numberFormat.format(needs.maxOutputTokens)} output tokens do not fit its context of ${numberFormat.format(context)}`,
      };
    }
  }
  if (hints.exclude_providers?.includes(c.provider)) return { stage: "exclude_providers", reason: "provider excluded by x-routing-hints.exclude_providers" };
  if (hints.min_quality_score !== undefined && (quality ?? UNKNOWN_PART) < hints.min_quality_score) {
    const shown = quality === undefined ? `unknown (counted as ${UNKNOWN_PART})` : String(Math.round(quality * 1000) / 1000);
    return { stage: "min_quality_score", reason: `quality ${shown} below min_quality_score ${hints.min_quality_score}` };
  }
  if (hints.max_latency_ms !== undefined && c.ttftMs !== undefined && c.ttftMs > hints.max_latency_ms) {
    return { stage: "max_latency_ms", reason: `time to first token ${numberFormat.format(Math.round(c.ttftMs))} ms above max_latency_ms ${hints.max_latency_ms}` };
  }
  return undefined;
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

function needsPhrase(needs: Needs): string {
  const words: string[] = [];
  if (needs.tools) words.push(NEED_WORDS.tools);
  if (needs.vision) words.push(NEED_WORDS.vision);
  if (needs.jsonMode) words.push(NEED_WORDS.jsonMode);
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}` : (words[0] ?? "");
}

/** The 400 for a request every candidate was filtered out of: the hint or need that removed the last ones. */
function nothingLeft(exclusions: readonly Exclusion[], needs: Needs, total: number): GatewayError {
  const stages = exclusions.map((e) => e.stage);
  const last = STAGE_ORDER.filter((s) => stages.includes(s)).pop()!;
  const details = { excluded: exclusions.map((e) => e.reason) };
  if (!NEED_STAGES.has(last)) {
    const scope = stages.every((s) => s === last) ? "every candidate" : "every candidate left after the request's needs";
    return new GatewayError("invalid_request", `${HINTS_PARAM}.${last} excludes ${scope} (${total} considered)`, { param: HINTS_PARAM, details });
  }
  if (last === "context") {
    const also = needsPhrase(needs);
    return new GatewayError("invalid_request", `no candidate${also ? ` that supports ${also}` : ""} has a context window for a prompt of ${numberFormat.format(needs.promptTokens)} tokens`, {
      param: "model",
      details,
    });
  }
  return new GatewayError("invalid_request", `no candidate supports ${needsPhrase(needs)}`, { param: "model", details });
}

function byScoreThenName(a: ScoredCandidate, b: ScoredCandidate): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const ka = `${a.provider}:${a.model}`;
  const kb = `${b.provider}:${b.model}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function describe(priority: Priority, winner: ScoredCandidate, ranked: readonly ScoredCandidate[], needs: Needs, excludedCount: number): string {
  let lead: string;
  if (ranked.length === 1) lead = "only candidate";
  else if (priority === "cost") lead = winner.parts.cost === 1 ? "cheapest" : "best cost-weighted score";
  else if (priority === "latency") lead = winner.parts.latency === 1 ? "fastest" : "best latency-weighted score";
  else lead = ranked.every((c) => c.parts.quality <= winner.parts.quality) ? "highest quality" : "best quality-weighted score";
  const needed = needsPhrase(needs);
  const among = ranked.length === 1 ? "" : ` among ${ranked.length} candidates`;
  const that = needed ? ` that support${ranked.length === 1 ? "s" : ""} ${needed}` : "";
  const excluded = excludedCount > 0 ? `, ${excludedCount} excluded` : "";
  return `${lead}${among}${that} (score ${winner.score.toFixed(2)}${excluded})`;
}

/** Filters, scores and orders the candidates for one request; throws a 400 when none is left. */
export function rankAuto(candidates: readonly AutoCandidate[], needs: Needs, hints: RoutingHints): AutoDecision {
  const priority = hints.priority ?? "cost";
  if (candidates.length === 0) throw new GatewayError("invalid_request", 'model "auto" has no candidates: configure routing.auto.candidates or an alias', { param: "model" });

  const scored: ScoredCandidate[] = new Array<ScoredCandidate>(candidates.length);
  const qualities: Array<number | undefined> = new Array<number | undefined>(candidates.length);
  const exclusions: Exclusion[] = [];
  let minCost = Infinity;
  let minTtft = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    const quality = c.quality ?? qualityOf(c.providerType, c.model);
    qualities[i] = quality;
    const exclusion = exclusionOf(c, quality, needs, hints);
    scored[i] = { name: c.name, provider: c.provider, model: c.model, score: 0, parts: { cost: 0, latency: 0, quality: 0, reliability: 0 } };
    if (exclusion) {
      scored[i].excluded = exclusion.reason;
      exclusions.push(exclusion);
      continue;
    }
    if (c.costMicros !== undefined && c.costMicros < minCost) minCost = c.costMicros;
    if (c.ttftMs !== undefined && c.ttftMs < minTtft) minTtft = c.ttftMs;
  }
  if (exclusions.length === candidates.length) throw nothingLeft(exclusions, needs, candidates.length);

  const weights = WEIGHTS[priority];
  const ranked: ScoredCandidate[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const s = scored[i];
    if (s.excluded !== undefined) continue;
    const c = candidates[i];
    const cost = c.costMicros === undefined ? 0 : c.costMicros <= minCost ? 1 : minCost / c.costMicros;
    const latency = c.ttftMs === undefined ? UNKNOWN_PART : c.ttftMs <= minTtft ? 1 : minTtft / c.ttftMs;
    const quality = Math.min(1, Math.max(0, qualities[i] ?? UNKNOWN_PART));
    const reliability = 1 - Math.min(1, Math.max(0, c.errorRate ?? 0));
    const preferred = hints.prefer_providers?.includes(c.provider) ? PREFERRED_BONUS : 0;
    s.parts.cost = round(cost);
    s.parts.latency = round(latency);
    s.parts.quality = round(quality);
    s.parts.reliability = round(reliability);
    s.score = round(weights.cost * cost + weights.latency * latency + weights.quality * quality + weights.reliability * reliability + preferred);
    ranked.push(s);
  }
  ranked.sort(byScoreThenName);
  const winner = ranked[0];
  return { strategy: "auto", priority, candidates: scored, winner, ranked, reason: describe(priority, winner, ranked, needs, exclusions.length) };
}

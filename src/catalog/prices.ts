/**
 * Prices and money. Prices are USD per million tokens, as providers publish them (fractions of a
 * cent allowed: 0.00875). Money is integer micro-USD (1 USD = 1_000_000 micro-USD) and is computed
 * exactly: a part of a bill is `tokens × price-per-million` micro-USD (USD/M × tokens ÷ 1e6 × 1e6),
 * evaluated on exact decimals and rounded UP to a whole micro-USD, so a request is never
 * under-charged and summing many requests never drifts.
 *
 * Token conventions (OpenAI's): prompt tokens INCLUDE cached-read and cache-write tokens, so
 * uncached input = prompt − cached − cacheWrite; completion tokens INCLUDE reasoning tokens.
 * Long-context tiers are chosen by the total prompt tokens of the request.
 */
import { ceilDiv, ceilDivSmall, decimalOf, EXACT_LIMIT, parseDecimal, POW10 } from "./decimal.js";
import { findCatalogModel, PRICE_CATALOG_VERSION } from "./models.js";

export { PRICE_CATALOG_VERSION };

/** A whole number of micro-USD (1 USD = 1_000_000). Always an integer. */
export type MicroUsd = number;

/** Prices above a prompt size: every prompt token of a request beyond `aboveInputTokens` total. */
export interface PriceTier {
  /** The tier applies when the request's prompt tokens are strictly greater than this. */
  aboveInputTokens: number;
  input: number;
  output: number;
  /** Cached-read input; when absent, cached tokens are charged at this tier's `input`. */
  cachedInput?: number;
  /** Cache-write input; when absent, cache-write tokens are charged at this tier's `input`. */
  cacheWrite?: number;
}

/** USD per million tokens. */
export interface ModelPrice {
  /** Uncached input. */
  input: number;
  /** Output (including reasoning unless `reasoning` is set). Embedding models: 0. */
  output: number;
  /** Cached-read input (prompt caching); absent: charged as `input`. */
  cachedInput?: number;
  /** Cache write (Anthropic-style 5-minute cache); absent: charged as `input`. */
  cacheWrite?: number;
  /** Reasoning output, only where priced unlike `output` (rare). Not tiered. */
  reasoning?: number;
  /** Long-context prices, by ascending `aboveInputTokens`. */
  tiers?: ReadonlyArray<PriceTier>;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export interface Cost {
  inputMicros: MicroUsd;
  cachedInputMicros: MicroUsd;
  cacheWriteMicros: MicroUsd;
  /** Completion tokens at the output rate (without the reasoning part when that is priced apart). */
  outputMicros: MicroUsd;
  /** Reasoning tokens at `price.reasoning`; 0 when the model prices reasoning as output. */
  reasoningMicros: MicroUsd;
  totalMicros: MicroUsd;
}

/**
 * The catalog price of a model for a provider type, or undefined. Exact id (or listed alias) first,
 * then the fallbacks of `findCatalogModel` (dated snapshot → undated id, Bedrock geo prefix, …).
 */
export function priceOf(providerType: string, model: string): ModelPrice | undefined {
  return findCatalogModel(providerType, model)?.price;
}

/** The level (base or tier) that applies to a request with this many prompt tokens. */
export function tierFor(price: ModelPrice, promptTokens: number): PriceTier {
  let level: PriceTier = {
    aboveInputTokens: 0,
    input: price.input,
    output: price.output,
    ...(price.cachedInput !== undefined ? { cachedInput: price.cachedInput } : {}),
    ...(price.cacheWrite !== undefined ? { cacheWrite: price.cacheWrite } : {}),
  };
  for (const t of price.tiers ?? []) {
    if (promptTokens > t.aboveInputTokens && t.aboveInputTokens >= level.aboveInputTokens) level = t;
  }
  return level;
}

/** Token counts are sanitised: non-finite or negative count as 0, fractions round up. */
function tokens(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n) || n <= 0) return 0;
  return Math.ceil(n);
}

/** `count × pricePerMillion` micro-USD, exactly, rounded up to a whole micro-USD. */
export function partMicros(count: number, pricePerMillion: number): MicroUsd {
  const d = decimalOf(pricePerMillion);
  const n = tokens(count);
  if (n === 0 || d.digits === 0n) return 0;
  if (d.small) {
    // The common case (ordinary prices and token counts) in plain numbers, as exact as BigInts.
    const a = n * d.small.digits;
    if (a < EXACT_LIMIT) return ceilDivSmall(a, d.small.pow);
  }
  const micros = ceilDiv(BigInt(n) * d.digits, POW10(d.scale));
  return toSafe(micros);
}

function toSafe(micros: bigint): MicroUsd {
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount too large: ${micros} micro-USD`);
  return Number(micros);
}

/** The cost of one request's usage. Each part is rounded up; the total is the sum of the parts. */
export function costOf(price: ModelPrice, usage: TokenUsage): Cost {
  const prompt = tokens(usage.promptTokens);
  const completion = tokens(usage.completionTokens);
  const cached = Math.min(tokens(usage.cachedTokens), prompt);
  const cacheWrite = Math.min(tokens(usage.cacheWriteTokens), prompt - cached);
  const uncached = prompt - cached - cacheWrite;
  const reasoning = Math.min(tokens(usage.reasoningTokens), completion);
  const level = tierFor(price, prompt);

  const inputMicros = partMicros(uncached, level.input);
  const cachedInputMicros = partMicros(cached, level.cachedInput ?? level.input);
  const cacheWriteMicros = partMicros(cacheWrite, level.cacheWrite ?? level.input);
  const split = price.reasoning !== undefined;
  const outputMicros = partMicros(split ? completion - reasoning : completion, level.output);
  const reasoningMicros = split ? partMicros(reasoning, price.reasoning!) : 0;
  const totalMicros = inputMicros + cachedInputMicros + cacheWriteMicros + outputMicros + reasoningMicros;
  return { inputMicros, cachedInputMicros, cacheWriteMicros, outputMicros, reasoningMicros, totalMicros };
}

/**
 * The most a request can cost, for budget reservations: every prompt token at the
 * uncached input rate of the tier the prompt falls in, plus `maxOutputTokens` at that tier's
 * output rate (or the reasoning rate, if a model prices reasoning higher). Parts are rounded up
 * like `costOf`, so the reservation is never below the cost of an uncached answer of that length.
 * Cache reads can make the actual cost exceed it by at most 1 µ$ of rounding (one more rounded
 * part); cache writes, priced above input by Anthropic, can exceed it by their premium. Settling
 * to the actual cost covers both.
 */
export function maxCostOf(price: ModelPrice, promptTokens: number, maxOutputTokens: number): MicroUsd {
  const level = tierFor(price, tokens(promptTokens));
  const outRate = price.reasoning !== undefined && price.reasoning > level.output ? price.reasoning : level.output;
  return partMicros(promptTokens, level.input) + partMicros(maxOutputTokens, outRate);
}

/** Micro-USD as a decimal USD string with up to 6 decimals and no trailing zeros: 1234567 → "1.234567", 5 → "0.000005", 0 → "0". */
export function microsToUsd(micros: MicroUsd): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`micro-USD must be a safe integer, got ${micros}`);
  const negative = micros < 0;
  const abs = negative ? -micros : micros;
  const rest = abs % 1_000_000; // exact for safe integers, and so is the division below
  const frac = rest === 0 ? "" : String(rest).padStart(6, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${(abs - rest) / 1_000_000}${frac ? `.${frac}` : ""}`;
}

/**
 * Decimal USD (number or string) to micro-USD, exactly: "1.234567" → 1234567, 0.5 → 500000.
 * Throws RangeError for negative, non-finite or unparsable values, more than 6 significant decimals
 * (trailing zeros do not count: "1.5000000" is fine) and amounts beyond a safe integer.
 */
export function usdToMicros(usd: number | string): MicroUsd {
  if (typeof usd === "number" && !Number.isFinite(usd)) throw new RangeError(`not a finite USD amount: ${usd}`);
  const text = String(usd).trim();
  if (text.startsWith("-") && !/^-0*(\.0*)?$/.test(text)) throw new RangeError(`a USD amount must not be negative: ${text}`);
  const d = parseDecimal(text.replace(/^-/, ""));
  if (!d) throw new RangeError(`not a decimal USD amount: ${JSON.stringify(usd)}`);
  if (d.scale > 6) throw new RangeError(`USD amounts have at most 6 decimals (micro-USD): ${text}`);
  return toSafe(d.digits * POW10(6 - d.scale));
}

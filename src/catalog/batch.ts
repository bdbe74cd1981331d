/**
 * Batch prices: what a provider's own batch API (OpenAI's Batch API, Anthropic's Message
 * Batches) charges, as a share of the model's standard token prices. Both charge 50 % of every
 * standard price (input, cached input, cache writes, output). Data, by provider type; a type not
 * listed has no native batch price.
 */
import type { ModelPrice, PriceTier } from "./prices.js";

/** The share of the standard price a native batch pays, as numerator / denominator (exact). */
export interface BatchShare {
  numerator: number;
  denominator: number;
}

export const BATCH_PRICE_SHARES = {
  openai: { numerator: 1, denominator: 2 },
  anthropic: { numerator: 1, denominator: 2 },
} as const satisfies Record<string, BatchShare>;

/** The batch share of a provider type, or undefined when its batches have no batch price. */
export function batchShareOf(providerType: string): BatchShare | undefined {
  return (BATCH_PRICE_SHARES as Record<string, BatchShare>)[providerType];
}

/**
 * A price scaled by a batch share. Every USD-per-million figure is multiplied exactly as a
 * decimal (for 1/2, halving a binary number is exact), so costs are then computed as usual.
 */
export function batchPrice(price: ModelPrice, share: BatchShare): ModelPrice {
  const s = (v: number) => scale(v, share);
  const opt = (v: number | undefined) => (v === undefined ? undefined : s(v));
  const tier = (t: PriceTier): PriceTier => ({ aboveInputTokens: t.aboveInputTokens, input: s(t.input), output: s(t.output), cachedInput: opt(t.cachedInput), cacheWrite: opt(t.cacheWrite) });
  const out: ModelPrice = { input: s(price.input), output: s(price.output) };
  if (price.cachedInput !== undefined) out.cachedInput = s(price.cachedInput);
  if (price.cacheWrite !== undefined) out.cacheWrite = s(price.cacheWrite);
  if (price.reasoning !== undefined) out.reasoning = s(price.reasoning);
  if (price.tiers) out.tiers = price.tiers.map(tier);
  return out;
}

/** v × n / d, rounded to 12 decimals (prices have far fewer): no binary noise reaches the decimal cost arithmetic. */
function scale(v: number, share: BatchShare): number {
  return Number(((v * share.numerator) / share.denominator).toFixed(12));
}

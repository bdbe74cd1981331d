/** Compact constructors for the per-provider catalog data. Prices are USD per million tokens. */
import type { CatalogModel } from "../models.js";
import type { ModelPrice } from "../prices.js";

/** A chat model: context window, maximum output tokens (sizes reservations), price, other ids it answers to. */
export function chat(id: string, contextWindow: number, maxOutputTokens: number, price?: ModelPrice, aliases?: readonly string[]): CatalogModel {
  return { id, mode: "chat", contextWindow, maxOutputTokens, ...(price ? { price } : {}), ...(aliases?.length ? { aliases } : {}) };
}

/** An embedding model: input limit and price (input only; output is 0). */
export function embed(id: string, contextWindow: number, input?: number, aliases?: readonly string[]): CatalogModel {
  return { id, mode: "embedding", contextWindow, ...(input !== undefined ? { price: { input, output: 0 } } : {}), ...(aliases?.length ? { aliases } : {}) };
}

/** One long-context tier: prices for requests whose prompt exceeds `above` tokens. */
export function above(aboveInputTokens: number, input: number, output: number, cachedInput?: number, cacheWrite?: number): NonNullable<ModelPrice["tiers"]>[number] {
  return { aboveInputTokens, input, output, ...(cachedInput !== undefined ? { cachedInput } : {}), ...(cacheWrite !== undefined ? { cacheWrite } : {}) };
}

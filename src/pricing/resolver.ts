/**
 * Which price applies to a model: set through /v1/pricing (the database) > config `pricing:` >
 * the built-in catalog. Everything is held in memory; API changes replace the map at once.
 * Every cost carries the version of the price it used, which the ledger stores.
 */
import type { PriceConfig } from "../config/types.js";
import { PRICE_CATALOG_VERSION, priceOf, type ModelPrice } from "../catalog/prices.js";

export interface ResolvedPrice {
  price: ModelPrice;
  /** `catalog:<date>`, `config`, or `api:<updated_at>`. */
  version: string;
  source: "api" | "config" | "catalog";
}

export interface ApiPrice {
  model: string;
  input: number;
  output: number;
  cachedInput: number | null;
  updatedAt: Date;
}

/** `provider/model` and `provider:model` name the same model. */
export function normalisePriceKey(model: string): string {
  return model.replace(/[:/]/, ":");
}

export class PriceResolver {
  private api = new Map<string, ResolvedPrice>();
  private readonly config = new Map<string, ResolvedPrice>();

  constructor(
    configPrices: Record<string, PriceConfig>,
    /** Provider id → registry type, to find catalog prices for renamed providers. */
    private readonly typeOf: (providerId: string) => string | undefined,
  ) {
    for (const [model, p] of Object.entries(configPrices)) {
      this.config.set(normalisePriceKey(model), { price: { input: p.input, output: p.output, cachedInput: p.cachedInput }, version: "config", source: "config" });
    }
  }

  /** Replaces the API-set prices (on start and after every change). */
  setApiPrices(rows: readonly ApiPrice[]): void {
    const next = new Map<string, ResolvedPrice>();
    for (const r of rows) {
      next.set(normalisePriceKey(r.model), {
        price: { input: r.input, output: r.output, ...(r.cachedInput !== null ? { cachedInput: r.cachedInput } : {}) },
        version: `api:${r.updatedAt.toISOString()}`,
        source: "api",
      });
    }
    this.api = next;
  }

  lookup(providerId: string, model: string): ResolvedPrice | undefined {
    const key = `${providerId}:${model}`;
    const hit = this.api.get(key) ?? this.config.get(key);
    if (hit) return hit;
    const type = this.typeOf(providerId) ?? providerId;
    const price = priceOf(type, model);
    return price ? { price, version: `catalog:${PRICE_CATALOG_VERSION}`, source: "catalog" } : undefined;
  }
}

/**
 * Which price applies to a model: set through /v1/pricing (the database) > config `pricing:` >
 * the built-in catalog. Everything is held in memory; after an API change the map is reloaded and
 * replaced whole, and `reloaded()` tells when that has happened.
 * Every cost carries the version of the price it used, which the ledger stores.
 */
import type { PriceConfig } from "../config/types.js";
import { PRICE_CATALOG_VERSION, priceOf, type ModelPrice } from "../catalog/prices.js";
import { batchPrice, batchShareOf } from "../catalog/batch.js";

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
  /** Reloads not yet settled, and the order numbers of the last started and last applied one. */
  private readonly reloading = new Set<Promise<void>>();
  private reloadsStarted = 0;
  private reloadApplied = 0;

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

  /**
   * Replaces the API-set prices with what `load` reads, after a change. Reloads may overlap: one
   * started earlier never overwrites the prices of one started later. A failed load rejects and
   * leaves the prices as they were.
   */
  reloadApiPrices(load: () => Promise<readonly ApiPrice[]>): Promise<void> {
    const order = ++this.reloadsStarted;
    const run = load().then((rows) => {
      if (order < this.reloadApplied) return;
      this.reloadApplied = order;
      this.setApiPrices(rows);
    });
    const settled: Promise<void> = run.then(
      () => void this.reloading.delete(settled),
      () => void this.reloading.delete(settled),
    );
    this.reloading.add(settled);
    return run;
  }

  /** Settles when every reload started so far has finished (applied, superseded or failed). */
  async reloaded(): Promise<void> {
    while (this.reloading.size) await Promise.all([...this.reloading]);
  }

  /** The `provider:model` keys priced through /v1/pricing or the config. */
  pricedKeys(): string[] {
    return [...new Set([...this.api.keys(), ...this.config.keys()])];
  }

  lookup(providerId: string, model: string): ResolvedPrice | undefined {
    const key = `${providerId}:${model}`;
    const hit = this.api.get(key) ?? this.config.get(key);
    if (hit) return hit;
    const type = this.typeOf(providerId) ?? providerId;
    const price = priceOf(type, model);
    return price ? { price, version: `catalog:${PRICE_CATALOG_VERSION}`, source: "catalog" } : undefined;
  }

  /**
   * The price a provider's own batch API charges for a model: the price that applies (as
   * `lookup`) times the provider type's batch share (catalog/batch.ts). Undefined when the model
   * has no price or the provider type no batch price. The version says `;batch=n/d`.
   */
  batchLookup(providerId: string, model: string): ResolvedPrice | undefined {
    const base = this.lookup(providerId, model);
    const share = batchShareOf(this.typeOf(providerId) ?? providerId);
    if (!base || !share) return undefined;
    return { price: batchPrice(base.price, share), version: `${base.version};batch=${share.numerator}/${share.denominator}`, source: base.source };
  }
}

/**
 * Price overrides (`/v1/pricing`): they win over config and the catalog. Every change publishes
 * `{kind: "prices"}` after the commit, on which the gateway reloads the API prices.
 */
import { parseDecimal } from "../../catalog/decimal.js";
import { catalogModels, MODEL_CATALOG, PRICE_CATALOG_VERSION } from "../../catalog/models.js";
import { normalisePriceKey } from "../../pricing/resolver.js";
import { deletePrice as deletePriceRow, findPrice, listPrices, upsertPrice, type PriceRow } from "../../store/repos/prices.js";
import type { Actor, ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import type { PriceObject, PriceSet } from "../schemas/pricing.js";
import { diff, mutate, snapshot } from "./common.js";

const PRICE_FIELDS = ["input_price_per_million", "output_price_per_million", "cached_input_price_per_million"] as const;

/** A validated decimal (number or string) as plain decimal text for `numeric`: 1.5e-7 → "0.00000015". */
export function decimalText(v: number | string): string {
  const d = parseDecimal(String(v));
  if (!d) throw new RangeError(`not a decimal: ${String(v)}`);
  if (d.scale === 0) return d.digits.toString();
  const s = d.digits.toString().padStart(d.scale + 1, "0");
  return `${s.slice(0, -d.scale)}.${s.slice(-d.scale)}`;
}

export function priceObject(row: PriceRow): PriceObject {
  return {
    model: row.model,
    input_price_per_million: Number(row.input_per_million),
    output_price_per_million: Number(row.output_per_million),
    cached_input_price_per_million: row.cached_input_per_million === null ? null : Number(row.cached_input_per_million),
    source: "api",
    price_version: `api:${row.updated_at.toISOString()}`,
    updated_at: row.updated_at.toISOString(),
  };
}

/** The built-in catalog's prices as `<provider type>:<model>`, except models in `except`. */
function catalogPrices(except: ReadonlySet<string>): PriceObject[] {
  const out: PriceObject[] = [];
  for (const type of Object.keys(MODEL_CATALOG)) {
    for (const m of catalogModels(type)) {
      const model = `${type}:${m.id}`;
      if (!m.price || except.has(model)) continue;
      out.push({
        model,
        input_price_per_million: m.price.input,
        output_price_per_million: m.price.output,
        cached_input_price_per_million: m.price.cachedInput ?? null,
        source: "catalog",
        price_version: `catalog:${PRICE_CATALOG_VERSION}`,
        updated_at: null,
      });
    }
  }
  return out;
}

export async function listPriceObjects(deps: ManagementDeps, includeCatalog: boolean): Promise<PriceObject[]> {
  const api = (await listPrices(deps.db)).map(priceObject);
  if (!includeCatalog) return api;
  const all = [...api, ...catalogPrices(new Set(api.map((p) => p.model)))];
  return all.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/** Sets (creates or replaces) the override of a model. */
export async function setPrice(deps: ManagementDeps, actor: Actor, body: PriceSet): Promise<PriceObject> {
  const model = normalisePriceKey(body.model);
  const settings = {
    input_per_million: decimalText(body.input_price_per_million),
    output_per_million: decimalText(body.output_price_per_million),
    cached_input_per_million: body.cached_input_price_per_million == null ? null : decimalText(body.cached_input_price_per_million),
  };
  return mutate(deps, actor, async (m) => {
    const before = await findPrice(m.trx, model, true);
    const row = await upsertPrice(m.trx, model, settings, m.now);
    const after = priceObject(row);
    await m.audit("price.set", "price", model, before ? diff(priceObject(before), after, PRICE_FIELDS) : snapshot(after, PRICE_FIELDS));
    m.invalidate({ kind: "prices" });
    return after;
  });
}

/** Removes the override; the config or catalog price applies again. */
export async function deletePrice(deps: ManagementDeps, actor: Actor, rawModel: string): Promise<PriceObject> {
  const model = normalisePriceKey(rawModel);
  return mutate(deps, actor, async (m) => {
    const row = await deletePriceRow(m.trx, model);
    if (!row) throw notFound("price override for", model, "model");
    const object = priceObject(row);
    await m.audit("price.delete", "price", model, snapshot(object, PRICE_FIELDS));
    m.invalidate({ kind: "prices" });
    return object;
  });
}

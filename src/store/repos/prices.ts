/** Price overrides set through /v1/pricing (`prices`): USD per million tokens as exact `numeric`. */
import type { Kysely, Selectable } from "kysely";
import type { Database, PricesTable } from "../schema.js";

export type PriceRow = Selectable<PricesTable>;

export interface PriceSettings {
  /** Decimal strings, written to `numeric` as they are (no float on the way). */
  input_per_million: string;
  output_per_million: string;
  cached_input_per_million: string | null;
}

/** Every override, by model. */
export async function listPrices(db: Kysely<Database>): Promise<PriceRow[]> {
  return db.selectFrom("prices").selectAll().orderBy("model").execute();
}

export async function findPrice(db: Kysely<Database>, model: string, forUpdate = false): Promise<PriceRow | undefined> {
  let q = db.selectFrom("prices").selectAll().where("model", "=", model);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Inserts or replaces the override of `model`. */
export async function upsertPrice(db: Kysely<Database>, model: string, s: PriceSettings, now: Date): Promise<PriceRow> {
  return db
    .insertInto("prices")
    .values({ model, ...s, updated_at: now })
    .onConflict((oc) => oc.column("model").doUpdateSet({ ...s, updated_at: now }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deletePrice(db: Kysely<Database>, model: string): Promise<PriceRow | undefined> {
  return db.deleteFrom("prices").where("model", "=", model).returningAll().executeTakeFirst();
}

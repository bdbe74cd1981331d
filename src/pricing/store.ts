/** Price overrides set through /v1/pricing, read through their repository and turned into numbers. */
import type { Kysely } from "kysely";
import { listPrices } from "../store/repos/prices.js";
import type { Database } from "../store/schema.js";
import type { ApiPrice } from "./resolver.js";

export async function loadApiPrices(db: Kysely<Database>): Promise<ApiPrice[]> {
  const rows = await listPrices(db);
  return rows.map((r) => ({
    model: r.model,
    input: Number(r.input_per_million),
    output: Number(r.output_per_million),
    cachedInput: r.cached_input_per_million === null ? null : Number(r.cached_input_per_million),
    updatedAt: r.updated_at,
  }));
}

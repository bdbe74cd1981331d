/** Read helpers over the usage ledger (tests, receipts, usage APIs). */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { fromUsageRow, type StoredUsageRecord } from "./ledger.js";

/** Every attempt recorded for a request, in attempt order. */
export async function listUsageByRequest(db: Kysely<Database>, requestId: string): Promise<StoredUsageRecord[]> {
  const rows = await db.selectFrom("usage").selectAll().where("request_id", "=", requestId).orderBy("attempt").execute();
  return rows.map(fromUsageRow);
}

/** Number of ledger rows (optionally only those created at or after `since`). */
export async function countUsage(db: Kysely<Database>, opts: { since?: Date } = {}): Promise<number> {
  let q = db.selectFrom("usage").select((eb) => eb.fn.countAll<string>().as("n"));
  if (opts.since) q = q.where("created_at", ">=", opts.since);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Read helpers over the usage ledger (tests, receipts, usage APIs). */
import type { Kysely } from "kysely";
import { sql } from "../store/kysely.js";
import type { Database } from "../store/schema.js";
import { fromUsageRow, type StoredUsageRecord } from "./ledger.js";
import type { StoredContent } from "./types.js";

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

/** The content stored with a request's rows (`logging.store_content`), merged: the prompt and the last completion. */
export async function requestContent(db: Kysely<Database>, requestId: string): Promise<StoredContent | null> {
  const rows = await db.selectFrom("request_content").select(["content"]).where("request_id", "=", requestId).orderBy("attempt").execute();
  if (rows.length === 0) return null;
  const out: StoredContent = {};
  for (const r of rows) {
    const c = r.content as StoredContent;
    if (c.request && !out.request) out.request = c.request;
    if (c.completion) out.completion = c.completion;
  }
  return out;
}

/** Rows one retention delete removes at most (a long delete would hold its locks and its WAL in one piece). */
const PURGE_BATCH = 5000;

/**
 * Deletes the content stored before `cutoff` (`logging.retention_days`), in batches; the ledger
 * rows themselves stay. Returns how many content rows were deleted.
 */
export async function deleteContentBefore(db: Kysely<Database>, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await sql`delete from request_content where ctid in (select ctid from request_content where created_at < ${cutoff} limit ${PURGE_BATCH})`.execute(db);
    const n = Number(r.numAffectedRows ?? 0n);
    total += n;
    if (n < PURGE_BATCH) return total;
  }
}

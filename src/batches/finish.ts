/**
 * The end of a batch: pending lines failed as cancelled or expired, then, in one transaction,
 * its output file (the lines answered 2xx) and error file (the others), and its final status.
 * A process killed half-way leaves the batch open: the next runner finishes it again.
 */
import type { Kysely } from "kysely";
import { randomId } from "../core/ids.js";
import { sql } from "../store/kysely.js";
import { failPendingLines, lineTotals, type BatchRow } from "../store/repos/batches.js";
import type { Database } from "../store/schema.js";
import { unrunLine } from "./objects.js";

export type FinalStatus = "completed" | "cancelled" | "expired";

export function newFileId(): string {
  return `file-${randomId(24)}`;
}

/** Fails the lines not run yet (the batch was cancelled or has expired). */
export function failUnrun(db: Kysely<Database>, b: Pick<BatchRow, "id">, reason: "batch_cancelled" | "batch_expired"): Promise<number> {
  return failPendingLines(db, b.id, (idx, customId) => unrunLine(b.id, idx, customId, reason));
}

export async function finishBatch(db: Kysely<Database>, b: BatchRow, status: FinalStatus): Promise<void> {
  if (status === "completed") {
    await db
      .updateTable("batches")
      .set({ status: "finalizing", finalizing_at: sql<Date>`coalesce(finalizing_at, now())` })
      .where("id", "=", b.id)
      .where("status", "=", "in_progress")
      .execute();
  }
  const totals = await lineTotals(db, b.id);
  await db.transaction().execute(async (trx) => {
    const expiresAt = b.output_expires_seconds ? sql<Date>`now() + ${b.output_expires_seconds} * interval '1 second'` : null;
    const file = async (kind: "output" | "error", t: { lines: number; bytes: number }) => {
      if (t.lines === 0) return null;
      const id = newFileId();
      await trx
        .insertInto("files")
        .values({
          id,
          key_id: b.key_id,
          purpose: "batch_output",
          filename: `${b.id}_${kind}.jsonl`,
          bytes: t.bytes,
          lines: t.lines,
          content: null,
          batch_id: b.id,
          expires_at: expiresAt as unknown as Date | null,
        })
        .execute();
      return id;
    };
    const current = await trx.selectFrom("batches").select(["status", "output_file_id"]).where("id", "=", b.id).forUpdate().executeTakeFirst();
    if (!current || !["in_progress", "finalizing", "cancelling", "validating"].includes(current.status)) return; // finished by someone else
    const at = status === "completed" ? "completed_at" : status === "cancelled" ? "cancelled_at" : "expired_at";
    await trx
      .updateTable("batches")
      .set({
        status,
        [at]: sql<Date>`now()`,
        output_file_id: await file("output", totals.done),
        error_file_id: await file("error", totals.failed),
        lease_owner: null,
        lease_until: null,
      })
      .where("id", "=", b.id)
      .execute();
  });
}

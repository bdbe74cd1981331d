/**
 * Files, batches and batch lines (`/v1/files`, `/v1/batches`): every read and write of the
 * `files`, `batches` and `batch_lines` tables. A key sees only its own rows; the master key
 * (`owner: undefined`) sees all. Lists are newest first, paged by the id of the last row seen.
 */
import type { Kysely, Selectable } from "kysely";
import { sql } from "../kysely.js";
import type { BatchesTable, BatchLinesTable, Database, FilesTable } from "../schema.js";

export type FileRow = Omit<Selectable<FilesTable>, "content">;
export type BatchRow = Selectable<BatchesTable>;
export type BatchLineRow = Selectable<BatchLinesTable>;

/** Whose rows: a key's id, null for the master key's own, undefined for every row (the master key). */
export type Owner = string | null | undefined;

/** Statuses of a batch that is not over yet: what the runners pick up. */
export const OPEN_STATUSES = ["validating", "in_progress", "finalizing", "cancelling"] as const;

const FILE_COLUMNS = ["id", "key_id", "purpose", "filename", "bytes", "lines", "batch_id", "created_at", "expires_at"] as const;

export async function insertFile(
  db: Kysely<Database>,
  f: { id: string; keyId: string | null; purpose: string; filename: string; bytes: number; lines: number; content: Buffer | null; batchId: string | null; expiresAt: Date | null },
): Promise<FileRow> {
  return db
    .insertInto("files")
    .values({ id: f.id, key_id: f.keyId, purpose: f.purpose, filename: f.filename, bytes: f.bytes, lines: f.lines, content: f.content, batch_id: f.batchId, expires_at: f.expiresAt })
    .returning(FILE_COLUMNS)
    .executeTakeFirstOrThrow();
}

/** A file the owner may see, not expired. */
export async function findFile(db: Kysely<Database>, id: string, owner: Owner): Promise<FileRow | undefined> {
  let q = db
    .selectFrom("files")
    .select(FILE_COLUMNS)
    .where("id", "=", id)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]));
  if (owner !== undefined) q = owner === null ? q.where("key_id", "is", null) : q.where("key_id", "=", owner);
  return q.executeTakeFirst();
}

export async function fileContent(db: Kysely<Database>, id: string): Promise<Buffer | null> {
  const r = await db.selectFrom("files").select("content").where("id", "=", id).executeTakeFirst();
  return r?.content ?? null;
}

export async function deleteFile(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.deleteFrom("files").where("id", "=", id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listFiles(db: Kysely<Database>, o: { owner: Owner; limit: number; after?: string; purpose?: string; order: "asc" | "desc" }): Promise<FileRow[]> {
  let q = db
    .selectFrom("files")
    .select(FILE_COLUMNS)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]));
  if (o.owner !== undefined) q = o.owner === null ? q.where("key_id", "is", null) : q.where("key_id", "=", o.owner);
  if (o.purpose) q = q.where("purpose", "=", o.purpose);
  if (o.after) {
    const cmp = o.order === "desc" ? "<" : ">";
    q = q.where((eb) => eb(eb.refTuple("created_at", "id"), cmp, eb.selectFrom("files as a").select(["a.created_at", "a.id"]).where("a.id", "=", o.after!) as never));
  }
  return q.orderBy("created_at", o.order).orderBy("id", o.order).limit(o.limit).execute();
}

export async function findBatch(db: Kysely<Database>, id: string, owner: Owner): Promise<BatchRow | undefined> {
  let q = db.selectFrom("batches").selectAll().where("id", "=", id);
  if (owner !== undefined) q = owner === null ? q.where("key_id", "is", null) : q.where("key_id", "=", owner);
  return q.executeTakeFirst();
}

export async function listBatches(db: Kysely<Database>, o: { owner: Owner; limit: number; after?: string }): Promise<BatchRow[]> {
  let q = db.selectFrom("batches").selectAll();
  if (o.owner !== undefined) q = o.owner === null ? q.where("key_id", "is", null) : q.where("key_id", "=", o.owner);
  if (o.after) q = q.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.selectFrom("batches as a").select(["a.created_at", "a.id"]).where("a.id", "=", o.after!) as never));
  return q.orderBy("created_at", "desc").orderBy("id", "desc").limit(o.limit).execute();
}

/** A new batch and its lines, in one transaction. Lines are inserted in chunks carried as one JSON parameter each. */
export async function insertBatch(
  db: Kysely<Database>,
  b: Omit<BatchRow, "created_at" | "lease_owner" | "lease_until" | "metadata" | "errors" | "native"> & {
    metadata: Record<string, string> | null;
    errors: Record<string, unknown> | null;
    native?: Record<string, unknown> | null;
  },
  lines: ReadonlyArray<{ idx: number; custom_id: string; /** JSON text, kept as written (key order included). */ body: string; state: "pending" | "failed"; result: string | null }>,
): Promise<BatchRow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("batches")
      .values({
        ...b,
        metadata: b.metadata === null ? null : JSON.stringify(b.metadata),
        errors: b.errors === null ? null : JSON.stringify(b.errors),
        native: b.native ? JSON.stringify(b.native) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (let i = 0; i < lines.length; i += 500) {
      const chunk = JSON.stringify(lines.slice(i, i + 500));
      await sql`insert into batch_lines (batch_id, idx, custom_id, body, state, result)
        select ${b.id}, (l->>'idx')::int, l->>'custom_id', (l->>'body')::json, l->>'state', l->>'result'
        from jsonb_array_elements(${chunk}::jsonb) as l`.execute(trx);
    }
    return row;
  });
}

/**
 * Takes the lease of one open batch whose lease is free or expired (or already this owner's),
 * skipping rows another instance is claiming at this moment.
 */
export async function claimBatch(db: Kysely<Database>, owner: string, leaseMs: number, exclude: readonly string[]): Promise<BatchRow | undefined> {
  const r = await sql<BatchRow>`update batches set lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
    where id = (
      select id from batches
      where status in ('validating', 'in_progress', 'finalizing', 'cancelling')
        and (lease_until is null or lease_until < now())
        ${exclude.length ? sql`and id not in (${sql.join(exclude)})` : sql``}
      order by created_at limit 1 for update skip locked)
    returning *`.execute(db);
  return r.rows[0];
}

/** Extends this owner's lease; false when another instance has taken the batch meanwhile. */
export async function renewLease(db: Kysely<Database>, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const r = await db
    .updateTable("batches")
    .set({ lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
    .where("id", "=", id)
    .where("lease_owner", "=", owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function releaseLease(db: Kysely<Database>, id: string, owner: string): Promise<void> {
  await db.updateTable("batches").set({ lease_owner: null, lease_until: null }).where("id", "=", id).where("lease_owner", "=", owner).execute();
}

/** Pending lines after `afterIdx`, in order. */
export async function pendingLines(db: Kysely<Database>, batchId: string, afterIdx: number, limit: number): Promise<BatchLineRow[]> {
  return db.selectFrom("batch_lines").selectAll().where("batch_id", "=", batchId).where("state", "=", "pending").where("idx", ">", afterIdx).orderBy("idx").limit(limit).execute();
}

/** Finished lines (their results) after `afterIdx`, in order: an output or error file's content, page by page. */
export async function resultLines(db: Kysely<Database>, batchId: string, state: "done" | "failed", afterIdx: number, limit: number): Promise<Array<{ idx: number; result: string | null }>> {
  return db.selectFrom("batch_lines").select(["idx", "result"]).where("batch_id", "=", batchId).where("state", "=", state).where("idx", ">", afterIdx).orderBy("idx").limit(limit).execute();
}

/**
 * Fails every pending line of a batch with its own error line (`text(idx, custom_id)`), page by
 * page; the batch's failed count grows by the lines changed. Returns how many.
 */
export async function failPendingLines(db: Kysely<Database>, batchId: string, text: (idx: number, customId: string) => string): Promise<number> {
  let total = 0;
  for (;;) {
    const page = await db.selectFrom("batch_lines").select(["idx", "custom_id"]).where("batch_id", "=", batchId).where("state", "=", "pending").orderBy("idx").limit(500).execute();
    if (!page.length) return total;
    const changes = JSON.stringify(page.map((l) => ({ idx: l.idx, text: text(l.idx, l.custom_id) })));
    const n = await db.transaction().execute(async (trx) => {
      const r = await sql`update batch_lines set state = 'failed', result = x.text, updated_at = now()
        from jsonb_to_recordset(${changes}::jsonb) as x(idx int, text text)
        where batch_lines.batch_id = ${batchId} and batch_lines.idx = x.idx and batch_lines.state = 'pending'`.execute(trx);
      const changed = Number(r.numAffectedRows ?? 0n);
      await trx
        .updateTable("batches")
        .set({ failed: sql<number>`failed + ${changed}` })
        .where("id", "=", batchId)
        .execute();
      return changed;
    });
    total += n;
  }
}

/** Lines done and failed, and the bytes of their output and error files (each line and its newline). */
export async function lineTotals(db: Kysely<Database>, batchId: string): Promise<Record<"done" | "failed" | "pending", { lines: number; bytes: number }>> {
  const rows = await db
    .selectFrom("batch_lines")
    .select(["state", sql<string>`count(*)`.as("n"), sql<string>`coalesce(sum(octet_length(result) + 1), 0)`.as("bytes")])
    .where("batch_id", "=", batchId)
    .groupBy("state")
    .execute();
  const out = { done: { lines: 0, bytes: 0 }, failed: { lines: 0, bytes: 0 }, pending: { lines: 0, bytes: 0 } };
  for (const r of rows) if (r.state in out) out[r.state as keyof typeof out] = { lines: Number(r.n), bytes: Number(r.bytes) };
  return out;
}

/**
 * The admin audit log (`audit_events`): append-only, one row per management action, written in
 * the same transaction as the change it describes. `changes` never holds a secret.
 */
import type { Kysely, Selectable } from "kysely";
import { sql } from "../kysely.js";
import type { AuditEventsTable, Database } from "../schema.js";
import { afterCursor, cursorTs, json, toPage, type Page, type PageRequest } from "./page.js";

export type AuditRow = Selectable<AuditEventsTable>;

export interface NewAuditEvent {
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  changes: Record<string, unknown>;
  /** When it happened; default the database's clock. */
  at?: Date;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export async function recordAudit(db: Kysely<Database>, event: NewAuditEvent): Promise<void> {
  await db
    .insertInto("audit_events")
    .values({ ...event, changes: json(event.changes) })
    .execute();
}

/** The audit action of a wrong master key at the dashboard's sign-in. */
export const SIGN_IN_FAILED = "session.sign_in_failed";

/**
 * When sign-ins from `sourceIp` (null: without an address) failed at or after `since`, newest
 * first, at most `limit` of them. The action is written into the SQL as a literal so that the
 * planner can use the partial index of failed sign-ins.
 */
export async function recentSignInFailures(db: Kysely<Database>, sourceIp: string | null, since: Date, limit: number): Promise<Date[]> {
  const rows = await db
    .selectFrom("audit_events")
    .select("at")
    .where("action", "=", sql.lit(SIGN_IN_FAILED))
    .where("source_ip", sourceIp === null ? "is" : "=", sourceIp)
    .where("at", ">=", since)
    .orderBy("at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => r.at);
}

export async function listAudit(db: Kysely<Database>, filter: AuditFilter, page: PageRequest): Promise<Page<AuditRow>> {
  let q = db.selectFrom("audit_events").selectAll().select(cursorTs("at").as("cursor_ts"));
  if (filter.actor !== undefined) q = q.where("actor", "=", filter.actor);
  if (filter.action !== undefined) q = q.where("action", "=", filter.action);
  if (filter.target_type !== undefined) q = q.where("target_type", "=", filter.target_type);
  if (filter.target_id !== undefined) q = q.where("target_id", "=", filter.target_id);
  if (filter.from !== undefined) q = q.where("at", ">=", filter.from);
  if (filter.to !== undefined) q = q.where("at", "<", filter.to);
  if (page.cursor) q = q.where(afterCursor("at", "id", page.cursor, "bigint"));
  const rows = await q
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(
    rows,
    page.limit,
    (r) => String(r.id),
    ({ cursor_ts: _, ...row }) => row,
  );
}

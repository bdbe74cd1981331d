/**
 * Dashboard sessions (`ui_sessions`), keyed by the SHA-256 of the session id. Expired rows are
 * never honoured (every lookup checks both expiry times) and are deleted as sessions are made.
 */
import type { Kysely, Selectable } from "kysely";
import type { Database, UiSessionsTable } from "../schema.js";

export type UiSessionRow = Selectable<UiSessionsTable>;

export async function insertUiSession(db: Kysely<Database>, row: UiSessionRow): Promise<void> {
  await db.insertInto("ui_sessions").values(row).execute();
}

/** The session, when it exists and neither its absolute nor its idle expiry has passed at `now`. */
export async function findLiveUiSession(db: Kysely<Database>, idHash: string, now: Date, idleCutoff: Date): Promise<UiSessionRow | undefined> {
  return db.selectFrom("ui_sessions").selectAll().where("id_hash", "=", idHash).where("expires_at", ">", now).where("last_seen_at", ">", idleCutoff).executeTakeFirst();
}

export async function touchUiSession(db: Kysely<Database>, idHash: string, now: Date): Promise<void> {
  await db.updateTable("ui_sessions").set({ last_seen_at: now }).where("id_hash", "=", idHash).execute();
}

/** True when a session was deleted. */
export async function deleteUiSession(db: Kysely<Database>, idHash: string): Promise<boolean> {
  const r = await db.deleteFrom("ui_sessions").where("id_hash", "=", idHash).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes sessions past their absolute expiry or idle for longer than allowed. */
export async function deleteExpiredUiSessions(db: Kysely<Database>, now: Date, idleCutoff: Date): Promise<void> {
  await db
    .deleteFrom("ui_sessions")
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<=", idleCutoff)]))
    .execute();
}

/** Virtual keys (`api_keys`): the row holds the key's sha256 and display prefix, never the key. */
import { sql } from "../kysely.js";
import type { Kysely, RawBuilder, Selectable } from "kysely";
import type { ApiKeysTable, Database } from "../schema.js";
import { afterCursor, cursorTs, json, toPage, type Page, type PageRequest } from "./page.js";

export type KeyRow = Selectable<ApiKeysTable>;
export type KeyStatus = "active" | "inactive" | "expired" | "revoked";

/** The settings of a key that the API may set (everything but its secret and timestamps). */
export interface KeySettings {
  key_name: string | null;
  user_id: string | null;
  team_id: string | null;
  expires_at: Date | null;
  is_active: boolean;
  metadata: Record<string, unknown>;
  allowed_models: string[] | null;
  allowed_ips: string[] | null;
  budget_id: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

export interface NewKeyRecord extends KeySettings {
  id: string;
  key_hash: string;
  key_prefix: string;
}

export interface KeyFilter {
  user_id?: string;
  team_id?: string;
  status?: KeyStatus;
}

/** What a key is at `now`: revoked beats inactive beats expired. */
export function keyStatus(row: Pick<KeyRow, "revoked_at" | "is_active" | "expires_at">, now: Date = new Date()): KeyStatus {
  if (row.revoked_at) return "revoked";
  if (!row.is_active) return "inactive";
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return "expired";
  return "active";
}

/** A nullable jsonb list: SQL NULL (no restriction) or the list as JSON text. */
function jsonList(v: string[] | null): string | RawBuilder<string> {
  return v === null ? sql<string>`null` : json(v);
}

function settingsColumns<S extends Partial<KeySettings>>(s: S) {
  const { metadata, allowed_models, allowed_ips, ...plain } = s;
  return {
    ...plain,
    ...(metadata !== undefined ? { metadata: json(metadata) } : {}),
    ...(allowed_models !== undefined ? { allowed_models: jsonList(allowed_models) } : {}),
    ...(allowed_ips !== undefined ? { allowed_ips: jsonList(allowed_ips) } : {}),
  };
}

export async function insertKey(db: Kysely<Database>, rec: NewKeyRecord, now: Date): Promise<KeyRow> {
  return db
    .insertInto("api_keys")
    .values({
      ...settingsColumns(rec),
      metadata: json(rec.metadata),
      allowed_models: jsonList(rec.allowed_models),
      allowed_ips: jsonList(rec.allowed_ips),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The key, locked against concurrent changes when `forUpdate` (inside a transaction). */
export async function findKey(db: Kysely<Database>, id: string, forUpdate = false): Promise<KeyRow | undefined> {
  let q = db.selectFrom("api_keys").selectAll().where("id", "=", id);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function updateKey(db: Kysely<Database>, id: string, patch: Partial<KeySettings>, now: Date): Promise<KeyRow> {
  return db
    .updateTable("api_keys")
    .set({ ...settingsColumns(patch), updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function revokeKey(db: Kysely<Database>, id: string, now: Date): Promise<KeyRow> {
  return db.updateTable("api_keys").set({ revoked_at: now, is_active: false, updated_at: now }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/** Replaces the key's secret (hash and display prefix) in place. */
export async function replaceSecret(db: Kysely<Database>, id: string, hash: string, prefix: string, now: Date): Promise<KeyRow> {
  return db.updateTable("api_keys").set({ key_hash: hash, key_prefix: prefix, updated_at: now }).where("id", "=", id).returningAll().executeTakeFirstOrThrow();
}

/** Every key of a user (any status). */
export async function keysOfUser(db: Kysely<Database>, userId: string): Promise<KeyRow[]> {
  return db.selectFrom("api_keys").selectAll().where("user_id", "=", userId).execute();
}

/** Every key attached to a team directly, or through a member user. */
export async function keysOfTeam(db: Kysely<Database>, teamId: string): Promise<KeyRow[]> {
  return db
    .selectFrom("api_keys")
    .selectAll()
    .where((eb) => eb.or([eb("team_id", "=", teamId), eb("user_id", "in", eb.selectFrom("users").select("users.user_id").where("users.team_id", "=", teamId))]))
    .execute();
}

/** Detaches every key from a team (the team is being deleted). */
export async function clearKeysTeam(db: Kysely<Database>, teamId: string, now: Date): Promise<void> {
  await db.updateTable("api_keys").set({ team_id: null, updated_at: now }).where("team_id", "=", teamId).execute();
}

export async function listKeys(db: Kysely<Database>, filter: KeyFilter, page: PageRequest, now: Date): Promise<Page<KeyRow>> {
  let q = db.selectFrom("api_keys").selectAll().select(cursorTs("created_at").as("cursor_ts"));
  if (filter.user_id !== undefined) q = q.where("user_id", "=", filter.user_id);
  if (filter.team_id !== undefined) q = q.where("team_id", "=", filter.team_id);
  switch (filter.status) {
    case "revoked":
      q = q.where("revoked_at", "is not", null);
      break;
    case "inactive":
      q = q.where("revoked_at", "is", null).where("is_active", "=", false);
      break;
    case "expired":
      q = q.where("revoked_at", "is", null).where("is_active", "=", true).where("expires_at", "<=", now);
      break;
    case "active":
      q = q
        .where("revoked_at", "is", null)
        .where("is_active", "=", true)
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]));
      break;
  }
  if (page.cursor) q = q.where(afterCursor("created_at", "id", page.cursor));
  const rows = await q
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(
    rows,
    page.limit,
    (r) => r.id,
    ({ cursor_ts: _, ...row }) => row,
  );
}

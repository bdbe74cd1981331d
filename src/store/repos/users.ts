/** Users (`users`). */
import type { Kysely, Selectable } from "kysely";
import type { Database, UsersTable } from "../schema.js";
import { afterCursor, cursorTs, json, toPage, type Page, type PageRequest } from "./page.js";

export type UserRow = Selectable<UsersTable>;

export interface UserSettings {
  alias: string | null;
  team_id: string | null;
  budget_id: string | null;
  metadata: Record<string, unknown>;
  blocked: boolean;
  /** Requests per minute, tokens per minute, requests per day, concurrent requests; null = no limit. */
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

function columns<S extends Partial<UserSettings>>(s: S) {
  const { metadata, ...plain } = s;
  return { ...plain, ...(metadata !== undefined ? { metadata: json(metadata) } : {}) };
}

export async function insertUser(db: Kysely<Database>, userId: string, s: UserSettings, now: Date): Promise<UserRow> {
  return db
    .insertInto("users")
    .values({ ...columns(s), metadata: json(s.metadata), user_id: userId, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findUser(db: Kysely<Database>, userId: string, forUpdate = false): Promise<UserRow | undefined> {
  let q = db.selectFrom("users").selectAll().where("user_id", "=", userId);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function userExists(db: Kysely<Database>, userId: string): Promise<boolean> {
  return (await db.selectFrom("users").select("user_id").where("user_id", "=", userId).executeTakeFirst()) !== undefined;
}

export async function updateUser(db: Kysely<Database>, userId: string, patch: Partial<UserSettings>, now: Date): Promise<UserRow> {
  return db
    .updateTable("users")
    .set({ ...columns(patch), updated_at: now })
    .where("user_id", "=", userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom("users").where("user_id", "=", userId).execute();
}

/** Ids of the team's members. */
export async function memberIds(db: Kysely<Database>, teamId: string): Promise<string[]> {
  const rows = await db.selectFrom("users").select("user_id").where("team_id", "=", teamId).execute();
  return rows.map((r) => r.user_id);
}

/** Removes every member from a team (the team is being deleted). */
export async function clearUsersTeam(db: Kysely<Database>, teamId: string, now: Date): Promise<void> {
  await db.updateTable("users").set({ team_id: null, updated_at: now }).where("team_id", "=", teamId).execute();
}

export async function listUsers(db: Kysely<Database>, filter: { team_id?: string }, page: PageRequest): Promise<Page<UserRow>> {
  let q = db.selectFrom("users").selectAll().select(cursorTs("created_at").as("cursor_ts"));
  if (filter.team_id !== undefined) q = q.where("team_id", "=", filter.team_id);
  if (page.cursor) q = q.where(afterCursor("created_at", "user_id", page.cursor));
  const rows = await q
    .orderBy("created_at", "desc")
    .orderBy("user_id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(
    rows,
    page.limit,
    (r) => r.user_id,
    ({ cursor_ts: _, ...row }) => row,
  );
}

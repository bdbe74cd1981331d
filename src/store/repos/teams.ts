/** Teams (`teams`). */
import type { Kysely, Selectable } from "kysely";
import type { Database, TeamsTable } from "../schema.js";
import { afterCursor, cursorTs, json, toPage, type Page, type PageRequest } from "./page.js";

export type TeamRow = Selectable<TeamsTable>;

export interface TeamSettings {
  name: string | null;
  budget_id: string | null;
  metadata: Record<string, unknown>;
  blocked: boolean;
  /** Requests per minute, tokens per minute, requests per day, concurrent requests; null = no limit. */
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

function columns<S extends Partial<TeamSettings>>(s: S) {
  const { metadata, ...plain } = s;
  return { ...plain, ...(metadata !== undefined ? { metadata: json(metadata) } : {}) };
}

export async function insertTeam(db: Kysely<Database>, teamId: string, s: TeamSettings, now: Date): Promise<TeamRow> {
  return db
    .insertInto("teams")
    .values({ ...columns(s), metadata: json(s.metadata), team_id: teamId, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findTeam(db: Kysely<Database>, teamId: string, forUpdate = false): Promise<TeamRow | undefined> {
  let q = db.selectFrom("teams").selectAll().where("team_id", "=", teamId);
  if (forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function teamExists(db: Kysely<Database>, teamId: string): Promise<boolean> {
  return (await db.selectFrom("teams").select("team_id").where("team_id", "=", teamId).executeTakeFirst()) !== undefined;
}

export async function updateTeam(db: Kysely<Database>, teamId: string, patch: Partial<TeamSettings>, now: Date): Promise<TeamRow> {
  return db
    .updateTable("teams")
    .set({ ...columns(patch), updated_at: now })
    .where("team_id", "=", teamId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteTeam(db: Kysely<Database>, teamId: string): Promise<void> {
  await db.deleteFrom("teams").where("team_id", "=", teamId).execute();
}

export async function listTeams(db: Kysely<Database>, page: PageRequest): Promise<Page<TeamRow>> {
  let q = db.selectFrom("teams").selectAll().select(cursorTs("created_at").as("cursor_ts"));
  if (page.cursor) q = q.where(afterCursor("created_at", "team_id", page.cursor));
  const rows = await q
    .orderBy("created_at", "desc")
    .orderBy("team_id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(
    rows,
    page.limit,
    (r) => r.team_id,
    ({ cursor_ts: _, ...row }) => row,
  );
}

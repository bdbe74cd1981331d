/**
 * Budgets (`budgets`: the policy) and their assignments to keys, users and teams
 * (`budget_assignments`, one per subject). Money is integer micro-USD (bigint, read back as a
 * string by node-postgres).
 */
import { sql } from "../kysely.js";
import type { Kysely, Selectable } from "kysely";
import type { BudgetAssignmentsTable, BudgetsTable, Database } from "../schema.js";
import { budgetScope, type SubjectType } from "../scopes.js";
import { afterCursor, cursorTs, json, toPage, type Page, type PageRequest } from "./page.js";

export type BudgetRow = Selectable<BudgetsTable>;
export type AssignmentRow = Selectable<BudgetAssignmentsTable>;
export type { SubjectType } from "../scopes.js";

/** What the API may set on a budget. */
export interface BudgetSettings {
  max_budget_micros: number;
  duration_sec: number | null;
  duration_months: number | null;
  mode: "enforce" | "track";
  alert_thresholds: number[];
  alert_webhook_url: string | null;
  max_request_micros: number | null;
  metadata: Record<string, unknown>;
}

function columns<S extends Partial<BudgetSettings>>(s: S) {
  const { metadata, alert_thresholds, ...plain } = s;
  return {
    ...plain,
    ...(metadata !== undefined ? { metadata: json(metadata) } : {}),
    ...(alert_thresholds !== undefined ? { alert_thresholds: json(alert_thresholds) } : {}),
  };
}

export async function insertBudget(db: Kysely<Database>, budgetId: string, s: BudgetSettings, now: Date): Promise<BudgetRow> {
  return db
    .insertInto("budgets")
    .values({ ...columns(s), metadata: json(s.metadata), alert_thresholds: json(s.alert_thresholds), budget_id: budgetId, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The budget; `lock` takes a row lock inside a transaction (update: it changes; share: it must stay). */
export async function findBudget(db: Kysely<Database>, budgetId: string, lock?: "update" | "share"): Promise<BudgetRow | undefined> {
  let q = db.selectFrom("budgets").selectAll().where("budget_id", "=", budgetId);
  if (lock === "update") q = q.forUpdate();
  if (lock === "share") q = q.forShare();
  return q.executeTakeFirst();
}

export async function updateBudget(db: Kysely<Database>, budgetId: string, patch: Partial<BudgetSettings>, now: Date): Promise<BudgetRow> {
  return db
    .updateTable("budgets")
    .set({ ...columns(patch), updated_at: now })
    .where("budget_id", "=", budgetId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteBudget(db: Kysely<Database>, budgetId: string): Promise<void> {
  await db.deleteFrom("budgets").where("budget_id", "=", budgetId).execute();
}

export async function listBudgets(db: Kysely<Database>, page: PageRequest): Promise<Page<BudgetRow>> {
  let q = db.selectFrom("budgets").selectAll().select(cursorTs("created_at").as("cursor_ts"));
  if (page.cursor) q = q.where(afterCursor("created_at", "budget_id", page.cursor));
  const rows = await q
    .orderBy("created_at", "desc")
    .orderBy("budget_id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(
    rows,
    page.limit,
    (r) => r.budget_id,
    ({ cursor_ts: _, ...row }) => row,
  );
}

/** Every budget. */
export async function allBudgets(db: Kysely<Database>): Promise<BudgetRow[]> {
  return db.selectFrom("budgets").selectAll().execute();
}

/** Every assignment. */
export async function allAssignments(db: Kysely<Database>): Promise<AssignmentRow[]> {
  return db.selectFrom("budget_assignments").selectAll().execute();
}

/** Every assignment of the given budgets, oldest first. */
export async function assignmentsOf(db: Kysely<Database>, budgetIds: readonly string[]): Promise<AssignmentRow[]> {
  if (budgetIds.length === 0) return [];
  return db.selectFrom("budget_assignments").selectAll().where("budget_id", "in", budgetIds).orderBy("created_at").orderBy("id").execute();
}

export async function findAssignment(db: Kysely<Database>, type: SubjectType, subjectId: string): Promise<AssignmentRow | undefined> {
  return db.selectFrom("budget_assignments").selectAll().where("subject_type", "=", type).where("subject_id", "=", subjectId).executeTakeFirst();
}

/**
 * Gives the subject a new assignment of `budgetId` starting at `periodStart` with no alerts sent,
 * replacing any previous one. The new row has a new id: the budget engine keeps in-memory spend
 * only while the assignment id stays the same.
 */
export async function replaceAssignment(db: Kysely<Database>, type: SubjectType, subjectId: string, budgetId: string, periodStart: Date): Promise<AssignmentRow> {
  await deleteAssignment(db, type, subjectId);
  return db
    .insertInto("budget_assignments")
    .values({ budget_id: budgetId, subject_type: type, subject_id: subjectId, period_start: periodStart, alerts_sent: "[]", created_at: periodStart })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Removes the subject's assignment; returns it when there was one. */
export async function deleteAssignment(db: Kysely<Database>, type: SubjectType, subjectId: string): Promise<AssignmentRow | undefined> {
  return db.deleteFrom("budget_assignments").where("subject_type", "=", type).where("subject_id", "=", subjectId).returningAll().executeTakeFirst();
}

/** Removes every assignment of a budget; returns them. */
export async function deleteAssignmentsOf(db: Kysely<Database>, budgetId: string): Promise<AssignmentRow[]> {
  return db.deleteFrom("budget_assignments").where("budget_id", "=", budgetId).returningAll().execute();
}

/** Sets `budget_id = null` on every key, user and team that named the budget; returns who changed. */
export async function detachBudget(db: Kysely<Database>, budgetId: string, now: Date): Promise<{ keys: Array<{ id: string; key_hash: string }>; users: string[]; teams: string[] }> {
  const keys = await db.updateTable("api_keys").set({ budget_id: null, updated_at: now }).where("budget_id", "=", budgetId).returning(["id", "key_hash"]).execute();
  const users = await db.updateTable("users").set({ budget_id: null, updated_at: now }).where("budget_id", "=", budgetId).returning("user_id").execute();
  const teams = await db.updateTable("teams").set({ budget_id: null, updated_at: now }).where("budget_id", "=", budgetId).returning("team_id").execute();
  return { keys, users: users.map((u) => u.user_id), teams: teams.map((t) => t.team_id) };
}

/** Micro-USD the subject spent since `since` (inclusive), summed from the usage ledger. */
export async function ledgerSpend(db: Kysely<Database>, type: SubjectType, subjectId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom("usage")
    .select(sql<string>`coalesce(sum(cost_total_micros), 0)`.as("spend"))
    .where(budgetScope(type).ledgerColumn, "=", subjectId)
    .where("created_at", ">=", since)
    .executeTakeFirstOrThrow();
  return Number(row.spend);
}

/** Logs the period that ended (`budget_resets`) and starts the assignment's new one, with no alerts sent. */
export async function recordReset(
  db: Kysely<Database>,
  a: { assignmentId: string; budgetId: string; subjectType: SubjectType; subjectId: string; newPeriodStart: Date },
  ended: { start: Date; end: Date; spendMicros: number },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("budget_resets")
      .values({
        assignment_id: a.assignmentId,
        budget_id: a.budgetId,
        subject_type: a.subjectType,
        subject_id: a.subjectId,
        period_start: ended.start,
        period_end: ended.end,
        spend_micros: ended.spendMicros,
      })
      // Every instance rolls the period over; the first to write the reset stands.
      .onConflict((oc) => oc.columns(["assignment_id", "period_start"]).doNothing())
      .execute();
    await trx.updateTable("budget_assignments").set({ period_start: a.newPeriodStart, alerts_sent: "[]" }).where("id", "=", a.assignmentId).execute();
  });
}

/** The thresholds (percent) already alerted in the assignment's current period. */
export async function setAlertsSent(db: Kysely<Database>, assignmentId: string, thresholds: readonly number[]): Promise<void> {
  await db
    .updateTable("budget_assignments")
    .set({ alerts_sent: JSON.stringify(thresholds) })
    .where("id", "=", assignmentId)
    .execute();
}

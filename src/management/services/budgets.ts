/**
 * Budgets: the policy (limit, period, mode, alerts) and, read-only here, its assignments with
 * their live spend. Every change publishes `{kind: "budget"}` after the commit so the budget
 * engine reloads the policy.
 */
import { GatewayError } from "../../core/errors.js";
import { randomId } from "../../core/ids.js";
import { microsToUsd, usdToMicros } from "../../catalog/prices.js";
import { currentPeriodStart, formatDuration, parseDuration, periodEnd, type Duration } from "../../budgets/duration.js";
import {
  assignmentsOf,
  deleteAssignmentsOf,
  deleteBudget as deleteBudgetRow,
  detachBudget,
  findBudget,
  insertBudget,
  ledgerSpend,
  listBudgets,
  updateBudget as updateBudgetRow,
  type AssignmentRow,
  type BudgetRow,
  type BudgetSettings,
} from "../../store/repos/budgets.js";
import type { Page, PageRequest } from "../../store/repos/page.js";
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import type { Actor, ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import type { BudgetAssignmentObject, BudgetCreate, BudgetObject, BudgetPatch } from "../schemas/budgets.js";
import { diff, mutate, snapshot } from "./common.js";

export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [50, 80, 100];

/** The policy as the API shows it (what the audit log compares). */
type Policy = Omit<BudgetObject, "budget_id" | "created_at" | "updated_at" | "assignments">;
const POLICY_FIELDS: ReadonlyArray<keyof Policy> = ["max_budget", "budget_duration", "budget_duration_sec", "mode", "alert_thresholds", "alert_webhook_url", "max_request_usd", "metadata"];

export function durationOf(row: Pick<BudgetRow, "duration_sec" | "duration_months">): Duration {
  return { seconds: row.duration_sec, months: row.duration_months };
}

function policyOf(row: BudgetRow): Policy {
  const d = durationOf(row);
  return {
    max_budget: Number(microsToUsd(Number(row.max_budget_micros))),
    budget_duration: formatDuration(d),
    budget_duration_sec: d.seconds ?? null,
    mode: row.mode,
    alert_thresholds: row.alert_thresholds ?? [],
    alert_webhook_url: row.alert_webhook_url,
    max_request_usd: row.max_request_micros === null ? null : Number(microsToUsd(Number(row.max_request_micros))),
    metadata: row.metadata ?? {},
  };
}

/**
 * The period given by `budget_duration` or `budget_duration_sec` (null: never resets), or
 * undefined when neither is given. Both at once is a 400.
 */
function durationFrom(body: BudgetPatch): Duration | null | undefined {
  const text = body.budget_duration;
  const sec = body.budget_duration_sec;
  if (text !== undefined && sec !== undefined && (text !== null || sec !== null)) {
    throw new GatewayError("invalid_request", "give budget_duration or budget_duration_sec, not both", { param: "budget_duration" });
  }
  if (text !== undefined) return text === null ? null : parseDuration(text);
  if (sec !== undefined) return sec === null ? null : { seconds: sec, months: null };
  return undefined;
}

/** Sorted, without duplicates: the order in which alerts fire. */
const thresholds = (list: readonly number[]): number[] => [...new Set(list)].sort((a, b) => a - b);

function patchFrom(body: BudgetPatch): Partial<BudgetSettings> {
  const patch: Partial<BudgetSettings> = {};
  if (body.max_budget !== undefined) patch.max_budget_micros = usdToMicros(body.max_budget);
  const d = durationFrom(body);
  if (d !== undefined) {
    patch.duration_sec = d?.seconds ?? null;
    patch.duration_months = d?.months ?? null;
  }
  if (body.mode !== undefined) patch.mode = body.mode;
  if (body.alert_thresholds !== undefined) patch.alert_thresholds = thresholds(body.alert_thresholds);
  if (body.alert_webhook_url !== undefined) patch.alert_webhook_url = body.alert_webhook_url;
  if (body.max_request_usd !== undefined) patch.max_request_micros = body.max_request_usd === null ? null : usdToMicros(body.max_request_usd);
  if (body.metadata !== undefined) patch.metadata = body.metadata;
  return patch;
}

function settingsFrom(body: BudgetCreate): BudgetSettings {
  const p = patchFrom(body);
  return {
    max_budget_micros: p.max_budget_micros!,
    duration_sec: p.duration_sec ?? null,
    duration_months: p.duration_months ?? null,
    mode: p.mode ?? "enforce",
    alert_thresholds: p.alert_thresholds ?? [...DEFAULT_ALERT_THRESHOLDS],
    alert_webhook_url: p.alert_webhook_url ?? null,
    max_request_micros: p.max_request_micros ?? null,
    metadata: p.metadata ?? {},
  };
}

/**
 * An assignment's current period and spend: from the budget engine's book when it holds this
 * very assignment in a period that has not ended, else summed from the ledger since the start of
 * the current period.
 */
async function assignmentObject(deps: ManagementDeps, db: Kysely<Database>, budget: BudgetRow, a: AssignmentRow, now: Date): Promise<BudgetAssignmentObject> {
  const base = { subject_type: a.subject_type, subject_id: a.subject_id };
  const live = deps.budgets?.book.get(a.subject_type, a.subject_id);
  if (live && live.id === String(a.id) && live.budget.id === a.budget_id && (!live.periodEnd || live.periodEnd.getTime() > now.getTime())) {
    return { ...base, period_start: live.periodStart.toISOString(), reset_at: live.periodEnd?.toISOString() ?? null, spend_usd: microsToUsd(live.spendMicros) };
  }
  const duration = durationOf(budget);
  const start = currentPeriodStart(a.period_start, duration, now);
  const end = periodEnd(start, duration);
  const spend = await ledgerSpend(db, a.subject_type, a.subject_id, start);
  return { ...base, period_start: start.toISOString(), reset_at: end?.toISOString() ?? null, spend_usd: microsToUsd(spend) };
}

async function budgetObjects(deps: ManagementDeps, db: Kysely<Database>, rows: readonly BudgetRow[]): Promise<BudgetObject[]> {
  const now = new Date();
  const byBudget = new Map<string, AssignmentRow[]>();
  for (const a of await assignmentsOf(
    db,
    rows.map((r) => r.budget_id),
  )) {
    const list = byBudget.get(a.budget_id) ?? [];
    list.push(a);
    byBudget.set(a.budget_id, list);
  }
  const out: BudgetObject[] = [];
  for (const row of rows) {
    const assignments: BudgetAssignmentObject[] = [];
    for (const a of byBudget.get(row.budget_id) ?? []) assignments.push(await assignmentObject(deps, db, row, a, now));
    out.push({
      budget_id: row.budget_id,
      ...policyOf(row),
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
      assignments,
    });
  }
  return out;
}

export async function createBudget(deps: ManagementDeps, actor: Actor, body: BudgetCreate): Promise<BudgetObject> {
  const budgetId = body.budget_id ?? `budget_${randomId(20)}`;
  const settings = settingsFrom(body);
  return mutate(deps, actor, async (m) => {
    if (await findBudget(m.trx, budgetId)) throw new GatewayError("conflict", `budget '${budgetId}' already exists`, { param: "budget_id" });
    const row = await insertBudget(m.trx, budgetId, settings, m.now);
    await m.audit("budget.create", "budget", budgetId, snapshot(policyOf(row), POLICY_FIELDS));
    m.invalidate({ kind: "budget", budgetId });
    return (await budgetObjects(deps, m.trx, [row]))[0];
  });
}

export async function getBudget(deps: ManagementDeps, budgetId: string): Promise<BudgetObject> {
  const row = await findBudget(deps.db, budgetId);
  if (!row) throw notFound("budget", budgetId, "budget_id");
  return (await budgetObjects(deps, deps.db, [row]))[0];
}

export async function listBudgetPage(deps: ManagementDeps, page: PageRequest): Promise<Page<BudgetObject>> {
  const rows = await listBudgets(deps.db, page);
  return { data: await budgetObjects(deps, deps.db, rows.data), nextCursor: rows.nextCursor };
}

export async function updateBudget(deps: ManagementDeps, actor: Actor, budgetId: string, body: BudgetPatch): Promise<BudgetObject> {
  const patch = patchFrom(body);
  return mutate(deps, actor, async (m) => {
    const before = await findBudget(m.trx, budgetId, "update");
    if (!before) throw notFound("budget", budgetId, "budget_id");
    const after = await updateBudgetRow(m.trx, budgetId, patch, m.now);
    await m.audit("budget.update", "budget", budgetId, diff(policyOf(before), policyOf(after), POLICY_FIELDS));
    m.invalidate({ kind: "budget", budgetId });
    return (await budgetObjects(deps, m.trx, [after]))[0];
  });
}

/**
 * Deletes the policy and its assignments; keys, users and teams that named it keep existing with
 * `budget_id: null`. Returns the budget as it was (with the assignments it had).
 */
export async function deleteBudget(deps: ManagementDeps, actor: Actor, budgetId: string): Promise<BudgetObject> {
  return mutate(deps, actor, async (m) => {
    const row = await findBudget(m.trx, budgetId, "update");
    if (!row) throw notFound("budget", budgetId, "budget_id");
    const object = (await budgetObjects(deps, m.trx, [row]))[0];
    const removed = await deleteAssignmentsOf(m.trx, budgetId);
    const detached = await detachBudget(m.trx, budgetId, m.now);
    await deleteBudgetRow(m.trx, budgetId);
    await m.audit("budget.delete", "budget", budgetId, {
      removed_assignments: removed.map((a) => `${a.subject_type}:${a.subject_id}`),
      detached_keys: detached.keys.map((k) => k.id),
      detached_users: detached.users,
      detached_teams: detached.teams,
    });
    m.invalidate({ kind: "budget", budgetId });
    for (const a of removed) m.invalidate({ kind: "assignment", subjectType: a.subject_type, subjectId: a.subject_id });
    for (const k of detached.keys) m.invalidate({ kind: "key", keyHash: k.key_hash });
    for (const userId of detached.users) m.invalidate({ kind: "user", userId });
    for (const teamId of detached.teams) m.invalidate({ kind: "team", teamId });
    return object;
  });
}

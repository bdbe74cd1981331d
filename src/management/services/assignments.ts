/**
 * Attaching budgets: a key, user or team whose `budget_id` is set has one budget assignment with
 * its own period and spend. Setting or changing `budget_id` starts a new assignment (period from
 * now, no alerts sent); clearing it removes the assignment. Runs inside the caller's mutation, so
 * the subject's row, its assignment and the audit row commit together; the budget engine hears
 * `{kind: "assignment"}` after the commit.
 */
import { GatewayError } from "../../core/errors.js";
import { deleteAssignment, findAssignment, findBudget, replaceAssignment, type SubjectType } from "../../store/repos/budgets.js";
import type { Mutation } from "./common.js";

export type AssignmentChange = "created" | "replaced" | "removed";

/** 400 naming `budget_id` when the budget does not exist; holds it (share lock) until the commit. */
export async function assertBudget(m: Mutation, budgetId: string | null | undefined): Promise<void> {
  if (!budgetId) return;
  if (!(await findBudget(m.trx, budgetId, "share"))) {
    throw new GatewayError("invalid_request", `budget_id: budget '${budgetId}' does not exist`, { param: "budget_id" });
  }
}

/** Makes the subject's assignment follow its `budget_id`; returns what changed (null: nothing). */
export async function syncAssignment(m: Mutation, type: SubjectType, subjectId: string, budgetId: string | null): Promise<AssignmentChange | null> {
  const current = await findAssignment(m.trx, type, subjectId);
  let change: AssignmentChange | null = null;
  if (budgetId === null) {
    if (current) {
      await deleteAssignment(m.trx, type, subjectId);
      change = "removed";
    }
  } else if (!current || current.budget_id !== budgetId) {
    await replaceAssignment(m.trx, type, subjectId, budgetId, m.now);
    change = current ? "replaced" : "created";
  }
  if (change) m.invalidate({ kind: "assignment", subjectType: type, subjectId });
  return change;
}

/** `{budget_assignment: change}` for the audit row when the assignment changed, else nothing. */
export function assignmentAudit(change: AssignmentChange | null): Record<string, unknown> {
  return change ? { budget_assignment: change } : {};
}

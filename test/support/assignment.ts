/** A budget assignment as the book holds it, for tests that drive the budgets' Redis path directly (no database). */
import type { Assignment } from "../../src/budgets/book.js";

/** A budget of `limitMicros` (enforced, never resetting, nothing spent) on the subject `<type>-<id>`; `over` changes the budget. */
export function testAssignment(id: string, limitMicros: number, over: Partial<Assignment["budget"]> = {}, subjectType: Assignment["subjectType"] = "key"): Assignment {
  return {
    id,
    subjectType,
    subjectId: `${subjectType}-${id}`,
    budget: { id: `budget-${id}`, limitMicros, duration: { seconds: null, months: null }, mode: "enforce", thresholds: [], webhookUrl: null, maxRequestMicros: null, ...over },
    periodStart: new Date(0),
    periodEnd: null,
    spendMicros: 0,
    reservedMicros: 0,
    alertsSent: new Set(),
  };
}

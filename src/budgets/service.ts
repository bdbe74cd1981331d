/**
 * Keeps the budget book in step with the database: loads budgets, assignments and each
 * assignment's spend (summed from the ledger) at start; reloads what a management change names;
 * writes resets to the reset log and sends threshold alerts (one webhook POST per threshold per
 * period).
 */
import type { Kysely } from "kysely";
import { microsToUsd } from "../catalog/prices.js";
import type { InvalidationBus, InvalidationEvent } from "../policy/invalidation.js";
import type { Database } from "../store/schema.js";
import { allAssignments, allBudgets, assignmentsOf, findAssignment, findBudget, ledgerSpend, recordReset, setAlertsSent, type AssignmentRow, type BudgetRow } from "../store/repos/budgets.js";
import { BudgetBook, type Assignment, type BudgetPolicy, type Reservation, type SubjectType } from "./book.js";
import { BUDGET_SCOPES, type ScopedPrincipal } from "../store/scopes.js";
import type { SharedBudgets } from "./shared.js";

export function toPolicy(r: BudgetRow): BudgetPolicy {
  return {
    id: r.budget_id,
    limitMicros: Number(r.max_budget_micros),
    duration: { seconds: r.duration_sec, months: r.duration_months },
    mode: r.mode,
    thresholds: [...(r.alert_thresholds ?? [])].sort((a, b) => a - b),
    webhookUrl: r.alert_webhook_url,
    maxRequestMicros: r.max_request_micros === null ? null : Number(r.max_request_micros),
  };
}

export class BudgetService {
  readonly book: BudgetBook;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly reloads = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Kysely<Database>,
    bus: InvalidationBus,
    private readonly log: (line: string) => void,
  ) {
    this.book = new BudgetBook({ alert: (a, t) => this.alert(a, t), reset: (a, prev) => this.reset(a, prev) });
    this.unsubscribe = bus.subscribe((e) => this.onChange(e));
  }

  /** With REDIS_URL: spend and reservations shared by every instance (shared.ts). */
  shared?: SharedBudgets;

  /**
   * With several instances: the subjects (`key:<id>`, …) whose assignment this instance has read
   * from the database itself since it last heard of a change to them. A key created, or a budget
   * assigned, through another instance may be used here before the news of it arrives.
   */
  private readonly confirmed = new Set<string>();

  /**
   * Makes sure the book knows the assignments of the principal's key, user and team before a
   * request is judged by them: with Redis, the first request of each subject on this instance
   * reads its assignment from the database (once; a change announced later drops the mark).
   * Answers at once on one instance, and for subjects already read.
   */
  ensureKnown(p: ScopedPrincipal): void | Promise<void> {
    if (!this.shared) return;
    let todo: Array<Promise<void>> | undefined;
    for (const scope of BUDGET_SCOPES) {
      const id = p[scope.principal];
      if (!id) continue;
      const mark = `${scope.type}:${id}`;
      if (this.confirmed.has(mark)) continue;
      (todo ??= []).push(this.reloadAssignment(scope.type, id).then(() => void this.confirmed.add(mark)));
    }
    if (todo) return Promise.all(todo).then(() => {});
  }

  /** Reserves on every assignment: in this instance's book, or in Redis for all instances. */
  reserve(list: Assignment[], micros: number): Reservation | Promise<Reservation> {
    return this.shared ? this.shared.reserve(list, micros) : this.book.reserve(list, micros);
  }

  /** Settles a reservation to the actual cost; idempotent. */
  settle(r: Reservation, actualMicros: number): void {
    if (this.shared) this.shared.settle(r, actualMicros);
    else this.book.settle(r, actualMicros);
  }

  async load(): Promise<void> {
    for (const r of await allBudgets(this.db)) this.book.setBudget(toPolicy(r));
    for (const r of await allAssignments(this.db)) await this.loadAssignment(r);
  }

  /** Resolves when every background write (reset log, alert state) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Resolves when every reload of budgets and assignments started so far has finished (not alerts or resets). */
  async reloaded(): Promise<void> {
    while (this.reloads.size) await Promise.allSettled([...this.reloads]);
  }

  close(): void {
    this.unsubscribe();
  }

  private reload(p: Promise<unknown>): void {
    const r = p.finally(() => this.reloads.delete(r));
    r.catch(() => {}); // reported by track()
    this.reloads.add(r);
    this.track(p);
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) => this.log(`budgets: ${(e as Error).message}`)).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  private async loadAssignment(r: AssignmentRow): Promise<void> {
    const budget = this.book.budgets.get(r.budget_id);
    if (!budget) return;
    const spendMicros = await ledgerSpend(this.db, r.subject_type, r.subject_id, r.period_start);
    this.book.setAssignment({
      id: r.id,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      budget,
      periodStart: r.period_start,
      spendMicros,
      alertsSent: new Set(r.alerts_sent ?? []),
    });
  }

  private onChange(e: InvalidationEvent): void {
    if (e.kind === "budget") this.reload(this.reloadBudget(e.budgetId));
    else if (e.kind === "assignment") {
      this.confirmed.delete(`${e.subjectType}:${e.subjectId}`);
      this.reload(this.reloadAssignment(e.subjectType, e.subjectId));
    } else if (e.kind === "all") {
      this.confirmed.clear();
      this.reload(this.reloadAll());
    }
  }

  /**
   * Everything may have changed (changes were missed while the invalidation channel was down):
   * every budget and assignment is read again. An assignment that is still the same keeps its
   * in-memory spend (newer than the ledger); a new or replaced one is summed from the ledger.
   */
  private async reloadAll(): Promise<void> {
    const budgets = await allBudgets(this.db);
    const assignments = await allAssignments(this.db);
    const budgetIds = new Set(budgets.map((b) => b.budget_id));
    for (const id of [...this.book.budgets.keys()]) if (!budgetIds.has(id)) this.book.removeBudget(id);
    for (const r of budgets) this.book.setBudget(toPolicy(r));
    const live = new Set(assignments.map((r) => `${r.subject_type}:${r.subject_id}`));
    for (const a of [...this.book.assignments()]) if (!live.has(`${a.subjectType}:${a.subjectId}`)) this.book.removeAssignment(a.subjectType, a.subjectId);
    for (const r of assignments) {
      const current = this.book.get(r.subject_type, r.subject_id);
      if (current && current.id === r.id) continue;
      await this.loadAssignment(r);
    }
  }

  private async reloadBudget(id: string): Promise<void> {
    const row = await findBudget(this.db, id);
    if (!row) return this.book.removeBudget(id);
    this.book.setBudget(toPolicy(row));
    for (const r of await assignmentsOf(this.db, [id])) if (!this.book.get(r.subject_type, r.subject_id)) await this.loadAssignment(r);
  }

  private async reloadAssignment(type: SubjectType, id: string): Promise<void> {
    const row = await findAssignment(this.db, type, id);
    if (!row) return this.book.removeAssignment(type, id);
    const current = this.book.get(type, id);
    if (current && current.id === row.id) return; // same assignment: in-memory spend is newer than the ledger
    if (!this.book.budgets.has(row.budget_id)) {
      const b = await findBudget(this.db, row.budget_id);
      if (b) this.book.setBudget(toPolicy(b));
    }
    await this.loadAssignment(row);
  }

  private reset(a: Assignment, prev: { start: Date; end: Date; spendMicros: number }): void {
    this.track(recordReset(this.db, { assignmentId: a.id, budgetId: a.budget.id, subjectType: a.subjectType, subjectId: a.subjectId, newPeriodStart: a.periodStart }, prev));
  }

  private alert(a: Assignment, threshold: number): void {
    this.track(setAlertsSent(this.db, a.id, [...a.alertsSent]));
    const url = a.budget.webhookUrl;
    if (!url) return;
    const payload = {
      type: "budget.threshold_crossed",
      budget_id: a.budget.id,
      subject_type: a.subjectType,
      subject_id: a.subjectId,
      threshold_percent: threshold,
      spend_usd: microsToUsd(a.spendMicros),
      max_budget_usd: microsToUsd(a.budget.limitMicros),
      period_start: a.periodStart.toISOString(),
      period_end: a.periodEnd?.toISOString() ?? null,
      at: new Date().toISOString(),
    };
    this.track(
      // undici is loaded for the first alert, not with every start.
      import("undici")
        .then(({ request }) => request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload), headersTimeout: 5000, bodyTimeout: 5000 }))
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode >= 300) this.log(`budgets: alert webhook for '${a.budget.id}' answered ${res.statusCode}`);
        }),
    );
  }
}

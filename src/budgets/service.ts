/**
 * Keeps the budget book in step with the database: loads budgets, assignments and each
 * assignment's spend (summed from the ledger) at start; reloads what a management change names;
 * writes resets to the reset log and sends threshold alerts (one webhook POST per threshold per
 * period).
 */
import { sql } from "../store/kysely.js";
import type { Kysely } from "kysely";
import { request } from "undici";
import { microsToUsd } from "../catalog/prices.js";
import type { InvalidationBus, InvalidationEvent } from "../policy/invalidation.js";
import type { Database } from "../store/schema.js";
import { BudgetBook, type Assignment, type BudgetPolicy, type SubjectType } from "./book.js";

type BudgetRow = Awaited<ReturnType<typeof loadBudgetRows>>[number];

function loadBudgetRows(db: Kysely<Database>, id?: string) {
  let q = db.selectFrom("budgets").selectAll();
  if (id) q = q.where("budget_id", "=", id);
  return q.execute();
}

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

const SPEND_COLUMN = { key: "key_id", user: "user_id", team: "team_id" } as const;

export class BudgetService {
  readonly book: BudgetBook;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly db: Kysely<Database>, bus: InvalidationBus, private readonly log: (line: string) => void) {
    this.book = new BudgetBook({ alert: (a, t) => this.alert(a, t), reset: (a, prev) => this.reset(a, prev) });
    this.unsubscribe = bus.subscribe((e) => this.onChange(e));
  }

  async load(): Promise<void> {
    for (const r of await loadBudgetRows(this.db)) this.book.setBudget(toPolicy(r));
    const rows = await this.db.selectFrom("budget_assignments").selectAll().execute();
    for (const r of rows) await this.loadAssignment(r);
  }

  /** Resolves when every background write (reset log, alert state) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  close(): void {
    this.unsubscribe();
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e) => this.log(`budgets: ${(e as Error).message}`)).finally(() => this.pending.delete(t));
    this.pending.add(t);
  }

  private async loadAssignment(r: { id: string; budget_id: string; subject_type: SubjectType; subject_id: string; period_start: Date; alerts_sent: number[] }): Promise<void> {
    const budget = this.book.budgets.get(r.budget_id);
    if (!budget) return;
    const col = SPEND_COLUMN[r.subject_type];
    const spent = await this.db
      .selectFrom("usage")
      .select(sql<string>`coalesce(sum(cost_total_micros), 0)`.as("spend"))
      .where(col, "=", r.subject_id)
      .where("created_at", ">=", r.period_start)
      .executeTakeFirstOrThrow();
    this.book.setAssignment({
      id: r.id,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      budget,
      periodStart: r.period_start,
      spendMicros: Number(spent.spend),
      alertsSent: new Set(r.alerts_sent ?? []),
    });
  }

  private onChange(e: InvalidationEvent): void {
    if (e.kind === "budget") this.track(this.reloadBudget(e.budgetId));
    else if (e.kind === "assignment") this.track(this.reloadAssignment(e.subjectType, e.subjectId));
  }

  private async reloadBudget(id: string): Promise<void> {
    const [row] = await loadBudgetRows(this.db, id);
    if (!row) return this.book.removeBudget(id);
    this.book.setBudget(toPolicy(row));
    const rows = await this.db.selectFrom("budget_assignments").selectAll().where("budget_id", "=", id).execute();
    for (const r of rows) if (!this.book.get(r.subject_type, r.subject_id)) await this.loadAssignment(r);
  }

  private async reloadAssignment(type: SubjectType, id: string): Promise<void> {
    const row = await this.db.selectFrom("budget_assignments").selectAll().where("subject_type", "=", type).where("subject_id", "=", id).executeTakeFirst();
    if (!row) return this.book.removeAssignment(type, id);
    const current = this.book.get(type, id);
    if (current && current.id === row.id) return; // same assignment: in-memory spend is newer than the ledger
    if (!this.book.budgets.has(row.budget_id)) {
      const [b] = await loadBudgetRows(this.db, row.budget_id);
      if (b) this.book.setBudget(toPolicy(b));
    }
    await this.loadAssignment(row);
  }

  private reset(a: Assignment, prev: { start: Date; end: Date; spendMicros: number }): void {
    this.track(
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("budget_resets")
          .values({ assignment_id: a.id, budget_id: a.budget.id, subject_type: a.subjectType, subject_id: a.subjectId, period_start: prev.start, period_end: prev.end, spend_micros: prev.spendMicros })
          .execute();
        await trx.updateTable("budget_assignments").set({ period_start: a.periodStart, alerts_sent: "[]" }).where("id", "=", a.id).execute();
      }),
    );
  }

  private alert(a: Assignment, threshold: number): void {
    this.track(this.db.updateTable("budget_assignments").set({ alerts_sent: JSON.stringify([...a.alertsSent]) }).where("id", "=", a.id).execute());
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
      request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload), headersTimeout: 5000, bodyTimeout: 5000 }).then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 300) this.log(`budgets: alert webhook for '${a.budget.id}' answered ${res.statusCode}`);
      }),
    );
  }
}

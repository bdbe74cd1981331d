/**
 * The budget book: every budget assignment's spend, reservations and period, in memory, so no
 * request waits on the database. JavaScript runs one request's check-and-reserve without
 * interruption, so concurrent requests on this instance cannot overspend: each reserves its
 * maximum possible cost before it goes upstream and settles to the actual cost afterwards.
 *
 * The ledger is the source of truth for spend: on start, each assignment's spend in its
 * current period is summed from the usage table.
 */
import { GatewayError } from "../core/errors.js";
import { microsToUsd } from "../catalog/prices.js";
import { BUDGET_SCOPES, type ScopedPrincipal, type SubjectType } from "../store/scopes.js";
import { currentPeriodStart, periodEnd, type Duration } from "./duration.js";

export type { SubjectType } from "../store/scopes.js";

export interface BudgetPolicy {
  id: string;
  limitMicros: number;
  duration: Duration;
  mode: "enforce" | "track";
  thresholds: number[];
  webhookUrl: string | null;
  maxRequestMicros: number | null;
}

export interface Assignment {
  id: string;
  subjectType: SubjectType;
  subjectId: string;
  budget: BudgetPolicy;
  periodStart: Date;
  periodEnd: Date | null;
  spendMicros: number;
  reservedMicros: number;
  alertsSent: Set<number>;
}

export interface Reservation {
  entries: Array<{ assignment: Assignment; micros: number }>;
  settled: boolean;
  /** Held in Redis for every instance (true), or in this instance's book while Redis did not answer (false); unset without Redis. */
  shared?: boolean;
  /** More reserved later for the same request, held elsewhere (only with Redis): given back where it is held when this is settled (budgets/shared.ts). */
  extra?: Reservation[];
}

/**
 * Adds `more` (reserved later on the same assignments, for an attempt spent before a retry) to
 * `r`: merged when both are held in the same place, else kept beside it, so that each is given
 * back where it was taken (a reservation held in Redis is released in Redis, one held in this
 * instance's book in the book).
 */
export function extendReservation(r: Reservation, more: Reservation): void {
  if (r.shared === more.shared) {
    for (let i = 0; i < r.entries.length; i++) r.entries[i].micros += more.entries[i].micros;
  } else (r.extra ??= []).push(more);
}

export interface BookEvents {
  /** A threshold was crossed for the first time this period. */
  alert(a: Assignment, threshold: number): void;
  /** A period ended; the assignment starts a new one. */
  reset(a: Assignment, previous: { start: Date; end: Date; spendMicros: number }): void;
}

export class BudgetBook {
  readonly budgets = new Map<string, BudgetPolicy>();
  private readonly bySubject = new Map<string, Assignment>();

  constructor(
    private readonly events: BookEvents,
    private readonly now: () => Date = () => new Date(),
  ) {}

  static subject(type: SubjectType, id: string): string {
    return `${type}:${id}`;
  }

  setBudget(b: BudgetPolicy): void {
    this.budgets.set(b.id, b);
    for (const a of this.bySubject.values()) if (a.budget.id === b.id) a.budget = b;
  }

  removeBudget(id: string): void {
    this.budgets.delete(id);
    for (const [k, a] of this.bySubject) if (a.budget.id === id) this.bySubject.delete(k);
  }

  setAssignment(a: Omit<Assignment, "periodEnd" | "reservedMicros">): void {
    const prev = this.bySubject.get(BudgetBook.subject(a.subjectType, a.subjectId));
    this.bySubject.set(BudgetBook.subject(a.subjectType, a.subjectId), {
      ...a,
      periodEnd: periodEnd(a.periodStart, a.budget.duration),
      // Requests in flight keep their reservation when the same assignment is reloaded.
      reservedMicros: prev && prev.id === a.id ? prev.reservedMicros : 0,
    });
  }

  removeAssignment(type: SubjectType, id: string): void {
    this.bySubject.delete(BudgetBook.subject(type, id));
  }

  get(type: SubjectType, id: string): Assignment | undefined {
    return this.bySubject.get(BudgetBook.subject(type, id));
  }

  assignments(): IterableIterator<Assignment> {
    return this.bySubject.values();
  }

  /** The assignments that apply to a request: one per budget scope (its key's, its user's, its team's, …). */
  applicable(p: ScopedPrincipal): Assignment[] {
    if (this.bySubject.size === 0) return [];
    const out: Assignment[] = [];
    for (const scope of BUDGET_SCOPES) {
      const id = p[scope.principal];
      const a = id ? this.bySubject.get(BudgetBook.subject(scope.type, id)) : undefined;
      if (a) {
        this.rollover(a);
        out.push(a);
      }
    }
    return out;
  }

  /**
   * Reserves `micros` on every applicable assignment, or refuses with 402 naming the budget and
   * when it resets. Track-mode budgets record but never refuse.
   */
  reserve(list: Assignment[], micros: number): Reservation {
    for (const a of list) {
      if (a.budget.mode !== "enforce") continue;
      if (a.budget.maxRequestMicros !== null && micros > a.budget.maxRequestMicros) {
        throw new GatewayError(
          "budget_exceeded",
          `this request may cost up to $${microsToUsd(micros)}, more than budget '${a.budget.id}' allows per request ($${microsToUsd(a.budget.maxRequestMicros)}); lower max_tokens`,
          {
            details: this.details(a),
          },
        );
      }
      const free = a.budget.limitMicros - a.spendMicros - a.reservedMicros;
      if (a.spendMicros >= a.budget.limitMicros || micros > free) {
        const when = a.periodEnd ? `; it resets at ${a.periodEnd.toISOString()}` : "";
        throw new GatewayError(
          "budget_exceeded",
          `budget '${a.budget.id}' (${a.subjectType} ${a.subjectId}) cannot cover this request: $${microsToUsd(Math.max(0, a.budget.limitMicros - a.spendMicros))} of $${microsToUsd(a.budget.limitMicros)} left, up to $${microsToUsd(micros)} needed${when}`,
          {
            details: this.details(a),
          },
        );
      }
    }
    const entries = list.map((assignment) => ({ assignment, micros: assignment.budget.mode === "enforce" ? micros : 0 }));
    for (const e of entries) e.assignment.reservedMicros += e.micros;
    return { entries, settled: false };
  }

  /** Releases the reservation and books the actual cost; safe to call once per reservation. */
  settle(r: Reservation, actualMicros: number): void {
    if (r.settled) return;
    r.settled = true;
    for (const { assignment: a, micros } of r.entries) {
      a.reservedMicros -= micros;
      this.rollover(a);
      a.spendMicros += actualMicros;
      this.checkAlerts(a);
    }
  }

  /** Least money left across the assignments (after reservations), or null when there are none. */
  remaining(list: Assignment[]): number | null {
    let min: number | null = null;
    for (const a of list) {
      const left = a.budget.limitMicros - a.spendMicros - a.reservedMicros;
      min = min === null ? left : Math.min(min, left);
    }
    return min === null ? null : Math.max(0, min);
  }

  /** An alert threshold crossed for the first time this period, as another book (Redis) decided. */
  announceAlert(a: Assignment, threshold: number): void {
    if (a.alertsSent.has(threshold)) return;
    a.alertsSent.add(threshold);
    this.events.alert(a, threshold);
  }

  private details(a: Assignment): Record<string, unknown> {
    return { budget_id: a.budget.id, subject_type: a.subjectType, subject_id: a.subjectId, reset_at: a.periodEnd?.toISOString() ?? null };
  }

  /** Lazy reset: when the period is over, log it and start the current period with no spend. */
  private rollover(a: Assignment): void {
    if (!a.periodEnd) return;
    const now = this.now();
    if (now.getTime() < a.periodEnd.getTime()) return;
    const previous = { start: a.periodStart, end: a.periodEnd, spendMicros: a.spendMicros };
    a.periodStart = currentPeriodStart(a.periodStart, a.budget.duration, now);
    a.periodEnd = periodEnd(a.periodStart, a.budget.duration);
    a.spendMicros = 0;
    a.alertsSent = new Set();
    this.events.reset(a, previous);
  }

  private checkAlerts(a: Assignment): void {
    if (a.budget.limitMicros <= 0) return;
    const pct = (a.spendMicros / a.budget.limitMicros) * 100;
    for (const t of a.budget.thresholds) {
      if (pct >= t && !a.alertsSent.has(t)) {
        a.alertsSent.add(t);
        this.events.alert(a, t);
      }
    }
  }
}

import { describe, expect, it } from "vitest";
import { BudgetBook, type Assignment, type BudgetPolicy } from "../../src/budgets/book.js";
import { currentPeriodStart, formatDuration, parseDuration, periodEnd } from "../../src/budgets/duration.js";

const policy = (o: Partial<BudgetPolicy> = {}): BudgetPolicy => ({
  id: "b1",
  limitMicros: 1000,
  duration: { seconds: 86400, months: null },
  mode: "enforce",
  thresholds: [50, 100],
  webhookUrl: null,
  maxRequestMicros: null,
  ...o,
});

function book(now = () => new Date("2026-01-01T00:00:00Z")) {
  const alerts: Array<[string, number]> = [];
  const resets: Array<{ spendMicros: number }> = [];
  const b = new BudgetBook({ alert: (a, t) => alerts.push([a.subjectId, t]), reset: (_a, p) => resets.push(p) }, now);
  return { b, alerts, resets };
}

function assign(b: BudgetBook, p: BudgetPolicy, subjectId = "k1", start = new Date("2026-01-01T00:00:00Z")): Assignment {
  b.setBudget(p);
  b.setAssignment({ id: subjectId, subjectType: "key", subjectId, budget: p, periodStart: start, spendMicros: 0, alertsSent: new Set() });
  return b.get("key", subjectId)!;
}

describe("durations", () => {
  it("parses and formats", () => {
    expect(parseDuration("1d")).toEqual({ seconds: 86400, months: null });
    expect(parseDuration("30m")).toEqual({ seconds: 1800, months: null });
    expect(parseDuration("1mo")).toEqual({ seconds: null, months: 1 });
    expect(parseDuration("1y")).toEqual({ seconds: null, months: 12 });
    expect(() => parseDuration("0d")).toThrow("budget_duration '0d' is not a duration like 30m, 12h, 1d, 7d, 1mo or 1y");
    expect(() => parseDuration("soon")).toThrow("budget_duration 'soon' is not a duration like 30m, 12h, 1d, 7d, 1mo or 1y");
    expect(formatDuration({ seconds: 604800, months: null })).toBe("1w");
    expect(formatDuration({ seconds: null, months: 12 })).toBe("1y");
    expect(formatDuration({ seconds: null, months: null })).toBeNull();
  });
  it("adds calendar months and steps whole periods", () => {
    expect(periodEnd(new Date("2026-01-31T10:00:00Z"), { seconds: null, months: 1 })!.toISOString()).toBe("2026-02-28T10:00:00.000Z");
    const d = { seconds: 3600, months: null };
    expect(currentPeriodStart(new Date("2026-01-01T00:00:00Z"), d, new Date("2026-01-01T05:30:00Z")).toISOString()).toBe("2026-01-01T05:00:00.000Z");
    expect(currentPeriodStart(new Date("2026-01-15T00:00:00Z"), { seconds: null, months: 1 }, new Date("2026-04-20T00:00:00Z")).toISOString()).toBe("2026-04-15T00:00:00.000Z");
  });
});

describe("BudgetBook", () => {
  it("reserves the maximum and settles to the actual cost", () => {
    const { b } = book();
    const a = assign(b, policy());
    const r = b.reserve([a], 400);
    expect(a.reservedMicros).toBe(400);
    expect(b.remaining([a])).toBe(600);
    b.settle(r, 150);
    b.settle(r, 150); // idempotent
    expect(a.reservedMicros).toBe(0);
    expect(a.spendMicros).toBe(150);
  });

  it("refuses a reservation that does not fit, naming the budget and its reset time", () => {
    const { b } = book();
    const a = assign(b, policy());
    b.reserve([a], 700);
    try {
      b.reserve([a], 400);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "budget_exceeded", status: 402, details: { budget_id: "b1", subject_type: "key", subject_id: "k1", reset_at: "2026-01-02T00:00:00.000Z" } });
      expect((e as Error).message).toMatch(/budget 'b1'/);
    }
  });

  it("many concurrent reservations never exceed the limit", () => {
    const { b } = book();
    const a = assign(b, policy({ limitMicros: 20 * 37 }));
    let granted = 0;
    const held = [];
    for (let i = 0; i < 200; i++) {
      try {
        held.push(b.reserve([a], 37));
        granted++;
      } catch {
        /* refused */
      }
    }
    expect(granted).toBe(20);
    for (const r of held) b.settle(r, 37);
    expect(a.spendMicros).toBe(20 * 37);
  });

  it("track mode records but never refuses", () => {
    const { b } = book();
    const a = assign(b, policy({ mode: "track", limitMicros: 10 }));
    const r = b.reserve([a], 1_000_000);
    b.settle(r, 500);
    expect(() => b.reserve([a], 1_000_000)).not.toThrow();
    expect(a.spendMicros).toBe(500);
  });

  it("max_request_usd refuses an oversized request", () => {
    const { b } = book();
    const a = assign(b, policy({ maxRequestMicros: 100 }));
    expect(() => b.reserve([a], 101)).toThrow(/per request/);
    expect(() => b.reserve([a], 100)).not.toThrow();
  });

  it("alerts once per threshold per period, and resets lazily with a reset record", () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const { b, alerts, resets } = book(() => now);
    const a = assign(b, policy());
    b.settle(b.reserve([a], 0), 500);
    b.settle(b.reserve([a], 0), 10);
    expect(alerts).toEqual([["k1", 50]]);
    b.settle(b.reserve([a], 0), 490);
    expect(alerts).toEqual([
      ["k1", 50],
      ["k1", 100],
    ]);
    expect(() => b.reserve([a], 0)).toThrow(/budget 'b1'/);
    now = new Date("2026-01-02T00:00:01Z");
    expect(b.applicable({ keyId: "k1", userId: null, teamId: null })).toEqual([a]);
    expect(resets).toEqual([{ start: new Date("2026-01-01T00:00:00Z"), end: new Date("2026-01-02T00:00:00Z"), spendMicros: 1000 }]);
    expect(a.spendMicros).toBe(0);
    b.settle(b.reserve([a], 0), 600);
    expect(alerts).toEqual([
      ["k1", 50],
      ["k1", 100],
      ["k1", 50],
    ]);
  });

  it("applies key, user and team assignments together; a team pools its members", () => {
    const { b } = book();
    const p = policy({ limitMicros: 100 });
    b.setBudget(p);
    for (const [t, id] of [
      ["key", "k"],
      ["user", "u"],
      ["team", "t"],
    ] as const)
      b.setAssignment({ id: `${t}-${id}`, subjectType: t, subjectId: id, budget: p, periodStart: new Date("2026-01-01T00:00:00Z"), spendMicros: 0, alertsSent: new Set() });
    const alice = b.applicable({ keyId: "k", userId: "u", teamId: "t" });
    expect(alice).toHaveLength(3);
    b.settle(b.reserve(alice, 60), 60);
    const bob = b.applicable({ keyId: null, userId: "other", teamId: "t" });
    expect(bob).toHaveLength(1);
    expect(() => b.reserve(bob, 50)).toThrow(/team t/);
  });
});

/**
 * The reset log keeps one row per assignment and ended period: several instances rolling the
 * same period over write it once (migration 6), and rows an older version wrote twice are
 * merged when the migration runs.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { recordReset } from "../../src/store/repos/budgets.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "./backends.js";

const backends = await storeBackends();

describe.each(backends)("budget resets on $kind", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t?.dispose();
  });

  it("merges the rows an older version wrote twice, then keeps one row per period however many instances write it", async () => {
    const db = t.store.db;
    await migrate(
      t.store,
      MIGRATIONS.filter((m) => m.version <= 5),
    );
    const row = (spend: number) =>
      sql`insert into budget_resets (assignment_id, budget_id, subject_type, subject_id, period_start, period_end, spend_micros) values (7, 'b', 'key', 'k', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', ${spend})`.execute(
        db,
      );
    await row(100);
    await row(120); // a second instance's write of the same reset, before migration 6
    await migrate(t.store);
    const kept = await sql<{ spend_micros: string }>`select spend_micros from budget_resets where assignment_id = 7`.execute(db);
    expect(kept.rows.map((r) => Number(r.spend_micros))).toEqual([100]);

    await sql`insert into budget_assignments (id, budget_id, subject_type, subject_id, period_start) values (8, 'b8', 'key', 'k8', '2026-01-02T00:00:00Z')`.execute(db).catch(() => {});
    const reset = { assignmentId: "8", budgetId: "b8", subjectType: "key" as const, subjectId: "k8", newPeriodStart: new Date("2026-01-03T00:00:00Z") };
    const ended = { start: new Date("2026-01-02T00:00:00Z"), end: new Date("2026-01-03T00:00:00Z"), spendMicros: 5 };
    await Promise.all([recordReset(db, reset, ended), recordReset(db, reset, { ...ended, spendMicros: 6 }), recordReset(db, reset, ended)]);
    const rows = await sql<{ n: string }>`select count(*) as n from budget_resets where assignment_id = 8`.execute(db);
    expect(Number(rows.rows[0].n)).toBe(1);
  });
});

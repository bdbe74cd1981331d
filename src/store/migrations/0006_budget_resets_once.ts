import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/**
 * One reset-log row per assignment and ended period. Several instances roll a period over on
 * their own, each writing the reset: the first write stands, the others are no-ops. Rows a
 * previous version wrote twice are merged first (the earliest is kept).
 */
export const migration0006BudgetResetsOnce: Migration = {
  version: 6,
  name: "budget_resets_once",
  async up(db) {
    await sql`delete from budget_resets a using budget_resets b where a.assignment_id = b.assignment_id and a.period_start = b.period_start and a.id > b.id`.execute(db);
    await db.schema.createIndex("budget_resets_once").unique().on("budget_resets").columns(["assignment_id", "period_start"]).execute();
  },
};

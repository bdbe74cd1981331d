/** Budgets, attaching, pricing, usage and logs on a real PostgreSQL server (skipped locally without one; required in CI). */
import { afterAll, beforeAll } from "vitest";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { startHarness, type Harness } from "./harness.js";
import { budgetSuite } from "./money-budgets.js";
import { ledgerSuite } from "./money-ledger.js";

let pg: TestDatabase | null = null;
let x: Harness | null = null;
beforeAll(async () => {
  pg = await withPostgres();
  if (pg) x = await startHarness({ databaseUrl: pg.url });
});
afterAll(async () => {
  await x?.close();
  await pg?.drop();
});

budgetSuite(() => x);
ledgerSuite(() => x);

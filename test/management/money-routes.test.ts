/** Budgets, attaching, pricing, usage and logs on the embedded store. */
import { afterAll, beforeAll } from "vitest";
import { startHarness, type Harness } from "./harness.js";
import { budgetSuite } from "./money-budgets.js";
import { ledgerSuite } from "./money-ledger.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

budgetSuite(() => x);
ledgerSuite(() => x);

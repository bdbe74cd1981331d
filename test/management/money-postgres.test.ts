/** Budgets, attaching, pricing, usage and logs on a real PostgreSQL server (skipped locally without one; required in CI). */
import { postgresHarness } from "./harness.js";
import { budgetSuite } from "./money-budgets.js";
import { ledgerSuite } from "./money-ledger.js";

const harness = postgresHarness();
budgetSuite(harness);
ledgerSuite(harness);

/** The main management routes on a real PostgreSQL server (skipped locally without one; required in CI). */
import { postgresHarness } from "./harness.js";
import { managementSuite } from "./suite.js";

managementSuite(postgresHarness());

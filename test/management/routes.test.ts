/** The main management routes on the embedded store. */
import { afterAll, beforeAll } from "vitest";
import { startHarness, type Harness } from "./harness.js";
import { managementSuite } from "./suite.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

managementSuite(() => x);

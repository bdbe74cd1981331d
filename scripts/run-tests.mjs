#!/usr/bin/env node
// Runs the whole test suite with vitest and ends with the plain line "N passed, M failed"
// (read from vitest's JSON report), exiting non-zero when anything failed.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";

const out = ".test-results/vitest.json";
mkdirSync(".test-results", { recursive: true });
if (existsSync(out)) rmSync(out);
// The CLI tests run the built gateway: build first so they never test stale output.
// The dashboard tests drive the built dashboard (dist/ui): build it too.
const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const buildUi = build.status === 0 ? spawnSync("npm", ["run", "build:ui"], { stdio: "inherit" }) : build;
if (build.status !== 0 || buildUi.status !== 0) {
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
const run = spawnSync("npx", args, { stdio: "inherit", env: process.env });

let passed = 0,
  failed = 0,
  skipped = 0;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, "utf8"));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that failed to load counts as a failure even when no test in it ran.
  for (const f of report.testResults ?? []) if (f.status === "failed" && (f.assertionResults ?? []).length === 0) failed += 1;
} else {
  failed = 1;
}
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);

#!/usr/bin/env node
// Regenerates the providers table in docs/providers.md from the registry (run after `npm run build`).
// `--check` exits 1 when the committed document differs from what the registry says.
import { readFileSync, writeFileSync } from "node:fs";
import { withProvidersTable } from "../dist/providers/table.js";

const path = new URL("../docs/providers.md", import.meta.url);
const current = readFileSync(path, "utf8");
const next = withProvidersTable(current);
if (process.argv.includes("--check")) {
  if (next !== current) {
    console.error("docs/providers.md is out of date: run `npm run docs:providers`");
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(path, next);
  console.log("docs/providers.md updated");
}

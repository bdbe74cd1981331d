#!/usr/bin/env node
// Runs the overhead benchmark from a built checkout without going through the CLI, with every
// flag of src/bench/args.ts (see --help). Build first: npm run build.
//   node scripts/bench-run.mjs --duration 5 --targets direct,passthrough
//   node scripts/bench-run.mjs --kinds fixed-rate --redis-url redis://127.0.0.1:6379
import { existsSync } from "node:fs";

const entry = new URL("../dist/bench/index.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("dist/bench/index.js is missing: run `npm run build` first.");
  process.exit(1);
}
const { runBench } = await import(entry.href);
const { parseBenchArgs, BENCH_USAGE } = await import(new URL("../dist/bench/args.js", import.meta.url).href);
const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(BENCH_USAGE);
  process.exit(0);
}
try {
  await runBench(parseBenchArgs(argv));
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

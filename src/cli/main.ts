#!/usr/bin/env node
/** The `switchboard` command line. */
import { Command, Option } from "commander";
import { serveCommand } from "./serve.js";
import { configCheckCommand } from "./config-check.js";
import { migrateCommand } from "./migrate.js";
import { exportCommand } from "./export.js";
import { importCommand } from "./import.js";
import { benchCommand } from "./bench.js";
import { registerKeysCommands } from "./keys.js";
import { registerUsersCommands } from "./users.js";
import { registerTeamsCommands } from "./teams.js";
import { registerBudgetsCommands } from "./budgets.js";
import { registerUsageCommand } from "./usage.js";

const program = new Command();
program.name("switchboard").description("Self-hosted LLM gateway").version("0.1.0");

program
  .command("serve")
  .description("run the gateway")
  .option("-c, --config <file>", "config file (default: $SWITCHBOARD_CONFIG or ./switchboard.yaml)")
  .option("-p, --port <port>", "port to listen on", parsePort)
  .option("-H, --host <host>", "address to listen on")
  .option("--no-migrate", "do not apply pending schema migrations on start")
  .action(serveCommand);

program
  .command("config")
  .description("configuration tools")
  .command("check")
  .description("validate a config file and print every problem with its key path and line")
  .argument("[file]", "config file (default: $SWITCHBOARD_CONFIG or ./switchboard.yaml)")
  .action(configCheckCommand);

program
  .command("migrate")
  .description("apply pending database schema migrations")
  .option("-c, --config <file>", "config file")
  .option("--status", "only show the schema version and pending migrations")
  .option("--from-pglite", "move the embedded store of an earlier version (PGlite, <data_dir>/db) to the embedded PostgreSQL; a start does it too")
  .action(migrateCommand);

program
  .command("export")
  .description("write every row of the store (keys as hashes, users, teams, budgets, prices, usage ledger, audit log) to one JSON Lines file")
  .option("-c, --config <file>", "config file")
  .option("-o, --output <file>", "file to write, or - for standard output", "-")
  .action(exportCommand);

program
  .command("import")
  .description("load a file written by `switchboard export` into the configured store, which must be empty")
  .option("-c, --config <file>", "config file")
  .requiredOption("-i, --input <file>", "file to read, or - for standard input")
  .action(importCommand);

program
  .command("bench")
  .description("measure the gateway's added latency and throughput against a local fake upstream")
  .option("-d, --duration <seconds>", "seconds per measured run", Number)
  .option("--warmup <seconds>", "warm-up seconds before each measured run (default 3)", Number)
  .option("--database-url <url>", "run the gateway on this PostgreSQL database")
  .option("--redis-url <url>", 'also measure a gateway ("gateway-redis") counting its limits and budget in this Redis, beside the one counting in its process')
  .option("--json", "print results as JSON")
  .addOption(new Option("--http-engine <engine>", "the gateway's server.http_engine").choices(["fast", "node"]))
  .addOption(new Option("--transport <transport>", "the gateway's upstream.transport").choices(["fast", "undici"]))
  .action(benchCommand);

registerKeysCommands(program);
registerUsersCommands(program);
registerTeamsCommands(program);
registerBudgetsCommands(program);
registerUsageCommand(program);

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`switchboard: --port must be a whole number from 0 to 65535, got "${v}"`);
    process.exit(2);
  }
  return n;
}

program.parseAsync(process.argv).catch((e) => {
  console.error(`switchboard: ${(e as Error).message}`);
  process.exit(1);
});

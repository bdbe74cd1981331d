/**
 * Shared plumbing of the CLI commands that talk to a running gateway's management API:
 * where the gateway is (`--url`, $SWITCHBOARD_URL), the master key (`--master-key`,
 * $SWITCHBOARD_MASTER_KEY), one-line errors, and small tables.
 */
import type { Command } from "commander";
import { readEnv, type EnvSnapshot } from "../config/env.js";
import { ManagementApiError, ManagementClient } from "../management/client.js";

export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000";

/** Where a command writes and what it reads: the process, or a test's capture. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  env: EnvSnapshot;
  fetch?: typeof fetch;
}

export function processIO(): CliIO {
  return {
    out: (line) => process.stdout.write(line + "\n"),
    err: (line) => process.stderr.write(line + "\n"),
    env: readEnv(),
  };
}

export interface ConnectionOptions {
  url?: string;
  masterKey?: string;
  json?: boolean;
}

/** Adds `--url`, `--master-key` and `--json` to a command. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option("--url <url>", `gateway URL (default: $SWITCHBOARD_URL or ${DEFAULT_GATEWAY_URL})`)
    .option("--master-key <key>", "master key (default: $SWITCHBOARD_MASTER_KEY)")
    .option("--json", "print the API's JSON");
}

export function clientFor(opts: ConnectionOptions, io: CliIO): ManagementClient {
  const url = opts.url || io.env.nonEmpty("SWITCHBOARD_URL") || DEFAULT_GATEWAY_URL;
  const masterKey = opts.masterKey || io.env.nonEmpty("SWITCHBOARD_MASTER_KEY");
  if (!masterKey) throw new ManagementApiError("no master key: pass --master-key or set SWITCHBOARD_MASTER_KEY", null);
  if (!/^https?:\/\//i.test(url)) throw new ManagementApiError(`--url must start with http:// or https://, got "${url}"`, null);
  return new ManagementClient({ url, masterKey, fetch: io.fetch });
}

/** Runs a command body; any failure becomes one line `switchboard: <message>` and exit code 1. */
export async function runCommand(io: CliIO, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (e) {
    io.err(`switchboard: ${(e as Error).message.split("\n")[0]}`);
    return 1;
  }
}

/** The commander action: runs against the real process and exits 1 on failure. */
export function action<A extends unknown[]>(run: (io: CliIO, ...args: A) => Promise<number>, io?: CliIO): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await run(io ?? processIO(), ...args);
    if (code !== 0) process.exitCode = code;
  };
}

/** A plain text table: a header row and aligned columns; empty cells show "-". */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string[] {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined || v === "" ? "-" : String(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(headers), ...cells.map(line)];
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

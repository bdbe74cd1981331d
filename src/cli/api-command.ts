/**
 * Shared plumbing of the CLI commands that talk to a running gateway's management API:
 * where the gateway is and its master key (found as the server finds them, see `target()`),
 * one-line errors, and small tables.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { readEnv, type EnvSnapshot } from "../config/env.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { ManagementApiError, ManagementClient } from "../management/client.js";

/** Where a command writes and what it reads: the process, or a test's capture. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  env: EnvSnapshot;
  fetch?: typeof fetch;
  /** Where ./switchboard.yaml and a relative data_dir are looked up (default the process's). */
  cwd?: string;
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
  config?: string;
  json?: boolean;
}

/** Adds `--url`, `--master-key`, `--config` and `--json` to a command. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option("--url <url>", "gateway URL (default: $SWITCHBOARD_URL, else the host and port the gateway's configuration gives)")
    .option("--master-key <key>", "master key (default: $SWITCHBOARD_MASTER_KEY, else the configuration's, else <data_dir>/master.key)")
    .option("-c, --config <file>", "the gateway's config file (default: $SWITCHBOARD_CONFIG or ./switchboard.yaml)")
    .option("--json", "print the API's JSON");
}

/**
 * The gateway a command talks to, found the way `switchboard serve` finds its own settings:
 * - URL: `--url`, else $SWITCHBOARD_URL, else `http://<host>:<port>` from the configuration
 *   (`--config`, $SWITCHBOARD_CONFIG, ./switchboard.yaml; $SWITCHBOARD_HOST / $SWITCHBOARD_PORT
 *   override it, as for the server; a wildcard listening address is reached on loopback);
 * - master key: `--master-key`, else $SWITCHBOARD_MASTER_KEY, else the configuration's
 *   `master_key`, else the key the gateway generated into `<data_dir>/master.key`.
 * The configuration is read only when the flags and variables leave something open.
 */
export function target(opts: ConnectionOptions, io: CliIO): { url: string; masterKey: string } {
  let url = opts.url || io.env.nonEmpty("SWITCHBOARD_URL");
  let masterKey = opts.masterKey || io.env.nonEmpty("SWITCHBOARD_MASTER_KEY");
  if (!url || !masterKey) {
    const config = gatewayConfig(opts, io);
    url ||= `http://${reachableHost(config.server.host)}:${config.server.port}`;
    masterKey ||= config.masterKey || readMasterKeyFile(resolve(io.cwd ?? process.cwd(), config.dataDir, "master.key"));
  }
  if (!masterKey) {
    throw new ManagementApiError("no master key: pass --master-key, set SWITCHBOARD_MASTER_KEY, or start the gateway once (it writes <data_dir>/master.key)", null);
  }
  if (!/^https?:\/\//i.test(url)) throw new ManagementApiError(`--url must start with http:// or https://, got "${url}"`, null);
  return { url, masterKey };
}

export function clientFor(opts: ConnectionOptions, io: CliIO): ManagementClient {
  return new ManagementClient({ ...target(opts, io), fetch: io.fetch });
}

function gatewayConfig(opts: ConnectionOptions, io: CliIO) {
  try {
    return loadConfig({ path: opts.config, env: io.env, cwd: io.cwd });
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ManagementApiError(`invalid configuration: ${e.problems[0]}${e.problems.length > 1 ? ` (and ${e.problems.length - 1} more: run switchboard config check)` : ""}`, null);
    throw e;
  }
}

function readMasterKeyFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A wildcard listening address is reached on loopback; IPv6 literals get brackets. */
function reachableHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
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
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(headers), ...cells.map(line)];
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A commander parser for a whole-number flag; anything else is one line and exit code 2. */
export function wholeNumber(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
      process.stderr.write(`switchboard: ${flag} must be a whole number, got "${v}"\n`);
      process.exit(2);
    }
    return n;
  };
}

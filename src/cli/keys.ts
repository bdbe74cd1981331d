/** `switchboard keys create|list|revoke`: a thin client of the management API. */
import type { Command } from "commander";
import type { KeyObject, KeyWithSecret } from "../management/schemas/keys.js";
import { action, clientFor, printJson, runCommand, table, wholeNumber, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";

export interface KeysCreateOptions extends ConnectionOptions {
  name?: string;
  user?: string;
  team?: string;
  /** Comma-separated model names or globs. */
  allowedModels?: string;
  /** ISO 8601 date-time. */
  expires?: string;
  budget?: string;
  rpm?: number;
  tpm?: number;
  rpd?: number;
  maxParallel?: number;
}

export function runKeysCreate(io: CliIO, opts: KeysCreateOptions): Promise<number> {
  return runCommand(io, async () => {
    const client = clientFor(opts, io);
    const body: Record<string, unknown> = {};
    if (opts.name !== undefined) body.key_name = opts.name;
    if (opts.user !== undefined) body.user_id = opts.user;
    if (opts.team !== undefined) body.team_id = opts.team;
    if (opts.expires !== undefined) body.expires_at = opts.expires;
    if (opts.allowedModels !== undefined)
      body.allowed_models = opts.allowedModels
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean);
    if (opts.budget !== undefined) body.budget_id = opts.budget;
    if (opts.rpm !== undefined) body.rpm_limit = opts.rpm;
    if (opts.tpm !== undefined) body.tpm_limit = opts.tpm;
    if (opts.rpd !== undefined) body.rpd_limit = opts.rpd;
    if (opts.maxParallel !== undefined) body.max_parallel = opts.maxParallel;
    const key = await client.request<KeyWithSecret>("POST", "/v1/keys", body);
    if (opts.json) return printJson(io, key);
    io.out(`Created key ${key.id}${key.key_name ? ` (${key.key_name})` : ""}:`);
    io.out("");
    io.out(`    ${key.key}`);
    io.out("");
    const limits = [
      ["rpm", key.rpm_limit],
      ["tpm", key.tpm_limit],
      ["rpd", key.rpd_limit],
      ["parallel", key.max_parallel],
    ].filter(([, v]) => v !== null && v !== undefined);
    const row = [key.user_id, key.team_id, key.allowed_models?.join(",") ?? "all", key.budget_id, limits.map(([n, v]) => `${n}=${v}`).join(" "), key.expires_at ?? "never", key.status];
    for (const line of table(["USER", "TEAM", "MODELS", "BUDGET", "LIMITS", "EXPIRES", "STATUS"], [row])) io.out(line);
    io.out("");
    io.out("Store the key now: it is not shown again.");
  });
}

export function runKeysList(io: CliIO, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const keys = await clientFor(opts, io).listAll<KeyObject>("/v1/keys");
    if (opts.json) return printJson(io, { object: "list", data: keys, next_cursor: null });
    if (keys.length === 0) return io.out("No keys.");
    const rows = keys.map((k) => [k.id, k.key_name, k.key_masked, k.status, k.user_id, k.team_id, k.expires_at ?? "never", k.created_at]);
    for (const line of table(["ID", "NAME", "KEY", "STATUS", "USER", "TEAM", "EXPIRES", "CREATED"], rows)) io.out(line);
  });
}

export function runKeysRevoke(io: CliIO, id: string, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const key = await clientFor(opts, io).request<KeyObject>("DELETE", `/v1/keys/${encodeURIComponent(id)}`);
    if (opts.json) return printJson(io, key);
    io.out(`Revoked key ${key.id} at ${key.revoked_at}.`);
  });
}

/** Commander actions (process IO, exit code 1 on failure). */
export const keysCreateCommand = action(runKeysCreate);
export const keysListCommand = action(runKeysList);
export const keysRevokeCommand = action(runKeysRevoke);

/** Adds `keys create|list|revoke` to a program. `io` replaces the process (tests). */
export function registerKeysCommands(program: Command, io?: CliIO): Command {
  const keys = program.command("keys").description("manage virtual keys on a running gateway");
  withConnection(keys.command("create").description("create a virtual key (prints it once)"))
    .option("--name <name>", "key name")
    .option("--user <user_id>", "owning user")
    .option("--team <team_id>", "owning team")
    .option("--models, --allowed-models <list>", "allowed models, comma-separated (globs with *)")
    .option("--budget <budget_id>", "attach a budget (create one with: switchboard budgets create)")
    .option("--rpm <n>", "requests per minute", wholeNumber("--rpm"))
    .option("--tpm <n>", "tokens per minute", wholeNumber("--tpm"))
    .option("--rpd <n>", "requests per day", wholeNumber("--rpd"))
    .option("--max-parallel <n>", "concurrent requests", wholeNumber("--max-parallel"))
    .option("--expires <iso>", "expiry, ISO 8601 (e.g. 2026-01-31T00:00:00Z)")
    .action(action((io2: CliIO, opts: KeysCreateOptions) => runKeysCreate(io2, opts), io));
  withConnection(keys.command("list").description("list keys (masked)")).action(action((io2: CliIO, opts: ConnectionOptions) => runKeysList(io2, opts), io));
  withConnection(keys.command("revoke").description("revoke a key").argument("<id>", "key id")).action(action((io2: CliIO, id: string, opts: ConnectionOptions) => runKeysRevoke(io2, id, opts), io));
  return keys;
}

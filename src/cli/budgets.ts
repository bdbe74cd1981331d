/** `switchboard budgets create|list|assign|delete`: a thin client of the management API. */
import type { Command } from "commander";
import type { BudgetObject } from "../management/schemas/budgets.js";
import { action, clientFor, printJson, runCommand, table, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";

export interface BudgetsCreateOptions extends ConnectionOptions {
  id?: string;
  /** Decimal USD, as typed (kept a string so no float rounding touches it). */
  max: string;
  duration?: string;
  mode?: string;
  maxRequest?: string;
  alerts?: string;
  webhook?: string;
}

export function runBudgetsCreate(io: CliIO, opts: BudgetsCreateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = { max_budget: opts.max };
    if (opts.id !== undefined) body.budget_id = opts.id;
    if (opts.duration !== undefined) body.budget_duration = opts.duration;
    if (opts.mode !== undefined) body.mode = opts.mode;
    if (opts.maxRequest !== undefined) body.max_request_usd = opts.maxRequest;
    if (opts.alerts !== undefined) body.alert_thresholds = opts.alerts.split(",").map((v) => Number(v.trim()));
    if (opts.webhook !== undefined) body.alert_webhook_url = opts.webhook;
    const b = await clientFor(opts, io).request<BudgetObject>("POST", "/v1/budgets", body);
    if (opts.json) return printJson(io, b);
    io.out(`Created budget ${b.budget_id}: $${b.max_budget} ${b.budget_duration ? `per ${b.budget_duration}` : "in all"}, ${b.mode}.`);
    io.out(`Attach it with: switchboard budgets assign ${b.budget_id} --key <key_id> | --user <user_id> | --team <team_id>`);
  });
}

export function runBudgetsList(io: CliIO, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const budgets = await clientFor(opts, io).listAll<BudgetObject>("/v1/budgets");
    if (opts.json) return printJson(io, { object: "list", data: budgets, next_cursor: null });
    if (budgets.length === 0) return io.out("No budgets.");
    const rows: Array<Array<string | number | null>> = [];
    for (const b of budgets) {
      if (b.assignments.length === 0) rows.push([b.budget_id, String(b.max_budget), b.budget_duration ?? "never resets", b.mode, "-", "-", "-"]);
      for (const a of b.assignments) {
        rows.push([b.budget_id, String(b.max_budget), b.budget_duration ?? "never resets", b.mode, `${a.subject_type}:${a.subject_id}`, a.spend_usd, a.reset_at ?? "-"]);
      }
    }
    for (const line of table(["BUDGET_ID", "MAX_USD", "PERIOD", "MODE", "ASSIGNED_TO", "SPEND_USD", "RESETS"], rows)) io.out(line);
  });
}

export interface BudgetsAssignOptions extends ConnectionOptions {
  key?: string;
  user?: string;
  team?: string;
}

/** Attaches a budget to a key, user or team (the subject's `budget_id`). */
export function runBudgetsAssign(io: CliIO, budgetId: string, opts: BudgetsAssignOptions): Promise<number> {
  return runCommand(io, async () => {
    const subjects = [
      ["key", "/v1/keys/", opts.key],
      ["user", "/v1/users/", opts.user],
      ["team", "/v1/teams/", opts.team],
    ].filter(([, , id]) => id !== undefined) as Array<[string, string, string]>;
    if (subjects.length !== 1) throw new Error("name exactly one of --key, --user or --team");
    const [kind, path, id] = subjects[0];
    const result = await clientFor(opts, io).request<unknown>("PATCH", path + encodeURIComponent(id), { budget_id: budgetId });
    if (opts.json) return printJson(io, result);
    io.out(`Budget ${budgetId} now applies to ${kind} ${id}.`);
  });
}

export function runBudgetsDelete(io: CliIO, id: string, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const result = await clientFor(opts, io).request<unknown>("DELETE", `/v1/budgets/${encodeURIComponent(id)}`);
    if (opts.json) return printJson(io, result);
    io.out(`Deleted budget ${id}.`);
  });
}

/** Adds `budgets create|list|assign|delete` to a program. `io` replaces the process (tests). */
export function registerBudgetsCommands(program: Command, io?: CliIO): Command {
  const budgets = program.command("budgets").description("manage budgets on a running gateway");
  withConnection(budgets.command("create").description("create a budget (then assign it to a key, user or team)"))
    .requiredOption("--max <usd>", "the limit in USD, e.g. 25 or 0.50")
    .option("--id <budget_id>", "budget id (generated when absent)")
    .option("--duration <period>", 'the period: "1d", "7d", "1mo", …; absent: never resets')
    .option("--mode <mode>", "enforce (refuse with 402 when spent; default) or track (record only)")
    .option("--max-request <usd>", "largest cost one request may reserve")
    .option("--alerts <percentages>", "alert thresholds, comma-separated, e.g. 50,80,100")
    .option("--webhook <url>", "where alerts are POSTed")
    .action(action((io2: CliIO, opts: BudgetsCreateOptions) => runBudgetsCreate(io2, opts), io));
  withConnection(budgets.command("list").description("list budgets with each assignment's spend")).action(action((io2: CliIO, opts: ConnectionOptions) => runBudgetsList(io2, opts), io));
  withConnection(budgets.command("assign").description("attach a budget to a key, a user or a team").argument("<budget_id>", "budget id"))
    .option("--key <key_id>", "a key's id")
    .option("--user <user_id>", "a user")
    .option("--team <team_id>", "a team (its members' spend is pooled)")
    .action(action((io2: CliIO, id: string, opts: BudgetsAssignOptions) => runBudgetsAssign(io2, id, opts), io));
  withConnection(budgets.command("delete").description("delete a budget").argument("<budget_id>", "budget id")).action(
    action((io2: CliIO, id: string, opts: ConnectionOptions) => runBudgetsDelete(io2, id, opts), io),
  );
  return budgets;
}

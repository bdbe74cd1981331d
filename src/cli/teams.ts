/** `switchboard teams create|update|show|list|delete`: a thin client of the management API. */
import type { Command } from "commander";
import type { TeamObject } from "../management/schemas/users.js";
import { action, clientFor, printJson, runCommand, table, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";
import { formatLimits, limitBody, withLimitOptions, type LimitOptions } from "./limit-options.js";

export interface TeamsCreateOptions extends ConnectionOptions, LimitOptions {
  id?: string;
  name?: string;
  budget?: string;
}

export interface TeamsUpdateOptions extends ConnectionOptions, LimitOptions {
  name?: string;
  budget?: string;
}

const TEAM_COLUMNS = ["TEAM_ID", "NAME", "BUDGET", "BLOCKED", "LIMITS", "CREATED"];
const teamRow = (t: TeamObject) => [t.team_id, t.name, t.budget_id, t.blocked ? "yes" : "no", formatLimits(t), t.created_at];

export function runTeamsCreate(io: CliIO, opts: TeamsCreateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = {};
    if (opts.id !== undefined) body.team_id = opts.id;
    if (opts.name !== undefined) body.name = opts.name;
    if (opts.budget !== undefined) body.budget_id = opts.budget;
    Object.assign(body, limitBody(opts));
    const team = await clientFor(opts, io).request<TeamObject>("POST", "/v1/teams", body);
    if (opts.json) return printJson(io, team);
    io.out(`Created team ${team.team_id}${team.name ? ` (${team.name})` : ""}${team.budget_id ? ` with budget ${team.budget_id}` : ""}.`);
    if (formatLimits(team)) io.out(`Limits: ${formatLimits(team)}`);
  });
}

export function runTeamsUpdate(io: CliIO, teamId: string, opts: TeamsUpdateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = { ...limitBody(opts) };
    if (opts.name !== undefined) body.name = opts.name;
    if (opts.budget !== undefined) body.budget_id = opts.budget;
    if (Object.keys(body).length === 0) throw new Error("nothing to change: give --name, --budget, --rpm, --tpm, --rpd or --max-parallel");
    const team = await clientFor(opts, io).request<TeamObject>("PATCH", `/v1/teams/${encodeURIComponent(teamId)}`, body);
    if (opts.json) return printJson(io, team);
    io.out(`Updated team ${team.team_id}.`);
    io.out(`Limits: ${formatLimits(team) || "none"}`);
  });
}

export function runTeamsShow(io: CliIO, teamId: string, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const team = await clientFor(opts, io).request<TeamObject>("GET", `/v1/teams/${encodeURIComponent(teamId)}`);
    if (opts.json) return printJson(io, team);
    for (const line of table(TEAM_COLUMNS, [teamRow(team)])) io.out(line);
  });
}

export function runTeamsList(io: CliIO, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const teams = await clientFor(opts, io).listAll<TeamObject>("/v1/teams");
    if (opts.json) return printJson(io, { object: "list", data: teams, next_cursor: null });
    if (teams.length === 0) return io.out("No teams.");
    for (const line of table(TEAM_COLUMNS, teams.map(teamRow))) io.out(line);
  });
}

export function runTeamsDelete(io: CliIO, id: string, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const result = await clientFor(opts, io).request<unknown>("DELETE", `/v1/teams/${encodeURIComponent(id)}`);
    if (opts.json) return printJson(io, result);
    io.out(`Deleted team ${id}.`);
  });
}

/** Adds `teams create|update|show|list|delete` to a program. `io` replaces the process (tests). */
export function registerTeamsCommands(program: Command, io?: CliIO): Command {
  const teams = program.command("teams").description("manage teams on a running gateway");
  withLimitOptions(
    withConnection(teams.command("create").description("create a team"))
      .option("--id <team_id>", "team id (generated when absent)")
      .option("--name <name>", "display name")
      .option("--budget <budget_id>", "attach a budget, pooled by every member"),
  ).action(action((io2: CliIO, opts: TeamsCreateOptions) => runTeamsCreate(io2, opts), io));
  withLimitOptions(
    withConnection(teams.command("update").description("change a team's name, budget or limits").argument("<team_id>", "team id"))
      .option("--name <name>", "display name")
      .option("--budget <budget_id>", "attach a budget, pooled by every member"),
  ).action(action((io2: CliIO, id: string, opts: TeamsUpdateOptions) => runTeamsUpdate(io2, id, opts), io));
  withConnection(teams.command("show").description("show a team").argument("<team_id>", "team id")).action(
    action((io2: CliIO, id: string, opts: ConnectionOptions) => runTeamsShow(io2, id, opts), io),
  );
  withConnection(teams.command("list").description("list teams")).action(action((io2: CliIO, opts: ConnectionOptions) => runTeamsList(io2, opts), io));
  withConnection(teams.command("delete").description("delete a team").argument("<team_id>", "team id")).action(
    action((io2: CliIO, id: string, opts: ConnectionOptions) => runTeamsDelete(io2, id, opts), io),
  );
  return teams;
}

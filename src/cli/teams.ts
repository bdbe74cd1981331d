/** `switchboard teams create|list|delete`: a thin client of the management API. */
import type { Command } from "commander";
import type { TeamObject } from "../management/schemas/users.js";
import { action, clientFor, printJson, runCommand, table, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";

export interface TeamsCreateOptions extends ConnectionOptions {
  id?: string;
  name?: string;
  budget?: string;
}

export function runTeamsCreate(io: CliIO, opts: TeamsCreateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = {};
    if (opts.id !== undefined) body.team_id = opts.id;
    if (opts.name !== undefined) body.name = opts.name;
    if (opts.budget !== undefined) body.budget_id = opts.budget;
    const team = await clientFor(opts, io).request<TeamObject>("POST", "/v1/teams", body);
    if (opts.json) return printJson(io, team);
    io.out(`Created team ${team.team_id}${team.name ? ` (${team.name})` : ""}${team.budget_id ? ` with budget ${team.budget_id}` : ""}.`);
  });
}

export function runTeamsList(io: CliIO, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const teams = await clientFor(opts, io).listAll<TeamObject>("/v1/teams");
    if (opts.json) return printJson(io, { object: "list", data: teams, next_cursor: null });
    if (teams.length === 0) return io.out("No teams.");
    const rows = teams.map((t) => [t.team_id, t.name, t.budget_id, t.blocked ? "yes" : "no", t.created_at]);
    for (const line of table(["TEAM_ID", "NAME", "BUDGET", "BLOCKED", "CREATED"], rows)) io.out(line);
  });
}

export function runTeamsDelete(io: CliIO, id: string, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const result = await clientFor(opts, io).request<unknown>("DELETE", `/v1/teams/${encodeURIComponent(id)}`);
    if (opts.json) return printJson(io, result);
    io.out(`Deleted team ${id}.`);
  });
}

/** Adds `teams create|list|delete` to a program. `io` replaces the process (tests). */
export function registerTeamsCommands(program: Command, io?: CliIO): Command {
  const teams = program.command("teams").description("manage teams on a running gateway");
  withConnection(teams.command("create").description("create a team"))
    .option("--id <team_id>", "team id (generated when absent)")
    .option("--name <name>", "display name")
    .option("--budget <budget_id>", "attach a budget, pooled by every member")
    .action(action((io2: CliIO, opts: TeamsCreateOptions) => runTeamsCreate(io2, opts), io));
  withConnection(teams.command("list").description("list teams")).action(action((io2: CliIO, opts: ConnectionOptions) => runTeamsList(io2, opts), io));
  withConnection(teams.command("delete").description("delete a team").argument("<team_id>", "team id")).action(
    action((io2: CliIO, id: string, opts: ConnectionOptions) => runTeamsDelete(io2, id, opts), io),
  );
  return teams;
}

/** `switchboard users create|list`: a thin client of the management API. */
import type { Command } from "commander";
import type { UserObject } from "../management/schemas/users.js";
import { action, clientFor, printJson, runCommand, table, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";

export interface UsersCreateOptions extends ConnectionOptions {
  id?: string;
  alias?: string;
  team?: string;
}

export function runUsersCreate(io: CliIO, opts: UsersCreateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = {};
    if (opts.id !== undefined) body.user_id = opts.id;
    if (opts.alias !== undefined) body.alias = opts.alias;
    if (opts.team !== undefined) body.team_id = opts.team;
    const user = await clientFor(opts, io).request<UserObject>("POST", "/v1/users", body);
    if (opts.json) return printJson(io, user);
    io.out(`Created user ${user.user_id}${user.team_id ? ` in team ${user.team_id}` : ""}.`);
  });
}

export function runUsersList(io: CliIO, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const users = await clientFor(opts, io).listAll<UserObject>("/v1/users");
    if (opts.json) return printJson(io, { object: "list", data: users, next_cursor: null });
    if (users.length === 0) return io.out("No users.");
    const rows = users.map((u) => [u.user_id, u.alias, u.team_id, u.blocked ? "yes" : "no", u.created_at]);
    for (const line of table(["USER_ID", "ALIAS", "TEAM", "BLOCKED", "CREATED"], rows)) io.out(line);
  });
}

/** Commander actions (process IO, exit code 1 on failure). */
export const usersCreateCommand = action(runUsersCreate);
export const usersListCommand = action(runUsersList);

/** Adds `users create|list` to a program. `io` replaces the process (tests). */
export function registerUsersCommands(program: Command, io?: CliIO): Command {
  const users = program.command("users").description("manage users on a running gateway");
  withConnection(users.command("create").description("create a user"))
    .option("--id <user_id>", "user id (generated when absent)")
    .option("--alias <alias>", "display name")
    .option("--team <team_id>", "team")
    .action(action((io2: CliIO, opts: UsersCreateOptions) => runUsersCreate(io2, opts), io));
  withConnection(users.command("list").description("list users")).action(action((io2: CliIO, opts: ConnectionOptions) => runUsersList(io2, opts), io));
  return users;
}

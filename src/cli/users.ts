/** `switchboard users create|update|show|list`: a thin client of the management API. */
import type { Command } from "commander";
import type { UserObject } from "../management/schemas/users.js";
import { action, clientFor, printJson, runCommand, table, withConnection, type CliIO, type ConnectionOptions } from "./api-command.js";
import { formatLimits, limitBody, withLimitOptions, type LimitOptions } from "./limit-options.js";

export interface UsersCreateOptions extends ConnectionOptions, LimitOptions {
  id?: string;
  alias?: string;
  team?: string;
}

export interface UsersUpdateOptions extends ConnectionOptions, LimitOptions {
  alias?: string;
  team?: string;
}

const USER_COLUMNS = ["USER_ID", "ALIAS", "TEAM", "BLOCKED", "LIMITS", "CREATED"];
const userRow = (u: UserObject) => [u.user_id, u.alias, u.team_id, u.blocked ? "yes" : "no", formatLimits(u), u.created_at];

export function runUsersCreate(io: CliIO, opts: UsersCreateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = {};
    if (opts.id !== undefined) body.user_id = opts.id;
    if (opts.alias !== undefined) body.alias = opts.alias;
    if (opts.team !== undefined) body.team_id = opts.team;
    Object.assign(body, limitBody(opts));
    const user = await clientFor(opts, io).request<UserObject>("POST", "/v1/users", body);
    if (opts.json) return printJson(io, user);
    io.out(`Created user ${user.user_id}${user.team_id ? ` in team ${user.team_id}` : ""}.`);
    if (formatLimits(user)) io.out(`Limits: ${formatLimits(user)}`);
  });
}

export function runUsersUpdate(io: CliIO, userId: string, opts: UsersUpdateOptions): Promise<number> {
  return runCommand(io, async () => {
    const body: Record<string, unknown> = { ...limitBody(opts) };
    if (opts.alias !== undefined) body.alias = opts.alias;
    if (opts.team !== undefined) body.team_id = opts.team;
    if (Object.keys(body).length === 0) throw new Error("nothing to change: give --alias, --team, --rpm, --tpm, --rpd or --max-parallel");
    const user = await clientFor(opts, io).request<UserObject>("PATCH", `/v1/users/${encodeURIComponent(userId)}`, body);
    if (opts.json) return printJson(io, user);
    io.out(`Updated user ${user.user_id}.`);
    io.out(`Limits: ${formatLimits(user) || "none"}`);
  });
}

export function runUsersShow(io: CliIO, userId: string, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const user = await clientFor(opts, io).request<UserObject>("GET", `/v1/users/${encodeURIComponent(userId)}`);
    if (opts.json) return printJson(io, user);
    for (const line of table(USER_COLUMNS, [userRow(user)])) io.out(line);
  });
}

export function runUsersList(io: CliIO, opts: ConnectionOptions): Promise<number> {
  return runCommand(io, async () => {
    const users = await clientFor(opts, io).listAll<UserObject>("/v1/users");
    if (opts.json) return printJson(io, { object: "list", data: users, next_cursor: null });
    if (users.length === 0) return io.out("No users.");
    for (const line of table(USER_COLUMNS, users.map(userRow))) io.out(line);
  });
}

/** Commander actions (process IO, exit code 1 on failure). */
export const usersCreateCommand = action(runUsersCreate);
export const usersUpdateCommand = action(runUsersUpdate);
export const usersShowCommand = action(runUsersShow);
export const usersListCommand = action(runUsersList);

/** Adds `users create|update|show|list` to a program. `io` replaces the process (tests). */
export function registerUsersCommands(program: Command, io?: CliIO): Command {
  const users = program.command("users").description("manage users on a running gateway");
  withLimitOptions(
    withConnection(users.command("create").description("create a user"))
      .option("--id <user_id>", "user id (generated when absent)")
      .option("--alias <alias>", "display name")
      .option("--team <team_id>", "team"),
  ).action(action((io2: CliIO, opts: UsersCreateOptions) => runUsersCreate(io2, opts), io));
  withLimitOptions(
    withConnection(users.command("update").description("change a user's alias, team or limits").argument("<user_id>", "user id"))
      .option("--alias <alias>", "display name")
      .option("--team <team_id>", "team"),
  ).action(action((io2: CliIO, id: string, opts: UsersUpdateOptions) => runUsersUpdate(io2, id, opts), io));
  withConnection(users.command("show").description("show a user").argument("<user_id>", "user id")).action(
    action((io2: CliIO, id: string, opts: ConnectionOptions) => runUsersShow(io2, id, opts), io),
  );
  withConnection(users.command("list").description("list users")).action(action((io2: CliIO, opts: ConnectionOptions) => runUsersList(io2, opts), io));
  return users;
}

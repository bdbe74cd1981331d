/**
 * The CLI as a new user meets it: it finds the gateway and its master key the way the server
 * does (config file, SWITCHBOARD_PORT, <data_dir>/master.key), and manages teams, budgets,
 * keys with limits, and reads usage.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CliIO } from "../../src/cli/api-command.js";
import { registerBudgetsCommands } from "../../src/cli/budgets.js";
import { registerKeysCommands } from "../../src/cli/keys.js";
import { registerTeamsCommands } from "../../src/cli/teams.js";
import { registerUsageCommand } from "../../src/cli/usage.js";
import { registerUsersCommands } from "../../src/cli/users.js";
import { readEnv } from "../../src/config/env.js";
import { MASTER, startHarness, type Harness } from "./harness.js";

let x: Harness;
let port: number;
beforeAll(async () => {
  x = await startHarness();
  port = Number(new URL(x.url).port);
});
afterAll(() => x?.close());

async function cli(args: string[], env: Record<string, string>, cwd?: string) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIO = { out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: readEnv(env), cwd };
  const program = new Command().name("switchboard").exitOverride();
  registerKeysCommands(program, io);
  registerUsersCommands(program, io);
  registerTeamsCommands(program, io);
  registerBudgetsCommands(program, io);
  registerUsageCommand(program, io);
  const before = process.exitCode;
  process.exitCode = undefined;
  await program.parseAsync(["node", "switchboard", ...args]);
  const code = process.exitCode ?? 0;
  process.exitCode = before;
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

const viaEnv = () => ({ SWITCHBOARD_URL: x.url, SWITCHBOARD_MASTER_KEY: MASTER });

describe("finding the gateway and its master key", () => {
  it("reads <data_dir>/master.key and the port from the config file, as after `npm start`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-cli-find-"));
    mkdirSync(join(dir, "state"));
    writeFileSync(join(dir, "state", "master.key"), MASTER + "\n", { mode: 0o600 });
    writeFileSync(join(dir, "switchboard.yaml"), `data_dir: ./state\nserver: { port: ${port} }\n`);
    const r = await cli(["teams", "list"], {}, dir);
    expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^(No teams\.|TEAM_ID)/), stderr: "" });
  });

  it("honours SWITCHBOARD_PORT and --config like the server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-cli-port-"));
    writeFileSync(join(dir, "master.key"), MASTER);
    writeFileSync(join(dir, "gw.yaml"), `data_dir: ${dir}\nserver: { port: 1 }\n`);
    const viaPortVar = await cli(["teams", "list", "--config", join(dir, "gw.yaml")], { SWITCHBOARD_PORT: String(port) });
    expect(viaPortVar.code).toBe(0);
    const wrongPort = await cli(["teams", "list", "--config", join(dir, "gw.yaml")], {});
    expect(wrongPort.code).toBe(1);
    expect(wrongPort.stderr).toMatch(/^switchboard: cannot reach the gateway at http:\/\/127\.0\.0\.1:1: /);
  });

  it("says where a master key comes from when there is none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-cli-nokey-"));
    const r = await cli(["keys", "list"], { SWITCHBOARD_URL: x.url }, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("switchboard: no master key: pass --master-key, set SWITCHBOARD_MASTER_KEY, or start the gateway once (it writes <data_dir>/master.key)");
  });

  it("reports a broken config file in one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-cli-badcfg-"));
    writeFileSync(join(dir, "switchboard.yaml"), "server: { port: abc }\n");
    const r = await cli(["keys", "list"], {}, dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^switchboard: invalid configuration: switchboard\.yaml:1: server\.port: /);
  });
});

describe("teams, budgets, keys with limits, usage", () => {
  it("creates a team and a user in it (the docs' own example)", async () => {
    const team = await cli(["teams", "create", "--id", "platform", "--name", "Platform"], viaEnv());
    expect(team).toEqual({ code: 0, stdout: "Created team platform (Platform).", stderr: "" });
    const user = await cli(["users", "create", "--id", "ana", "--team", "platform"], viaEnv());
    expect(user.stdout).toBe("Created user ana in team platform.");
    const list = await cli(["teams", "list"], viaEnv());
    expect(list.stdout.split("\n")[0]).toMatch(/^TEAM_ID\s+NAME\s+BUDGET\s+BLOCKED\s+LIMITS\s+CREATED$/);
    expect(list.stdout).toMatch(/\nplatform\s+Platform\s+-\s+no\s+-\s+\d{4}-/);
    const json = JSON.parse((await cli(["teams", "list", "--json"], viaEnv())).stdout);
    expect(json.data.map((t: { team_id: string }) => t.team_id)).toContain("platform");
  });

  it("creates a budget, assigns it, and shows each assignment's spend", async () => {
    const made = await cli(["budgets", "create", "--id", "monthly-5", "--max", "5.25", "--duration", "1mo"], viaEnv());
    expect(made.code).toBe(0);
    expect(made.stdout.split("\n")[0]).toBe("Created budget monthly-5: $5.25 per 1mo, enforce.");
    const assigned = await cli(["budgets", "assign", "monthly-5", "--team", "platform"], viaEnv());
    expect(assigned.stdout).toBe("Budget monthly-5 now applies to team platform.");
    const list = await cli(["budgets", "list"], viaEnv());
    expect(list.stdout).toMatch(/\nmonthly-5\s+5\.25\s+1mo\s+enforce\s+team:platform\s+0(\.0+)?\s+\d{4}-/);
    const both = await cli(["budgets", "assign", "monthly-5", "--team", "platform", "--user", "ana"], viaEnv());
    expect(both).toMatchObject({ code: 1, stderr: "switchboard: name exactly one of --key, --user or --team" });
  });

  it("creates a key with a budget, limits and allowed models", async () => {
    const r = await cli(["keys", "create", "--name", "ci", "--budget", "monthly-5", "--rpm", "30", "--tpm", "1000", "--allowed-models", "mock:*, openai:gpt-4o-mini", "--json"], viaEnv());
    expect(r.code).toBe(0);
    const key = JSON.parse(r.stdout);
    expect(key).toMatchObject({ key_name: "ci", budget_id: "monthly-5", rpm_limit: 30, tpm_limit: 1000, allowed_models: ["mock:*", "openai:gpt-4o-mini"] });
    const table = await cli(["keys", "create", "--budget", "monthly-5", "--max-parallel", "2"], viaEnv());
    expect(table.stdout).toMatch(/USER\s+TEAM\s+MODELS\s+BUDGET\s+LIMITS\s+EXPIRES\s+STATUS\n-\s+-\s+all\s+monthly-5\s+parallel=2\s+never\s+active/);
    expect(table.stderr).toBe("");
    const missing = await cli(["keys", "create", "--budget", "no-such-budget"], viaEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^switchboard: .*no-such-budget.*\(HTTP 4\d\d/);
  });

  it("prints usage as a table, JSON or CSV", async () => {
    const empty = await cli(["usage", "--group-by", "model"], viaEnv());
    expect(empty).toEqual({ code: 0, stdout: "No usage in this period.", stderr: "" });
    const csv = await cli(["usage", "--group-by", "model,day", "--csv"], viaEnv());
    expect(csv.code).toBe(0);
    expect(csv.stdout.split("\n")[0]).toMatch(/^model,day,/);
    const bad = await cli(["usage", "--group-by", "colour"], viaEnv());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'colour' is not one of/);
  });
});

describe("limits on users and teams", () => {
  it("create takes --rpm, --tpm, --rpd, --max-parallel and prints the limits, with nothing on stderr", async () => {
    const team = await cli(["teams", "create", "--id", "lim-t", "--name", "Limited", "--rpm", "100", "--max-parallel", "5"], viaEnv());
    expect(team).toEqual({ code: 0, stdout: "Created team lim-t (Limited).\nLimits: rpm=100 parallel=5", stderr: "" });
    const user = await cli(["users", "create", "--id", "lim-u", "--team", "lim-t", "--tpm", "5000", "--rpd", "300", "--json"], viaEnv());
    expect(user).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(user.stdout)).toMatchObject({ user_id: "lim-u", team_id: "lim-t", rpm_limit: null, tpm_limit: 5000, rpd_limit: 300, max_parallel: null });
    expect(JSON.parse(user.stdout)).not.toHaveProperty("warnings");
    const plain = await cli(["users", "create", "--id", "lim-plain"], viaEnv());
    expect(plain).toEqual({ code: 0, stdout: "Created user lim-plain.", stderr: "" });
    expect((await x.call("GET", "/v1/teams/lim-t")).body).toMatchObject({ rpm_limit: 100, tpm_limit: null, rpd_limit: null, max_parallel: 5 });
  });

  it("update sets and clears (none) limits and prints what is in force", async () => {
    const user = await cli(["users", "update", "lim-u", "--rpm", "20", "--tpm", "none"], viaEnv());
    expect(user).toEqual({ code: 0, stdout: "Updated user lim-u.\nLimits: rpm=20 rpd=300", stderr: "" });
    expect((await x.call("GET", "/v1/users/lim-u")).body).toMatchObject({ rpm_limit: 20, tpm_limit: null, rpd_limit: 300, max_parallel: null });
    const team = await cli(["teams", "update", "lim-t", "--max-parallel", "none", "--rpd", "1000", "--name", "Still limited"], viaEnv());
    expect(team).toEqual({ code: 0, stdout: "Updated team lim-t.\nLimits: rpm=100 rpd=1000", stderr: "" });
    expect((await x.call("GET", "/v1/teams/lim-t")).body).toMatchObject({ name: "Still limited", rpm_limit: 100, rpd_limit: 1000, max_parallel: null });
    const cleared = await cli(["teams", "update", "lim-t", "--rpm", "none", "--rpd", "none"], viaEnv());
    expect(cleared).toEqual({ code: 0, stdout: "Updated team lim-t.\nLimits: none", stderr: "" });
    await cli(["teams", "update", "lim-t", "--rpm", "100"], viaEnv());
  });

  it("list and show have a LIMITS column", async () => {
    const users = await cli(["users", "list"], viaEnv());
    expect(users.stdout.split("\n")[0]).toMatch(/^USER_ID\s+ALIAS\s+TEAM\s+BLOCKED\s+LIMITS\s+CREATED$/);
    expect(users.stdout).toMatch(/\nlim-u\s+-\s+lim-t\s+no\s+rpm=20 rpd=300\s+\d{4}-/);
    expect(users.stdout).toMatch(/\nlim-plain\s+-\s+-\s+no\s+-\s+\d{4}-/);
    const user = await cli(["users", "show", "lim-u"], viaEnv());
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/^USER_ID\s+ALIAS\s+TEAM\s+BLOCKED\s+LIMITS\s+CREATED\nlim-u\s+-\s+lim-t\s+no\s+rpm=20 rpd=300\s+\d{4}-\S+$/);
    const teams = await cli(["teams", "list"], viaEnv());
    expect(teams.stdout).toMatch(/\nlim-t\s+Still limited\s+-\s+no\s+rpm=100\s+\d{4}-/);
    const team = await cli(["teams", "show", "lim-t", "--json"], viaEnv());
    expect(JSON.parse(team.stdout)).toMatchObject({ team_id: "lim-t", rpm_limit: 100, tpm_limit: null, rpd_limit: null, max_parallel: null });
    const missing = await cli(["users", "show", "nobody"], viaEnv());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^switchboard: .*nobody.*\(HTTP 404/);
  });

  it("refuses an update with nothing to change, a limit the API refuses, and a flag that is not a whole number", async () => {
    expect(await cli(["users", "update", "lim-u"], viaEnv())).toEqual({
      code: 1,
      stdout: "",
      stderr: "switchboard: nothing to change: give --alias, --team, --rpm, --tpm, --rpd or --max-parallel",
    });
    expect(await cli(["teams", "update", "lim-t"], viaEnv())).toMatchObject({ code: 1, stderr: "switchboard: nothing to change: give --name, --budget, --rpm, --tpm, --rpd or --max-parallel" });
    const zero = await cli(["teams", "update", "lim-t", "--rpm", "0"], viaEnv());
    expect(zero.code).toBe(1);
    expect(zero.stderr).toBe("switchboard: invalid request body 'rpm_limit': Too small: expected number to be >0 (HTTP 400 invalid_request)");

    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await expect(cli(["users", "update", "lim-u", "--max-parallel", "two"], viaEnv())).rejects.toThrow("exit 2");
      expect(stderr).toHaveBeenCalledWith('switchboard: --max-parallel must be a whole number, or none for no limit, got "two"\n');
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
    expect((await x.call("GET", "/v1/users/lim-u")).body).toMatchObject({ rpm_limit: 20, max_parallel: null });
  });
});

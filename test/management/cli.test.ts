/** `switchboard keys …` / `users …` command functions against a served management app. */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerKeysCommands, runKeysCreate, runKeysList } from "../../src/cli/keys.js";
import { registerUsersCommands } from "../../src/cli/users.js";
import type { CliIO } from "../../src/cli/api-command.js";
import { readEnv } from "../../src/config/env.js";
import { hashKey, KEY_PATTERN } from "../../src/policy/keys.js";
import { MASTER, startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function capture(env: Record<string, string> = {}): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  // A directory of its own: no ./switchboard.yaml or ./.switchboard/master.key is found by accident.
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: readEnv(env), cwd: mkdtempSync(join(tmpdir(), "sb-cli-")) };
}

/** Runs `switchboard <args>` through commander with the commands registered as main.ts would. */
async function cli(args: string[], env: Record<string, string> = { SWITCHBOARD_URL: x.url, SWITCHBOARD_MASTER_KEY: MASTER }) {
  const io = capture(env);
  const program = new Command().name("switchboard").exitOverride();
  registerKeysCommands(program, io);
  registerUsersCommands(program, io);
  const before = process.exitCode;
  process.exitCode = undefined;
  await program.parseAsync(["node", "switchboard", ...args]);
  const code = process.exitCode ?? 0;
  process.exitCode = before;
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

describe("keys and users commands", () => {
  it("users create / list, with the URL and master key from the environment", async () => {
    await x.call("POST", "/v1/teams", { team_id: "cli-team" });
    const made = await cli(["users", "create", "--id", "cli-user", "--alias", "CLI", "--team", "cli-team"]);
    expect(made).toMatchObject({ code: 0, stderr: "" });
    expect(made.stdout).toBe("Created user cli-user in team cli-team.");
    const gen = await cli(["users", "create", "--json"]);
    expect(JSON.parse(gen.stdout).user_id).toMatch(/^user_/);
    const list = await cli(["users", "list"]);
    const lines = list.stdout.split("\n");
    expect(lines[0]).toMatch(/^USER_ID\s+ALIAS\s+TEAM\s+BLOCKED\s+LIMITS\s+CREATED$/);
    expect(lines.find((l) => l.startsWith("cli-user"))).toMatch(/^cli-user\s+CLI\s+cli-team\s+no\s+-\s+\d{4}-/);
    const json = JSON.parse((await cli(["users", "list", "--json"])).stdout);
    expect(json.object).toBe("list");
    expect(json.data.map((u: { user_id: string }) => u.user_id)).toContain("cli-user");
  });

  it("keys create prints the key once; list shows it masked; revoke revokes", async () => {
    const made = await cli(["keys", "create", "--name", "cli-key", "--user", "cli-user", "--models", "gpt-4o-mini, anthropic:*", "--expires", "2099-01-01T00:00:00Z"]);
    expect(made.code).toBe(0);
    const key = /^\s+(sb-live-\S+)$/m.exec(made.stdout)![1];
    expect(key).toMatch(KEY_PATTERN);
    expect(made.stdout).toContain("Store the key now");
    expect(made.stdout).toMatch(/cli-user\s+-\s+gpt-4o-mini,anthropic:\*\s+-\s+-\s+2099-01-01T00:00:00.000Z\s+active/);
    const id = /Created key (key_\w+)/.exec(made.stdout)![1];

    const list = await cli(["keys", "list"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+KEY\s+STATUS\s+USER\s+TEAM\s+EXPIRES\s+CREATED$/);
    expect(list.stdout).toContain(`${key.slice(0, 12)}…`);
    expect(list.stdout).not.toContain(key);
    expect(list.stdout).not.toContain(hashKey(key));

    const json = await cli(["keys", "create", "--json", "--team", "cli-team"]);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({ team_id: "cli-team", status: "active" });
    expect(created.key).toMatch(KEY_PATTERN);

    const revoked = await cli(["keys", "revoke", id]);
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked key ${id} at \\d{4}-`));
    const listed = JSON.parse((await cli(["keys", "list", "--json"])).stdout);
    expect(listed.data.find((k: { id: string }) => k.id === id).status).toBe("revoked");
    expect(JSON.stringify(listed)).not.toContain(key);
  });

  it("takes --url and --master-key over the environment", async () => {
    const r = await cli(["keys", "list", "--url", x.url, "--master-key", MASTER], { SWITCHBOARD_URL: "http://127.0.0.1:9", SWITCHBOARD_MASTER_KEY: "wrong" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+NAME/);
  });

  it("prints one-line errors and exits 1", async () => {
    const wrong = await cli(["keys", "list"], { SWITCHBOARD_URL: x.url, SWITCHBOARD_MASTER_KEY: "wrong" });
    expect(wrong).toEqual({ code: 1, stdout: "", stderr: "switchboard: invalid API key (HTTP 401 invalid_api_key)" });
    const noKey = await cli(["users", "list"], { SWITCHBOARD_URL: x.url });
    expect(noKey).toEqual({ code: 1, stdout: "", stderr: "switchboard: no master key: pass --master-key, set SWITCHBOARD_MASTER_KEY, or start the gateway once (it writes <data_dir>/master.key)" });
    const closed = await closedPort();
    const down = await cli(["keys", "list"], { SWITCHBOARD_URL: `http://127.0.0.1:${closed}`, SWITCHBOARD_MASTER_KEY: MASTER });
    expect(down).toEqual({ code: 1, stdout: "", stderr: `switchboard: cannot reach the gateway at http://127.0.0.1:${closed}: ECONNREFUSED` });
    const bad = await cli(["keys", "create", "--expires", "tomorrow"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^switchboard: invalid request body 'expires_at': .*\(HTTP 400 invalid_request\)$/);
    expect(bad.stderr.split("\n")).toHaveLength(1);
    const dup = await cli(["users", "create", "--id", "cli-user"]);
    expect(dup.stderr).toBe("switchboard: user 'cli-user' already exists (HTTP 409 conflict)");
    const missing = await cli(["keys", "revoke", "key_missing"]);
    expect(missing.stderr).toBe("switchboard: key 'key_missing' not found (HTTP 404 not_found)");
  });

  it("the run functions default the URL to http://127.0.0.1:8000", async () => {
    const io = capture({ SWITCHBOARD_MASTER_KEY: MASTER });
    io.fetch = (input) => {
      expect(input instanceof Request ? input.url : input.toString()).toBe("http://127.0.0.1:8000/v1/keys?limit=200");
      return Promise.resolve(new Response(JSON.stringify({ object: "list", data: [], next_cursor: null }), { headers: { "content-type": "application/json" } }));
    };
    expect(await runKeysList(io, {})).toBe(0);
    expect(io.stdout).toEqual(["No keys."]);
    expect(await runKeysCreate(capture(), { url: "ftp://x", masterKey: "k" })).toBe(1);
  });
});

/**
 * docs/clients.md, "Claude Code": the real `claude` (@anthropic-ai/claude-code) run with `-p`
 * against the gateway, with the doc's environment, in an empty home and working directory. Its
 * connections are traced (strace) to show the gateway is the only address it reaches.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ROOT, ledger, newKey, runSnippet, snippet, startBench, type Bench, type RunResult } from "./harness.js";

const hasStrace = spawnSync("strace", ["-V"]).status === 0;
let b: Bench;
let aliased: Bench;
let dirs: string[] = [];

beforeAll(async () => {
  b = await startBench();
  // The doc's configuration with the claude-code-config snippet's alias added.
  const docModels = (parseYaml(snippet("gateway-config").code) as { models: unknown[] }).models;
  const aliasModels = (parseYaml(snippet("claude-code-config").code) as { models: unknown[] }).models;
  aliased = await startBench({ models: [...docModels, ...aliasModels] });
});
afterAll(async () => {
  await b?.stop();
  await aliased?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** Runs the claude-code snippet against the bench's gateway in a fresh home (with one line replaced, for the warnings). */
async function runClaude(bench: Bench, key: string, replaceLine?: [string, string]): Promise<RunResult & { connects: string[] | null }> {
  const dir = mkdtempSync(join(tmpdir(), "sb-claude-"));
  dirs.push(dir);
  const trace = join(dir, "connect.trace");
  const prefix = hasStrace ? ["strace", "-f", "-qq", "-e", "trace=connect", "-o", trace] : [];
  const env = { SWITCHBOARD_KEY: key, HOME: dir, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}` };
  const r = await runSnippet("claude-code", bench.gw.url, env, { cwd: dir, prefix, replaceLine, timeoutMs: 90_000 });
  const connects = hasStrace ? [...readFileSync(trace, "utf8").matchAll(/sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr|inet_pton\(AF_INET6, )\("([^"]+)"/g)].map((m) => `${m[2]}:${m[1]}`) : null;
  return { ...r, connects };
}

describe("Claude Code", () => {
  it("claude-code: `claude -p` prints the upstream's answer; it connects to the gateway only; the ledger has its request", async () => {
    if (!hasStrace && process.env.CI === "true") throw new Error("strace is missing (.ci/run installs it)");
    const k = await newKey(b.gw, "claude-code");
    b.anthropic.enqueue({ text: "Hello from the gateway", usage: { input: 900, output: 6 } });
    const before = b.anthropic.calls.length;
    const r = await runClaude(b, k.key);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toBe("Hello from the gateway\n");
    const calls = b.anthropic.calls.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toMatchObject({ model: "claude-sonnet-4-6", stream: true });
    expect(calls[0].body.tools.length).toBeGreaterThan(5);
    if (r.connects) expect(new Set(r.connects)).toEqual(new Set([`127.0.0.1:${new URL(b.gw.url).port}`]));
    const rows = await ledger(b.gw, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "messages", requested_model: "claude-sonnet-4-6", provider: "anthropic", status: 200, prompt_tokens: 900, completion_tokens: 6, streamed: true });
  });

  it("claude-code-config: the alias named claude-sonnet-4-6 sends Claude Code to an OpenAI upstream", async () => {
    const k = await newKey(aliased.gw, "claude-code-alias");
    aliased.openai.enqueue({ text: "Hello from GPT", usage: { prompt_tokens: 700, completion_tokens: 4 } });
    const before = aliased.openai.calls.length;
    const r = await runClaude(aliased, k.key);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toBe("Hello from GPT\n");
    const calls = aliased.openai.calls.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toMatchObject({ model: "gpt-4o-mini", stream: true });
    expect(aliased.anthropic.calls).toHaveLength(0);
    const rows = await ledger(aliased.gw, k.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "messages", requested_model: "claude-sonnet-4-6", provider: "openai", status: 200, prompt_tokens: 700, completion_tokens: 4 });
  });

  it.each([
    ["ANTHROPIC_MODEL (the default model, claude-opus-4-8)", "export ANTHROPIC_MODEL=claude-sonnet-4-6", "output_config"],
    ["CLAUDE_CODE_EFFORT_LEVEL=auto", "export CLAUDE_CODE_EFFORT_LEVEL=auto", "output_config"],
    ["CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1", "export CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1", "context_management"],
  ])("without %s, Claude Code sends a field the gateway refuses, as the doc says", async (_name, line, field) => {
    const k = await newKey(b.gw, "claude-code-without");
    const before = b.anthropic.calls.length;
    const r = await runClaude(b, k.key, [line, ""]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`400 field "${field}" is not supported on /v1/messages by this gateway`);
    expect(b.anthropic.calls.length).toBe(before);
  });

  // Known gateway limitation, kept as a failing expectation: Claude Code sends `role: "system"`
  // messages inside `messages` for models it does not know as Claude models (an alias such as
  // `fast`). The gateway refuses them ("messages[1].role: Invalid option"), a wording Claude
  // Code does not recognise, so it does not retry without them. `it.fails` turns red once the
  // gateway accepts them: then drop `.fails` and document aliases in ANTHROPIC_MODEL.
  it.fails("an alias in ANTHROPIC_MODEL (system-role messages inside `messages`) is answered", async () => {
    const k = await newKey(b.gw, "claude-code-system-role");
    b.openai.enqueue({ text: "Hello through the alias", usage: { prompt_tokens: 50, completion_tokens: 4 } });
    const r = await runClaude(b, k.key, ["export ANTHROPIC_MODEL=claude-sonnet-4-6", "export ANTHROPIC_MODEL=fast"]);
    expect(r.stdout + r.stderr).toBe("Hello through the alias\n");
  });
});

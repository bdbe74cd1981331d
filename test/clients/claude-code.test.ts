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
import { sendJson, startFakeServer, type FakeServer } from "../support/fake-server.js";
import { ROOT, ledger, newKey, runSnippet, snippet, startBench, type Bench, type RunResult } from "./harness.js";

const hasStrace = spawnSync("strace", ["-V"]).status === 0;
let b: Bench;
let aliased: Bench;
let recorder: FakeServer<object>;
let dirs: string[] = [];

beforeAll(async () => {
  b = await startBench();
  // The doc's configuration with the claude-code-config snippet's alias added.
  const docModels = (parseYaml(snippet("gateway-config").code) as { models: unknown[] }).models;
  const aliasModels = (parseYaml(snippet("claude-code-config").code) as { models: unknown[] }).models;
  aliased = await startBench({ models: [...docModels, ...aliasModels] });
  recorder = await startRecorder();
});
afterAll(async () => {
  await b?.stop();
  await aliased?.stop();
  await recorder?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/**
 * Records what Claude Code sends, as its ANTHROPIC_BASE_URL: answers every Messages request
 * with a one-word Message (Anthropic's event stream when asked to stream), whatever it carries.
 */
function startRecorder(): Promise<FakeServer<object>> {
  const message = {
    id: "msg_01recorder",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-6",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 1 },
  };
  const events: Array<[string, object]> = [
    ["message_start", { type: "message_start", message }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Recorded" } }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } }],
    ["message_stop", { type: "message_stop" }],
  ];
  return startFakeServer<object>({
    handle(call, res) {
      if (call.body?.stream !== true) return sendJson(res, 200, { ...message, content: [{ type: "text", text: "Recorded" }], stop_reason: "end_turn" });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(""));
    },
  });
}

/** The roles of a Messages request's `messages`, comma-separated. */
const roles = (body: { messages: { role: string }[] }) => body.messages.map((m) => m.role).join(",");

/**
 * Runs the claude-code snippet against the bench's gateway (or `url`) in a fresh home, with one
 * line replaced for the tests of what the doc warns against.
 */
async function runClaude(bench: Bench, key: string, replaceLine?: [string, string], url = bench.gw.url): Promise<RunResult & { connects: string[] | null }> {
  const dir = mkdtempSync(join(tmpdir(), "sb-claude-"));
  dirs.push(dir);
  const trace = join(dir, "connect.trace");
  const prefix = hasStrace ? ["strace", "-f", "-qq", "-e", "trace=connect", "-o", trace] : [];
  const env = { SWITCHBOARD_KEY: key, HOME: dir, PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}` };
  const r = await runSnippet("claude-code", url, env, { cwd: dir, prefix, replaceLine, timeoutMs: 90_000 });
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

  // What Claude Code sends with one of the doc's variables left out, recorded with the recorder
  // as ANTHROPIC_BASE_URL (no gateway in between).
  it.each([
    ["nothing", null, (body: any) => expect([body.model, "output_config" in body, "context_management" in body, roles(body)]).toEqual(["claude-sonnet-4-6", false, false, "user"])],
    [
      "ANTHROPIC_MODEL",
      "export ANTHROPIC_MODEL=claude-sonnet-4-6",
      (body: any) => expect([body.model, body.output_config, roles(body)]).toEqual(["claude-opus-4-8", { effort: "high" }, "user,system"]),
    ],
    ["CLAUDE_CODE_EFFORT_LEVEL=auto", "export CLAUDE_CODE_EFFORT_LEVEL=auto", (body: any) => expect([body.model, body.output_config]).toEqual(["claude-sonnet-4-6", { effort: "high" }])],
    ["CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1", "export CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1", (body: any) => expect(body.context_management).toMatchObject({ edits: expect.any(Array) })],
  ] as const)("with %s left out: what Claude Code sends", async (_name, line, check) => {
    const before = recorder.calls.length;
    const r = await runClaude(b, "sb-recorded", line ? [line, ""] : undefined, recorder.url);
    expect(r.stdout, r.stderr).toBe("Recorded\n");
    const sent = recorder.calls.slice(before).filter((c) => c.path.startsWith("/v1/messages"));
    expect(sent).toHaveLength(1);
    check(sent[0].body);
  });

  it("an alias in ANTHROPIC_MODEL makes Claude Code send system-role messages inside `messages`", async () => {
    const before = recorder.calls.length;
    await runClaude(b, "sb-recorded", ["export ANTHROPIC_MODEL=claude-sonnet-4-6", "export ANTHROPIC_MODEL=fast"], recorder.url);
    const sent = recorder.calls.slice(before).filter((c) => c.path.startsWith("/v1/messages"));
    expect(sent.map((c) => [c.body.model, roles(c.body)])).toEqual([["fast", "user,system"]]);
  });

  it.each([
    ["CLAUDE_CODE_EFFORT_LEVEL=auto", "export CLAUDE_CODE_EFFORT_LEVEL=auto", "output_config"],
    ["CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1", "export CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1", "context_management"],
  ])("without %s, a request translated for an OpenAI upstream is refused with a 400 naming the field, which claude prints", async (_name, line, field) => {
    const k = await newKey(aliased.gw, "claude-code-without");
    const before = aliased.openai.calls.length;
    const r = await runClaude(aliased, k.key, [line, ""]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`API Error: 400 field "${field}" is not supported on /v1/messages by this gateway`);
    expect(aliased.openai.calls.length).toBe(before);
  });

  // Claude Code sends `role: "system"` messages inside `messages` for models it does not know as
  // Claude models (an alias such as `fast`); the gateway keeps them as system messages.
  it("an alias in ANTHROPIC_MODEL (system-role messages inside `messages`) is answered", async () => {
    const k = await newKey(b.gw, "claude-code-system-role");
    b.openai.enqueue({ text: "Hello through the alias", usage: { prompt_tokens: 50, completion_tokens: 4 } });
    const r = await runClaude(b, k.key, ["export ANTHROPIC_MODEL=claude-sonnet-4-6", "export ANTHROPIC_MODEL=fast"]);
    expect(r.stdout + r.stderr).toBe("Hello through the alias\n");
  });
});

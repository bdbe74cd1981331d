/**
 * The client tests' bench: a real gateway in process in front of a fake OpenAI upstream (provider
 * `openai`) and a fake Anthropic upstream (provider `anthropic`), a fresh virtual key per test,
 * and the snippets of docs/clients.md run as they are written.
 *
 * A snippet is the fenced block after a `<!-- snippet: <id> -->` line in docs/clients.md. It is
 * run unchanged except for one substitution: the documented gateway address
 * `http://127.0.0.1:8000` becomes the test gateway's. `js` blocks run with this machine's node as
 * an ES module (from the repository root, so they import the packages installed here), `sh`
 * blocks with bash, `python` blocks with python3. The key is in `SWITCHBOARD_KEY`, as the doc says.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { parse as parseYaml } from "yaml";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

export const DOC_URL = "http://127.0.0.1:8000";
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOC = readFileSync(new URL("../../docs/clients.md", import.meta.url), "utf8");

export interface Snippet {
  id: string;
  lang: string;
  code: string;
}

/** Every snippet of docs/clients.md, in order. */
export function snippets(doc = DOC): Snippet[] {
  const out: Snippet[] = [];
  const re = /^<!-- snippet: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)^```$/gm;
  for (const m of doc.matchAll(re)) out.push({ id: m[1], lang: m[2], code: m[3] });
  return out;
}

export function snippet(id: string): Snippet {
  const s = snippets().find((x) => x.id === id);
  if (!s) throw new Error(`docs/clients.md has no snippet "${id}"`);
  return s;
}

export interface Bench {
  gw: TestGateway;
  openai: FakeOpenAI;
  anthropic: FakeAnthropic;
  stop(): Promise<void>;
}

/**
 * A gateway with the doc's configuration (the `gateway-config` snippet: providers `openai` and
 * `anthropic`, alias `fast`), each provider pointed at its fake; `extra` adds top-level settings.
 */
export async function startBench(extra: Record<string, unknown> = {}): Promise<Bench> {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  const config = parseYaml(snippet("gateway-config").code) as { providers: Record<string, Record<string, unknown>> };
  const upstreams: Record<string, Record<string, unknown>> = {
    openai: { base_url: openai.url, api_key: "sk-upstream-openai-000000" },
    anthropic: { base_url: anthropic.url, api_key: anthropic.apiKey },
  };
  expect(Object.keys(config.providers)).toEqual(Object.keys(upstreams));
  for (const [id, p] of Object.entries(config.providers)) Object.assign(p, upstreams[id]);
  const gw = await startTestGateway({ ...config, ...extra });
  return {
    gw,
    openai,
    anthropic,
    async stop() {
      await gw.stop();
      await openai.close();
      await anthropic.close();
    },
  };
}

async function admin(gw: TestGateway, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json();
}

/** A new virtual key: its secret and its id (to find its requests in the ledger). */
export async function newKey(gw: TestGateway, name: string): Promise<{ key: string; id: string }> {
  const body = await admin(gw, "POST", "/v1/keys", { key_name: name });
  return { key: body.key, id: body.id };
}

/** The ledger's entries for a key (GET /v1/logs?key_id=…), oldest first, once written. */
export async function ledger(gw: TestGateway, keyId: string): Promise<any[]> {
  await gw.usage.flush();
  const body = await admin(gw, "GET", `/v1/logs?key_id=${encodeURIComponent(keyId)}&limit=200`);
  return [...body.data].reverse();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How each language's code is run, read from stdin. */
const RUNNERS: Record<string, { cmd: string; args: string[] }> = {
  js: { cmd: process.execPath, args: ["--input-type=module", "-"] },
  sh: { cmd: "bash", args: ["-e", "-"] },
  python: { cmd: "python3", args: ["-"] },
};

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  /** The interpreter instead of the language's default (e.g. a python3 by its path). */
  interpreter?: string;
  /** A command the interpreter runs under, e.g. ["strace", "-f", "-o", file]. */
  prefix?: string[];
  /** Replaces one line of the snippet (which must have it): for tests of what the doc warns against. */
  replaceLine?: [string, string];
}

/** Runs snippet `id` against the gateway at `url`, the code on stdin; env adds to a clean environment. */
export function runSnippet(id: string, url: string, env: Record<string, string>, opts: RunOptions = {}): Promise<RunResult> {
  const s = snippet(id);
  const runner = RUNNERS[s.lang];
  if (!runner) throw new Error(`no runner for ${s.lang}`);
  let code = s.code.split(DOC_URL).join(url);
  if (opts.replaceLine) {
    const [from, to] = opts.replaceLine;
    const lines = code.split("\n");
    const at = lines.indexOf(from);
    if (at < 0) throw new Error(`snippet ${id} has no line ${JSON.stringify(from)}`);
    lines[at] = to;
    code = lines.join("\n");
  }
  const [cmd, ...args] = [...(opts.prefix ?? []), opts.interpreter ?? runner.cmd, ...runner.args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (exit) => {
      clearTimeout(timer);
      resolve({ code: exit, stdout, stderr });
    });
    child.stdin.end(code);
  });
}

/** runSnippet, and the run must succeed. */
export async function runOk(id: string, url: string, env: Record<string, string>, opts: RunOptions = {}): Promise<string> {
  const r = await runSnippet(id, url, env, opts);
  expect(r.code, `snippet ${id} failed:\n${r.stderr}\n${r.stdout}`).toBe(0);
  return r.stdout;
}

/**
 * docs/clients.md, "OpenAI SDK for Python": the snippet run with the OpenAI Python library
 * (1.39.0, vendored in test/clients/vendor with its README) on Debian's python3 and its httpx and
 * pydantic packages. Skipped only where there is no python3 at all; in CI a library that does not
 * load is a failure (.ci/run installs the Debian packages).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledger, newKey, runOk, startBench, type Bench } from "./harness.js";

/** Debian's python3, for which its python3-* packages are built; else whatever python3 is on PATH. */
const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : spawnSync("python3", ["--version"]).status === 0 ? "python3" : null;
const archive = new URL("vendor/python-openai-1.39.0.tar.gz", import.meta.url).pathname;

let b: Bench;
let lib = "";
let loadError = "";
beforeAll(async () => {
  if (!python) return;
  lib = mkdtempSync(join(tmpdir(), "sb-pyopenai-"));
  const untar = spawnSync("tar", ["-xzf", archive, "-C", lib]);
  expect(untar.status, String(untar.stderr)).toBe(0);
  const probe = spawnSync(python, ["-c", "import openai, httpx, pydantic; print(openai.__version__)"], { env: { PATH: process.env.PATH ?? "", PYTHONPATH: lib } });
  if (probe.status !== 0 || String(probe.stdout).trim() !== "1.39.0") loadError = String(probe.stderr) || String(probe.stdout);
  b = await startBench();
});
afterAll(async () => {
  await b?.stop();
  if (lib) rmSync(lib, { recursive: true, force: true });
});

describe("OpenAI SDK for Python", () => {
  it.skipIf(!python)("python-openai: chat, stream with usage, embeddings", async (ctx) => {
    if (loadError) {
      const why = `the OpenAI Python library does not load with ${python} (apt-get install python3-httpx python3-pydantic python3-anyio python3-distro python3-sniffio): ${loadError}`;
      if (process.env.CI === "true") throw new Error(why);
      ctx.skip(why);
    }
    const k = await newKey(b.gw, "python-openai");
    b.openai.enqueue({ text: "Hello from upstream", usage: { prompt_tokens: 11, completion_tokens: 4 } });
    b.openai.enqueue({ text: "1 2 3 4 5", chunks: 5, usage: { prompt_tokens: 9, completion_tokens: 5 } });
    b.openai.enqueue({ path: "/v1/embeddings", vectors: [[0.5, -0.25, 0.125]] });
    const out = await runOk("python-openai", b.gw.url, { SWITCHBOARD_KEY: k.key, PYTHONPATH: lib }, { interpreter: python! });
    expect(out).toBe("Hello from upstream\n11 4\n1 2 3 4 5\n9 in, 5 out\n2 [0.5, -0.25, 0.125]\n");
    expect(b.openai.calls.slice(-3).map((c) => [c.path, c.body.model, c.body.stream ?? false])).toEqual([
      ["/v1/chat/completions", "gpt-4o-mini", false],
      ["/v1/chat/completions", "gpt-4o-mini", true],
      ["/v1/embeddings", "text-embedding-3-small", false],
    ]);
    const rows = await ledger(b.gw, k.id);
    expect(rows.map((r) => [r.endpoint, r.requested_model, r.prompt_tokens, r.streamed])).toEqual([
      ["chat", "openai:gpt-4o-mini", 11, false],
      ["chat", "fast", 9, true],
      ["embeddings", "openai:text-embedding-3-small", expect.any(Number), false],
    ]);
  });
});

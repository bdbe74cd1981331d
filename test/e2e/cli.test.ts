/** The `switchboard` command: config check, migrate, serve with a generated master key, and graceful shutdown. */
import { mkdtempSync, rmSync, writeFileSync, statSync, readFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { openStore } from "../../src/store/db.js";
import { countUsage } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { runCli, startServe } from "../support/cli.js";

let dir: string;
let fake: FakeOpenAI;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sb-cli-"));
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("config check", () => {
  it("prints every problem with file, line and key path, and exits 1", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, ["server:", "  port: abc", "routing:", "  retries: -1", "sevrer: {}", ""].join("\n"));
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/bad\.yaml:2: server\.port: /);
    expect(lines[1]).toMatch(/bad\.yaml:4: routing\.retries: /);
    expect(lines[2]).toMatch(/bad\.yaml:5: sevrer: unknown key/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it("accepts a valid file", async () => {
    const file = join(dir, "good.yaml");
    writeFileSync(
      file,
      "providers:\n  local: { type: vllm, base_url: http://127.0.0.1:1/v1 }\npricing:\n  local:llama: { input: 0.1, output: 0.2 }\nmodels:\n  - name: fast\n    deployments: [ { model: local:llama } ]\n",
    );
    const r = await runCli(["config", "check", file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK/);
  });
  it("serve refuses an invalid config with the same lines and no stack trace", async () => {
    const file = join(dir, "bad2.yaml");
    writeFileSync(file, "server:\n  port: abc\n");
    const r = await runCli(["serve", "--config", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad2\.yaml:2: server\.port: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("serve", () => {
  it("starts with no configuration: embedded store, generated master key (0600, printed once), mock provider", async () => {
    const cwd = mkdtempSync(join(dir, "fresh-"));
    const s = await startServe([], { cwd });
    try {
      const key = readFileSync(join(cwd, ".switchboard", "master.key"), "utf8").trim();
      expect(statSync(join(cwd, ".switchboard", "master.key")).mode & 0o777).toBe(0o600);
      expect(s.output()).toContain(key);
      const res = await fetch(`${s.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
    } finally {
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
    const again = await startServe([], { cwd });
    try {
      expect(again.output()).not.toMatch(/sb-master-/);
    } finally {
      again.child.kill("SIGTERM");
      await again.exited;
    }
  });

  it("SIGTERM finishes an in-flight stream, flushes usage and exits 0", async () => {
    const dataDir = mkdtempSync(join(dir, "drain-"));
    cpSync(inject("storeTemplate"), dataDir, { recursive: true });
    const config = join(dataDir, "sb.yaml");
    writeFileSync(config, `providers:\n  up: { type: openai, base_url: "${fake.url}", api_key: sk-x }\nusage: { flush_interval_ms: 5000 }\n`);
    const s = await startServe(["--config", config], { env: { SWITCHBOARD_MASTER_KEY: "sb-master-drain-test-key", SWITCHBOARD_DATA_DIR: dataDir } });
    fake.enqueue({ text: "a b c d e f", chunks: 6, chunkDelayMs: 150 });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sb-master-drain-test-key", "content-type": "application/json" },
      body: JSON.stringify({ model: "up:gpt-4o", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    s.child.kill("SIGTERM");
    let body = "";
    const dec = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) body += dec.decode(r.value);
    expect(body).toContain("data: [DONE]");
    expect(await s.exited).toBe(0);
    const store = await openStore({ dataDir });
    try {
      expect(await countUsage(store.db)).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe("migrate", () => {
  it("applies migrations once and reports status", async () => {
    const dataDir = mkdtempSync(join(dir, "mig-"));
    const env = { SWITCHBOARD_DATA_DIR: dataDir };
    const first = await runCli(["migrate"], { env, timeoutMs: 60_000 });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied migrations 1/);
    const status = await runCli(["migrate", "--status"], { env, timeoutMs: 60_000 });
    expect(status.stdout).toMatch(/pending: none/);
  }, 90_000);
});

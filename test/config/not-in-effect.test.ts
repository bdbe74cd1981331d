/**
 * Settings accepted but not in effect yet: named in one start-up warning line (and by
 * `switchboard config check`), only when the loaded config uses them.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it, vi } from "vitest";
import { configCheckCommand } from "../../src/cli/config-check.js";
import { loadConfig, notInEffectWarning, parseConfig } from "../../src/config/index.js";
import { startGateway } from "../../src/gateway/index.js";
import { knownProviderTypes } from "../../src/providers/registry.js";
import { lines, tempDir, writeTemp } from "./tmp.js";

const USING_THEM = lines(
  "redis_url: redis://127.0.0.1:6379",
  "models:",
  "  - name: fast",
  "    strategy: round-robin",
  "    deployments:",
  "      - { model: mock:mock-1, weight: 3 }",
  "      - mock:mock-2",
  "    fallbacks: [smart]",
  "  - name: smart",
  "    deployments: [ { model: mock:mock-3 } ]",
  "routing:",
  "  retries: 1",
  "  circuit_breaker: { failures: 3 }",
  "logging:",
  "  store_content: true",
  "  retention_days: 7",
  "cache:",
  "  exact: { enabled: false, ttl_seconds: 60 }",
);

// Strategies, weights, fallbacks and the circuit breaker are in effect: not named.
const EXPECTED_LINE = 'warning: these settings are accepted but not in effect yet: cache.exact.ttl_seconds — see docs/configuration.md "Not in effect yet"';

describe("settings not in effect yet", () => {
  it("names each one the file uses, in one line", () => {
    const { path } = writeTemp("switchboard.yaml", USING_THEM);
    const config = loadConfig({ path, env: {} });
    expect(notInEffectWarning(config.notInEffect)).toBe(EXPECTED_LINE);
  });

  it("gives no line for a default config, nor for settings that are in effect", () => {
    expect(loadConfig({ env: {}, cwd: tempDir() }).notInEffect).toBeUndefined();
    const { path } = writeTemp(
      "switchboard.yaml",
      lines(
        "models:",
        "  - name: fast",
        "    deployments: [ mock:mock-1, { model: mock:mock-2 } ]",
        "    fallbacks: []",
        "routing: { retries: 0, timeouts: { total_ms: 1000 } }",
        "logging: { store_content: false }",
        "server: { port: 9000 }",
      ),
    );
    const config = loadConfig({ path, env: {} });
    expect(config.notInEffect).toBeUndefined();
    expect(notInEffectWarning(config.notInEffect)).toBeUndefined();
  });

  it("names limits.redis_failure set without Redis", () => {
    expect(parseConfig({ limits: { redis_failure: "closed" } }, { env: {} }).notInEffect).toEqual(["limits.redis_failure (without redis_url)"]);
    expect(parseConfig({ limits: { redis_failure: "closed" } }, { env: { REDIS_URL: "redis://127.0.0.1:6379" } }).notInEffect ?? "none").toBe("none"); // nothing to name: the field is absent
  });

  it("no longer names REDIS_URL, logging.level, logging.store_content or logging.retention_days (in effect)", () => {
    const config = parseConfig({ logging: { level: "debug", store_content: true, retention_days: 7 } }, { env: { REDIS_URL: "redis://127.0.0.1:6379" } });
    expect(config.notInEffect).toBeUndefined();
  });

  it("names the settings of the cache and the PII guardrail, which do not exist yet, but not enabled: false", () => {
    const config = parseConfig({
      cache: { exact: { enabled: false, ttl_seconds: 60 }, semantic: { enabled: false } },
      guardrails: { pii: { enabled: false, action: "mask", types: ["email"] } },
    });
    expect(config.notInEffect).toEqual(["cache.exact.ttl_seconds", "guardrails.pii.action", "guardrails.pii.types"]);
    expect(parseConfig({ cache: { exact: { enabled: false } }, guardrails: { pii: { enabled: false } } }).notInEffect).toBeUndefined();
  });

  it("is logged once when the gateway starts, and not at all for a default config", async () => {
    for (const [raw, expected] of [
      [
        { routing: { circuit_breaker: { cooldown_ms: 1000 } }, models: [{ name: "a", strategy: "cheapest", deployments: ["mock:mock-1"] }], cache: { exact: { enabled: false, ttl_seconds: 3 } } },
        ['warning: these settings are accepted but not in effect yet: cache.exact.ttl_seconds — see docs/configuration.md "Not in effect yet"'],
      ],
      [{}, []],
    ] as const) {
      const dataDir = mkdtempSync(join(tmpdir(), "sb-nie-"));
      cpSync(inject("storeTemplate"), dataDir, { recursive: true });
      const config = parseConfig({ master_key: "sb-master-test-0123456789abcdefghij", data_dir: dataDir, server: { port: 0 }, ...raw }, { env: {}, knownProviderTypes: knownProviderTypes() });
      const logged: string[] = [];
      const gw = await startGateway(config, { log: (line) => logged.push(line), drainMs: 1000 });
      try {
        expect(logged.filter((l) => l.includes("not in effect"))).toEqual(expected);
      } finally {
        await gw.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });

  it("is printed by `switchboard config check`, which still passes the file", async () => {
    const { path } = writeTemp("switchboard.yaml", USING_THEM);
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await configCheckCommand(path);
      expect(out.mock.calls).toEqual([[`${path}: OK — 1 providers, 2 model aliases`]]);
      // The not-in-effect line first, once; the file's other warnings (mock-2 and mock-3 have no price) after it.
      expect(err.mock.calls[0]).toEqual([EXPECTED_LINE]);
      expect(err.mock.calls.filter(([l]) => String(l).includes("not in effect"))).toHaveLength(1);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it("`switchboard config check` fails on a provider entry the provider refuses, as serve would", async () => {
    const { path } = writeTemp("switchboard.yaml", lines("providers:", "  az: { type: azure, api_key: k-000000 }"));
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    try {
      await expect(configCheckCommand(path)).rejects.toThrow("exit 1");
      expect(out.mock.calls).toEqual([]);
      expect(err.mock.calls).toEqual([[`${path}: providers.az: provider 'az' (azure): base_url is required: the resource URL, e.g. https://my-resource.openai.azure.com`]]);
    } finally {
      out.mockRestore();
      err.mockRestore();
      exit.mockRestore();
    }
  });
});

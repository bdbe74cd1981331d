import { describe, expect, it } from "vitest";
import { checkConfigFile, ConfigError, loadConfig } from "../../src/config/index.js";
import { lines, writeTemp } from "./tmp.js";

/** Loads `content` as ./switchboard.yaml and returns the problems it reports. */
function problems(content: string, name = "switchboard.yaml", opts: { knownProviderTypes?: string[] } = {}): string[] {
  const { dir } = writeTemp(name, content);
  try {
    loadConfig({ path: name, cwd: dir, env: {}, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("config errors", () => {
  it("names file, line and key path for every problem, in file order", () => {
    const content = lines(
      "server:", //                                   1
      "  host: 0.0.0.0", //                           2
      "  port: abc", //                               3
      "models:", //                                   4
      "  - name: fast", //                            5
      "    strategy: fastest", //                     6
      "    deployments:", //                          7
      "      - { model: openai:gpt-4o-mini }", //     8
      "      - { model: 42x, weight: heavy }", //     9
      "  - name: slow", //                            10
      "routing:", //                                  11
      "  retries: -1", //                             12
      "  circuit_breaker: { failures: 0 }", //        13
    );
    expect(problems(content)).toEqual([
      'switchboard.yaml:3: server.port: expected a number, got "abc"',
      'switchboard.yaml:6: models[0].strategy: expected one of weighted, round-robin, least-busy, lowest-latency, cheapest, usage-based, got "fastest"',
      'switchboard.yaml:9: models[0].deployments[1].weight: expected a number, got "heavy"',
      "switchboard.yaml:10: models[1].deployments: required key is missing",
      "switchboard.yaml:12: routing.retries: must be at least 0, got -1",
      "switchboard.yaml:13: routing.circuit_breaker.failures: must be at least 1, got 0",
    ]);
  });

  it("rejects unknown keys at the top level and below, with a hint for typos", () => {
    const content = lines(
      "sever:", //                         1
      "  port: 8000", //                   2
      "logging:", //                       3
      "  store_contents: true", //         4
      "frobnicate: 1", //                  5
      "providers:", //                     6
      "  openai: { region: us, api_key: k }", // 7 (extra keys are fine in a provider)
      "routing: { timeouts: { total: 5 } }", // 8
    );
    expect(problems(content)).toEqual([
      'switchboard.yaml:1: sever: unknown key (did you mean "server"?)',
      'switchboard.yaml:4: logging.store_contents: unknown key (did you mean "store_content"?)',
      "switchboard.yaml:5: frobnicate: unknown key",
      'switchboard.yaml:8: routing.timeouts.total: unknown key (did you mean "total_ms"?)',
    ]);
  });

  it("reports values of the wrong type", () => {
    const content = lines(
      "server: 8000", //                              1
      "models: { name: fast }", //                    2
      "logging:", //                                  3
      "  store_content: yes", //                      4
      "  level: loud", //                             5
      "usage: { batch_size: 2.5 }", //                6
      "cache: { semantic: { threshold: 1.5 } }", //   7
      "pricing:", //                                  8
      "  openai:gpt-4.1: { input: cheap, output: 1 }", // 9
      "providers:", //                                10
      "  openai: { base_url: ftp://example.com }", // 11
      "guardrails: { pii: { action: shred, custom: ['('] } }", // 12
    );
    expect(problems(content)).toEqual([
      "switchboard.yaml:1: server: expected a mapping, got 8000",
      "switchboard.yaml:2: models: expected a list, got a mapping",
      'switchboard.yaml:4: logging.store_content: expected true or false, got "yes"',
      'switchboard.yaml:5: logging.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
      "switchboard.yaml:6: usage.batch_size: expected a whole number, got 2.5",
      "switchboard.yaml:7: cache.semantic.threshold: must be at most 1, got 1.5",
      'switchboard.yaml:9: pricing["openai:gpt-4.1"].input: expected a number, got "cheap"',
      'switchboard.yaml:11: providers.openai.base_url: expected an http:// or https:// URL, got "ftp://example.com"',
      'switchboard.yaml:12: guardrails.pii.action: expected one of redact, mask, block, got "shred"',
      "switchboard.yaml:12: guardrails.pii.custom[0].pattern: Invalid regular expression: /(/: Unterminated group",
    ]);
  });

  it("requires `type` for a provider id that is not a provider type", () => {
    const content = lines(
      "providers:", //                                   1
      "  my-llm: { base_url: http://127.0.0.1:1/v1 }", //  2
      "  other:", //                                     3
      "    type: openai", //                             4
      "  weird:", //                                     5
      "    type: telepathy", //                          6
      "models:", //                                      7
      "  - { name: a, deployments: [mock:x] }", //       8
      "  - { name: a, deployments: [mock:y] }", //       9
    );
    expect(problems(content, "switchboard.yaml", { knownProviderTypes: ["mock", "openai"] })).toEqual([
      "switchboard.yaml:2: providers.my-llm: unknown provider type; set `type`",
      'switchboard.yaml:6: providers.weird.type: unknown provider type "telepathy" (known: mock, openai)',
      'switchboard.yaml:9: models[1].name: duplicate model name "a" (also models[0])',
    ]);
  });

  it("accepts the registry's own list of provider types", () => {
    const { path } = writeTemp("switchboard.yaml", "providers: { acme: {} }\n");
    expect(loadConfig({ path, env: {}, knownProviderTypes: ["acme", "mock"] }).providers.acme?.type).toBe("acme");
  });

  it("reports YAML syntax errors with their line", () => {
    expect(problems(lines("server:", "  port: 8000", " host: x", "logging: {}"))).toEqual(["switchboard.yaml:3: YAML syntax error: All mapping items must start at the same column"]);
    expect(problems(lines("server:", "  port: 8000", "\thost: x"))).toEqual(["switchboard.yaml:3: YAML syntax error: Tabs are not allowed as indentation"]);
    expect(problems(lines("server:", "  port: 1", "  port: 2"))).toEqual(["switchboard.yaml:3: YAML syntax error: Map keys must be unique"]);
  });

  it("refuses a top level that is not a mapping", () => {
    expect(problems("- a\n- b\n")).toEqual(["switchboard.yaml: expected a mapping of settings at the top level, got a list"]);
  });

  it("never includes a stack trace", () => {
    const found = problems(lines("server:", "  port: abc", "oops: 1"));
    for (const line of found) expect(line).not.toMatch(/\n|\bat .*:\d+:\d+/);
    const { dir } = writeTemp("switchboard.yaml", lines("server:", "  port: abc"));
    try {
      loadConfig({ path: "switchboard.yaml", cwd: dir, env: {} });
    } catch (err) {
      expect((err as ConfigError).message).toBe('switchboard.yaml:2: server.port: expected a number, got "abc"');
      expect((err as ConfigError).name).toBe("ConfigError");
    }
  });
});

describe("JSON config files", () => {
  it("loads JSON", () => {
    const { path } = writeTemp("switchboard.json", JSON.stringify({ server: { port: 8200 }, providers: { mock: {} }, models: [{ name: "m", deployments: [{ model: "mock:echo" }] }] }));
    const config = loadConfig({ path, env: {} });
    expect(config.server.port).toBe(8200);
    expect(config.models[0]?.deployments).toEqual([{ model: "mock:echo", weight: 1, rpm: null, tpm: null }]);
  });

  it("reports JSON problems with lines", () => {
    const content = JSON.stringify({ server: { port: "x" }, logging: { level: "loud" }, extra: true }, null, 2);
    expect(problems(content, "config.json")).toEqual([
      'config.json:3: server.port: expected a number, got "x"',
      'config.json:6: logging.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
      "config.json:8: extra: unknown key",
    ]);
  });
});

describe("checkConfigFile", () => {
  it("returns ok for a valid file", () => {
    const { path } = writeTemp("switchboard.yaml", lines("server:", "  port: ${PORT:-8000}"));
    expect(checkConfigFile(path, {})).toEqual({ ok: true, errors: [] });
  });

  it("lists every problem, one line each", () => {
    const { dir } = writeTemp("switchboard.yaml", lines("server:", "  port: abc", "loging: {}"));
    expect(checkConfigFile("switchboard.yaml", {}, { cwd: dir })).toEqual({
      ok: false,
      errors: ['switchboard.yaml:2: server.port: expected a number, got "abc"', 'switchboard.yaml:3: loging: unknown key (did you mean "logging"?)'],
    });
  });

  it("reports a missing file", () => {
    const { dir } = writeTemp("other.yaml", "");
    expect(checkConfigFile(`${dir}/missing.yaml`, {})).toEqual({
      ok: false,
      errors: [`${dir}/missing.yaml: cannot read config file: file not found`],
    });
  });
});

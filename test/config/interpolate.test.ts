import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig, readEnv } from "../../src/config/index.js";
import { interpolateString, interpolateValue } from "../../src/config/interpolate.js";
import { lines, writeTemp } from "./tmp.js";

const env = readEnv({ HOST: "0.0.0.0", EMPTY: "", PORT: "9000", URL: "postgres://db:5432/x" });
const run = (s: string) => interpolateString(s, env);

describe("interpolateString", () => {
  it("substitutes ${VAR}", () => {
    expect(run("${HOST}")).toEqual({ value: "0.0.0.0" });
    expect(run("http://${HOST}:${PORT}/v1")).toEqual({ value: "http://0.0.0.0:9000/v1" });
  });

  it("turns a missing variable without default into an empty string", () => {
    expect(run("${MISSING}")).toEqual({ value: "" });
    expect(run("a${MISSING}b")).toEqual({ value: "ab" });
  });

  it("uses the :- default when the variable is unset or empty, not when set", () => {
    expect(run("${MISSING:-fallback}")).toEqual({ value: "fallback" });
    expect(run("${EMPTY:-fallback}")).toEqual({ value: "fallback" });
    expect(run("${PORT:-1}")).toEqual({ value: "9000" });
    expect(run("${MISSING:-}")).toEqual({ value: "" });
    expect(run("${MISSING:-http://a:1/b}")).toEqual({ value: "http://a:1/b" });
  });

  it("keeps lone dollars and $${...} as literal text", () => {
    expect(run("price $5")).toEqual({ value: "price $5" });
    expect(run("$${HOST}")).toEqual({ value: "${HOST}" });
    expect(run("a$")).toEqual({ value: "a$" });
  });

  it("reports malformed references", () => {
    expect(run("${NOT VALID}")).toEqual({
      error: 'invalid variable reference "${NOT VALID}" (expected ${NAME} or ${NAME:-default})',
    });
    expect(run("x ${HOST")).toEqual({ error: 'unterminated variable reference "${HOST"' });
  });

  it("interpolates values in nested structures but never keys", () => {
    const result = interpolateValue({ "${HOST}": ["${PORT}", 3, { deep: "${URL}" }], n: null }, env);
    expect(result).toEqual({ value: { "${HOST}": ["9000", 3, { deep: "postgres://db:5432/x" }], n: null }, problems: [], unset: [] });
  });

  it("reports each unset variable referenced without a default, with its path; never a set, empty or defaulted one", () => {
    const result = interpolateValue({ a: "${MISSING}", b: ["x${EMPTY}${GONE}y${MISSING:-d}", "${HOST}"], c: { d: "${NOPE:-}" } }, env);
    expect(result.value).toEqual({ a: "", b: ["xyd", "0.0.0.0"], c: { d: "" } });
    expect(result.unset).toEqual([
      { path: ["a"], name: "MISSING" },
      { path: ["b", 0], name: "GONE" },
    ]);
  });
});

describe("interpolation in config files", () => {
  it("warns about an unset ${VAR} without a default, with file, line and key path, and still loads", () => {
    const { dir } = writeTemp(
      "switchboard.yaml",
      lines(
        "server:", //                                   1
        "  host: ${HOST:-127.0.0.1}", //                2
        "providers:", //                                3
        "  openai: { api_key: ${OPENAI_KEY} }", //      4
        "metrics: { bearer_token: ${SET} }", //         5
      ),
    );
    const config = loadConfig({ path: "switchboard.yaml", cwd: dir, env: { SET: "token-123" } });
    expect(config.warnings).toEqual([
      "switchboard.yaml:4: providers.openai.api_key: ${OPENAI_KEY} is not set and has no default, so this value is empty (set OPENAI_KEY, or write ${OPENAI_KEY:-default})",
    ]);
    expect(config.providers.openai?.apiKey).toBeUndefined();
    expect(loadConfig({ path: "switchboard.yaml", cwd: dir, env: { SET: "x", OPENAI_KEY: "sk-1" } }).warnings).toBeUndefined();
  });

  it("coerces interpolated numbers and booleans to the schema's types", () => {
    const { path } = writeTemp(
      "switchboard.yaml",
      lines(
        "server:",
        "  host: ${HOST:-127.0.0.1}",
        "  port: ${PORT:-8123}",
        "cache:",
        "  exact: { enabled: ${CACHE_ON:-false}, ttl_seconds: ${TTL:-60} }",
        "logging: { store_content: ${STORE:-true} }",
        "database_url: ${URL}",
      ),
    );
    const config = loadConfig({ path, env: { URL: "postgres://db/x" } });
    expect(config.server).toEqual({ host: "127.0.0.1", port: 8123, maxBodyBytes: 10485760, httpEngine: "fast" });
    expect(config.cache.exact).toEqual({ enabled: false, ttlSeconds: 60 });
    expect(config.logging.storeContent).toBe(true);
    expect(config.databaseUrl).toBe("postgres://db/x");

    const withEnv = loadConfig({ path, env: { HOST: "0.0.0.0", PORT: "9999", STORE: "false" } });
    expect(withEnv.server.host).toBe("0.0.0.0");
    expect(withEnv.server.port).toBe(9999);
    expect(withEnv.logging.storeContent).toBe(false);
    expect(withEnv.databaseUrl).toBeUndefined();
  });

  it("accepts references inside flow mappings and sequences (as SPEC §2 writes them)", () => {
    const { path } = writeTemp(
      "switchboard.yaml",
      lines(
        "# comment mentioning ${OPENAI_API_KEY} is harmless",
        "server: { host: ${HOST:-127.0.0.1}, port: ${PORT:-8000} }",
        "providers:",
        "  openai: { api_key: ${OPENAI_API_KEY}, base_url: http://${UPSTREAM}:8001/v1 }",
        "  local: { type: openai, headers: { x-literal: $${NOT_EXPANDED}, x-list: '${A:-a, b}' } }",
        "models: [ { name: m, deployments: [ ${MODEL:-mock:echo} ] } ]",
      ),
    );
    const config = loadConfig({ path, env: { OPENAI_API_KEY: "sk-1", UPSTREAM: "127.0.0.1", PORT: "8088" } });
    expect(config.server).toEqual({ host: "127.0.0.1", port: 8088, maxBodyBytes: 10485760, httpEngine: "fast" });
    expect(config.providers.openai?.apiKey).toBe("sk-1");
    expect(config.providers.openai?.baseUrl).toBe("http://127.0.0.1:8001/v1");
    expect(config.providers.local?.headers).toEqual({ "x-literal": "${NOT_EXPANDED}", "x-list": "a, b" });
    expect(config.models[0]?.deployments).toEqual([{ model: "mock:echo", weight: 1, rpm: null, tpm: null }]);
  });

  it("shows the original reference in YAML syntax errors", () => {
    const { dir } = writeTemp("switchboard.yaml", lines("server:", "  host: ${HOST} ${PORT}: x"));
    expect(() => loadConfig({ path: "switchboard.yaml", cwd: dir, env: {} })).toThrowError(/^switchboard\.yaml:2: YAML syntax error: /);
  });

  it("leaves a provider key unset when its variable is missing", () => {
    const config = parseConfig({ providers: { anthropic: { api_key: "${ANTHROPIC_API_KEY}" } } }, { env: {} });
    expect(config.providers.anthropic).toEqual({ id: "anthropic", type: "anthropic", headers: {}, extra: {} });
  });

  it("reports a malformed reference with its file line and key path", () => {
    const { dir } = writeTemp("switchboard.yaml", lines("server:", "  host: 0.0.0.0", "master_key: ${BROKEN"));
    let error: unknown;
    try {
      loadConfig({ path: "switchboard.yaml", cwd: dir, env: {} });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['switchboard.yaml:3: master_key: unterminated variable reference "${BROKEN"']);
  });

  it("reports a value that is still invalid after interpolation", () => {
    const { dir } = writeTemp("switchboard.yaml", lines("server:", "  port: ${PORT:-eighty}"));
    expect(() => loadConfig({ path: "switchboard.yaml", cwd: dir, env: {} })).toThrowError('switchboard.yaml:2: server.port: expected a number, got "eighty"');
  });
});

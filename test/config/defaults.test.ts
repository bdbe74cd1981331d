import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/index.js";
import { lines, tempDir, writeTemp } from "./tmp.js";

describe("loadConfig defaults", () => {
  it("starts with no file and no environment, with the documented defaults", () => {
    const config = loadConfig({ env: {}, cwd: tempDir() });
    const { env, ...rest } = config;
    expect(env.names()).toEqual([]);
    expect(rest).toEqual({
      dataDir: "./.switchboard",
      server: { host: "127.0.0.1", port: 8000, maxBodyBytes: 10485760, httpEngine: "fast" },
      providers: { mock: { id: "mock", type: "mock", headers: {}, extra: {} } },
      models: [],
      routing: {
        retries: 2,
        timeouts: { connectMs: 5000, firstTokenMs: 30000, idleMs: 30000, totalMs: 600000 },
        circuitBreaker: { failures: 5, windowMs: 60000, cooldownMs: 30000 },
        defaultStrategy: "cheapest",
        contentPolicyFallback: false,
        auto: { candidates: null, quality: {} },
      },
      upstream: { transport: "fast", maxResponseBytes: 67108864, maxEventBytes: 8388608, proxy: {} },
      pricing: {},
      pricingRequired: false,
      cache: {
        exact: { enabled: false, ttlSeconds: 3600 },
        semantic: { enabled: false, embeddingModel: "openai:text-embedding-3-small", threshold: 0.95, ttlSeconds: 3600 },
      },
      guardrails: {
        pii: {
          enabled: false,
          action: "redact",
          types: ["email", "phone", "ssn", "credit_card", "iban", "api_key"],
          custom: [],
          responses: false,
        },
      },
      logging: { storeContent: false, retentionDays: 30, level: "info" },
      usage: { batchSize: 200, flushIntervalMs: 200, maxQueue: 100000, fsync: false },
      metrics: { enabled: true },
      observability: { otlpHeaders: {}, serviceName: "switchboard" },
      budgets: {},
      limits: { redisFailure: "open" },
      batches: { concurrency: 4, maxFileBytes: 20971520, maxLines: 10000, maxLineBytes: 1048576, leaseMs: 30000, pollIntervalMs: 1000 },
    });
    expect("masterKey" in config).toBe(false);
    expect("source" in config).toBe(false);
  });

  it("uses ./switchboard.yaml from the working directory when present", () => {
    const { dir, path } = writeTemp("switchboard.yaml", "server: { port: 9100 }\n");
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.server.port).toBe(9100);
    expect(config.source).toBe(path);
  });

  it("uses SWITCHBOARD_CONFIG when no path is given, and an explicit path over it", () => {
    const a = writeTemp("a.yaml", "server: { port: 9001 }\n");
    const b = writeTemp("b.yml", "server: { port: 9002 }\n");
    expect(loadConfig({ env: { SWITCHBOARD_CONFIG: a.path } }).server.port).toBe(9001);
    expect(loadConfig({ path: b.path, env: { SWITCHBOARD_CONFIG: a.path } }).server.port).toBe(9002);
    // relative paths resolve against cwd
    expect(loadConfig({ path: "b.yml", cwd: b.dir, env: {} }).source).toBe(join(b.dir, "b.yml"));
  });

  it("reports a named file that does not exist", () => {
    const cwd = tempDir();
    expect(() => loadConfig({ env: { SWITCHBOARD_CONFIG: "nope.yaml" }, cwd })).toThrowError(new ConfigError(["nope.yaml: cannot read config file: file not found"]));
  });

  it("treats an empty file, or one with only comments, as all defaults", () => {
    for (const content of ["", "# nothing here\n"]) {
      const { path } = writeTemp("switchboard.yaml", content);
      const config = loadConfig({ path, env: {} });
      expect(config.server).toEqual({ host: "127.0.0.1", port: 8000, maxBodyBytes: 10485760, httpEngine: "fast" });
    }
  });

  it("loads the SPEC §2 example", () => {
    const { path } = writeTemp(
      "switchboard.yaml",
      lines(
        "master_key: ${SWITCHBOARD_MASTER_KEY}",
        "database_url: ${DATABASE_URL:-}",
        "redis_url: ${REDIS_URL:-}",
        "data_dir: ./.switchboard",
        "server: { host: 127.0.0.1, port: 8000, max_body_bytes: 10485760 }",
        "providers:",
        "  openai:    { api_key: ${OPENAI_API_KEY} }",
        "  anthropic: { api_key: ${ANTHROPIC_API_KEY} }",
        "  local:     { type: openai, base_url: http://127.0.0.1:8001/v1 }",
        "  bedrock:   { region: us-east-1, access_key_id: AKIA, secret_access_key: shh }",
        "models:",
        "  - name: fast",
        "    strategy: weighted",
        "    deployments:",
        "      - { model: openai:gpt-4o-mini, weight: 3 }",
        "      - { model: anthropic:claude-3-5-haiku-latest, weight: 1 }",
        "    fallbacks: [smart]",
        "  - name: smart",
        "    deployments: [ { model: anthropic:claude-sonnet-4-5 } ]",
        "routing:",
        "  retries: 2",
        "  timeouts: { connect_ms: 5000, first_token_ms: 30000, idle_ms: 30000, total_ms: 600000 }",
        "  circuit_breaker: { failures: 5, window_ms: 60000, cooldown_ms: 30000 }",
        "pricing:",
        "  openai:gpt-4o-mini: { input: 0.15, output: 0.60, cached_input: 0.075 }",
        "cache:",
        "  exact:    { enabled: false, ttl_seconds: 3600 }",
        "  semantic: { enabled: false, embedding_model: openai:text-embedding-3-small, threshold: 0.95, ttl_seconds: 3600 }",
        "guardrails:",
        "  pii: { enabled: false, action: redact, types: [email, phone, ssn, credit_card, iban, api_key], custom: [] }",
        "logging:",
        "  store_content: false",
        "  retention_days: 30",
      ),
    );
    const config = loadConfig({ path, env: { OPENAI_API_KEY: "sk-openai", SWITCHBOARD_MASTER_KEY: "sb-master" } });
    expect(config.masterKey).toBe("sb-master");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.providers).toEqual({
      openai: { id: "openai", type: "openai", apiKey: "sk-openai", headers: {}, extra: {} },
      anthropic: { id: "anthropic", type: "anthropic", headers: {}, extra: {} },
      local: { id: "local", type: "openai", baseUrl: "http://127.0.0.1:8001/v1", headers: {}, extra: {} },
      bedrock: {
        id: "bedrock",
        type: "bedrock",
        headers: {},
        extra: { region: "us-east-1", access_key_id: "AKIA", secret_access_key: "shh" },
      },
      mock: { id: "mock", type: "mock", headers: {}, extra: {} },
    });
    expect(config.models).toEqual([
      {
        name: "fast",
        strategy: "weighted",
        deployments: [
          { model: "openai:gpt-4o-mini", weight: 3, rpm: null, tpm: null },
          { model: "anthropic:claude-3-5-haiku-latest", weight: 1, rpm: null, tpm: null },
        ],
        fallbacks: ["smart"],
      },
      { name: "smart", strategy: "weighted", deployments: [{ model: "anthropic:claude-sonnet-4-5", weight: 1, rpm: null, tpm: null }], fallbacks: [] },
    ]);
    expect(config.pricing).toEqual({ "openai:gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 } });
  });

  it("treats empty master_key, database_url and redis_url as unset", () => {
    const config = parseConfig({ master_key: "", database_url: "", redis_url: "" });
    expect(config.masterKey).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it("accepts redis_url in the forms the gateway connects with, and refuses the others at load", () => {
    expect(parseConfig({ redis_url: "rediss://u:p@cache.internal:6380/2" }).redisUrl).toBe("rediss://u:p@cache.internal:6380/2");
    expect(() => parseConfig({ redis_url: "redis://cache:6379?tls=true" })).toThrow(/redis_url: options in the URL/);
    expect(() => parseConfig({ redis_url: "memcached://cache" })).toThrow(/redis_url: scheme 'memcached:' is not supported/);
  });

  it("resolves provider settings to camelCase, keeping other keys in extra", () => {
    const config = parseConfig({
      providers: {
        azure: { api_key: "k", base_url: "https://x.openai.azure.com", api_version: "2024-10-21", timeout_ms: 1500 },
        local: {
          type: "openai",
          headers: { "x-team": "a", "x-num": 7 },
          timeouts: { first_token_ms: 100, total_ms: "2000" },
        },
        mock: null,
      },
    });
    expect(config.providers.azure).toEqual({
      id: "azure",
      type: "azure",
      apiKey: "k",
      baseUrl: "https://x.openai.azure.com",
      timeoutMs: 1500,
      headers: {},
      extra: { api_version: "2024-10-21" },
    });
    expect(config.providers.local).toEqual({
      id: "local",
      type: "openai",
      headers: { "x-team": "a", "x-num": "7" },
      timeouts: { firstTokenMs: 100, totalMs: 2000 },
      extra: {},
    });
    expect(config.providers.mock).toEqual({ id: "mock", type: "mock", headers: {}, extra: {} });
  });

  it("refuses to enable a feature that has not landed yet, instead of ignoring it", () => {
    expect(() => parseConfig({ cache: { exact: { enabled: true } } })).toThrow(/cache\.exact\.enabled: this feature is not available/);
    expect(() => parseConfig({ guardrails: { pii: { enabled: "true" } } })).toThrow(/guardrails\.pii\.enabled: this feature is not available/);
  });

  it("resolves cache, guardrails, metrics and budgets", () => {
    const config = parseConfig({
      cache: { exact: { enabled: false }, semantic: { threshold: 0.9 } },
      guardrails: { pii: { enabled: false, action: "block", types: ["email"], custom: ["\\bACME-\\d+\\b", { name: "ticket", pattern: "T-\\d+" }] } },
      metrics: { bearer_token: "metrics-secret" },
      budgets: { default_max_tokens: 4096 },
    });
    expect(config.cache.exact).toEqual({ enabled: false, ttlSeconds: 3600 });
    expect(config.cache.semantic.threshold).toBe(0.9);
    expect(config.guardrails.pii).toEqual({
      enabled: false,
      action: "block",
      types: ["email"],
      custom: [
        { name: "custom_1", pattern: "\\bACME-\\d+\\b" },
        { name: "ticket", pattern: "T-\\d+" },
      ],
      responses: false,
    });
    expect(config.metrics).toEqual({ bearerToken: "metrics-secret", enabled: true });
    expect(config.budgets).toEqual({ defaultMaxTokens: 4096 });
  });

  it("never serialises the environment", () => {
    const config = loadConfig({ env: { OPENAI_API_KEY: "sk-secret", OTHER_SECRET: "hush" }, cwd: tempDir() });
    expect(config.env.get("OTHER_SECRET")).toBe("hush");
    expect(JSON.stringify(config)).not.toContain("hush");
  });
});

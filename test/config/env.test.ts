import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, DEFAULT_PROVIDER_TYPES, detectProviders, loadConfig, parseConfig, PROVIDER_API_KEY_ENV, readEnv } from "../../src/config/index.js";
import { lines, tempDir, writeTemp } from "./tmp.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("readEnv", () => {
  it("is a frozen snapshot", () => {
    const source: Record<string, string | undefined> = { A: "1", EMPTY: "", GONE: undefined };
    const env = readEnv(source);
    source.A = "changed";
    expect(Object.isFrozen(env)).toBe(true);
    expect(env.get("A")).toBe("1");
    expect(env.get("EMPTY")).toBe("");
    expect(env.nonEmpty("EMPTY")).toBeUndefined();
    expect(env.has("GONE")).toBe(false);
    expect(env.names().sort()).toEqual(["A", "EMPTY"]);
    expect(JSON.stringify({ env })).toBe('{"env":"[environment]"}');
  });

  it("reads process.env when given nothing", () => {
    vi.stubEnv("SWITCHBOARD_CONFIG_TEST_PROBE", "probe-value");
    expect(readEnv().get("SWITCHBOARD_CONFIG_TEST_PROBE")).toBe("probe-value");
  });
});

describe("detectProviders", () => {
  it("maps each standard variable to its provider", () => {
    const env: Record<string, string> = {};
    for (const [id, vars] of Object.entries(PROVIDER_API_KEY_ENV)) env[vars[0]] = `key-${id}`;
    const found = detectProviders(env);
    expect(found.map((p) => [p.id, p.envVar, p.apiKey])).toEqual(Object.entries(PROVIDER_API_KEY_ENV).map(([id, vars]) => [id, vars[0], `key-${id}`]));
    expect(Object.keys(PROVIDER_API_KEY_ENV)).toEqual([
      "openai",
      "anthropic",
      "gemini",
      "mistral",
      "groq",
      "together",
      "fireworks",
      "deepseek",
      "xai",
      "openrouter",
      "perplexity",
      "cerebras",
      "deepinfra",
      "cohere",
      "sambanova",
      "nvidia",
      "hyperbolic",
      "moonshot",
      "nebius",
      "huggingface",
      "dashscope",
    ]);
  });

  it("takes GOOGLE_API_KEY for gemini, GEMINI_API_KEY first", () => {
    expect(detectProviders({ GOOGLE_API_KEY: "g" })).toEqual([{ id: "gemini", envVar: "GOOGLE_API_KEY", apiKey: "g", extra: {} }]);
    expect(detectProviders({ GOOGLE_API_KEY: "g", GEMINI_API_KEY: "m" })[0]?.apiKey).toBe("m");
  });

  it("ignores empty variables", () => {
    expect(detectProviders({ OPENAI_API_KEY: "", GEMINI_API_KEY: "", GOOGLE_API_KEY: "g" }).map((p) => p.id)).toEqual(["gemini"]);
  });

  it("detects Bedrock from AWS credentials", () => {
    expect(detectProviders({ AWS_ACCESS_KEY_ID: "AKIA" })).toEqual([]);
    expect(detectProviders({ AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s", AWS_DEFAULT_REGION: "eu-west-1", AWS_SESSION_TOKEN: "t" })).toEqual([
      {
        id: "bedrock",
        envVar: "AWS_ACCESS_KEY_ID",
        extra: { region: "eu-west-1", access_key_id: "AKIA", secret_access_key: "s", session_token: "t" },
      },
    ]);
  });
});

describe("providers from the environment", () => {
  it("adds detected providers after the file's, and mock", () => {
    const config = parseConfig({ providers: { local: { type: "openai", base_url: "http://127.0.0.1:9/v1" } } }, { env: { GROQ_API_KEY: "gsk", OPENAI_API_KEY: "sk" } });
    expect(Object.keys(config.providers)).toEqual(["local", "openai", "groq", "mock"]);
    expect(config.providers.groq).toEqual({ id: "groq", type: "groq", apiKey: "gsk", headers: {}, extra: {} });
    // a renamed provider never receives another provider's key
    expect(config.providers.local?.apiKey).toBeUndefined();
  });

  it("keeps the file's settings for an id it configures", () => {
    const env = { OPENAI_API_KEY: "sk-env" };
    const withKey = parseConfig({ providers: { openai: { api_key: "sk-file", base_url: "http://127.0.0.1:1/v1" } } }, { env });
    expect(withKey.providers.openai).toEqual({
      id: "openai",
      type: "openai",
      apiKey: "sk-file",
      baseUrl: "http://127.0.0.1:1/v1",
      headers: {},
      extra: {},
    });
    // configured under its own name without a key: the standard variable supplies it
    const noKey = parseConfig({ providers: { openai: { timeout_ms: 1000 } } }, { env });
    expect(noKey.providers.openai?.apiKey).toBe("sk-env");
    expect(noKey.providers.openai?.timeoutMs).toBe(1000);
  });

  it("only adds detected providers whose type the registry knows", () => {
    const config = parseConfig({}, { env: { GROQ_API_KEY: "g", OPENAI_API_KEY: "o" }, knownProviderTypes: ["mock", "openai"] });
    expect(Object.keys(config.providers)).toEqual(["openai", "mock"]);
    expect(DEFAULT_PROVIDER_TYPES).toEqual(expect.arrayContaining(["mock", "azure", "bedrock", "vertex", "ollama", "vllm", "lmstudio", "llamacpp", "cohere"]));
  });
});

describe("environment and CLI overrides", () => {
  const file = lines("master_key: file-key", "database_url: postgres://file/db", "redis_url: redis://file:6379", "data_dir: ./file-data", "server: { host: 10.0.0.1, port: 7000 }");

  it("environment variables win over the file", () => {
    const { path } = writeTemp("switchboard.yaml", file);
    const config = loadConfig({
      path,
      env: {
        SWITCHBOARD_MASTER_KEY: "env-key",
        DATABASE_URL: "postgres://env/db",
        REDIS_URL: "redis://env:6379",
        SWITCHBOARD_HOST: "0.0.0.0",
        SWITCHBOARD_PORT: "7100",
        SWITCHBOARD_DATA_DIR: "/var/lib/switchboard",
      },
    });
    expect(config.masterKey).toBe("env-key");
    expect(config.databaseUrl).toBe("postgres://env/db");
    expect(config.redisUrl).toBe("redis://env:6379");
    expect(config.server).toEqual({ host: "0.0.0.0", port: 7100, maxBodyBytes: 10485760, httpEngine: "fast" });
    expect(config.dataDir).toBe("/var/lib/switchboard");
  });

  it("empty environment variables do not override", () => {
    const { path } = writeTemp("switchboard.yaml", file);
    const config = loadConfig({ path, env: { SWITCHBOARD_MASTER_KEY: "", DATABASE_URL: "", SWITCHBOARD_PORT: "" } });
    expect(config.masterKey).toBe("file-key");
    expect(config.databaseUrl).toBe("postgres://file/db");
    expect(config.server.port).toBe(7000);
  });

  it("overrides apply without a file too", () => {
    const config = loadConfig({ env: { SWITCHBOARD_PORT: "0", DATABASE_URL: "postgres://x/y" }, cwd: tempDir() });
    expect(config.server.port).toBe(0);
    expect(config.databaseUrl).toBe("postgres://x/y");
  });

  it("CLI overrides win over the environment", () => {
    const { path } = writeTemp("switchboard.yaml", file);
    const config = loadConfig({ path, env: { SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_PORT: "7100" }, overrides: { host: "::1", port: 7200 } });
    expect(config.server.host).toBe("::1");
    expect(config.server.port).toBe(7200);
  });

  it("reports invalid override values", () => {
    const cwd = tempDir();
    expect(problemsOf(() => loadConfig({ env: { SWITCHBOARD_PORT: "http" }, cwd }))).toEqual(['SWITCHBOARD_PORT: expected a port number (0-65535), got "http"']);
    expect(problemsOf(() => loadConfig({ env: { SWITCHBOARD_PORT: "70000" }, cwd }))).toEqual(['SWITCHBOARD_PORT: expected a port number (0-65535), got "70000"']);
    expect(problemsOf(() => loadConfig({ env: {}, cwd, overrides: { port: 1.5, host: " " } }))).toEqual(["--host: must not be empty", "--port: expected a port number (0-65535), got 1.5"]);
  });
});

/**
 * The environment. This file is the ONLY place in Switchboard that reads `process.env`:
 * everything else receives an `EnvSnapshot` (usually as `config.env`) or resolved config values.
 */
import { inspect } from "node:util";
import type { EnvSnapshot } from "./types.js";

export type { EnvSnapshot } from "./types.js";

/** A plain record of variables, or a snapshot: what the loaders accept as "the environment". */
export type EnvInput = Readonly<Record<string, string | undefined>> | EnvSnapshot;

class FrozenEnv implements EnvSnapshot {
  readonly #vars: ReadonlyMap<string, string>;

  constructor(source: Readonly<Record<string, string | undefined>>) {
    const vars = new Map<string, string>();
    for (const [name, value] of Object.entries(source)) {
      if (typeof value === "string") vars.set(name, value);
    }
    this.#vars = vars;
    Object.freeze(this);
  }

  get(name: string): string | undefined {
    return this.#vars.get(name);
  }

  nonEmpty(name: string): string | undefined {
    const value = this.#vars.get(name);
    return value === undefined || value === "" ? undefined : value;
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  names(): string[] {
    return [...this.#vars.keys()];
  }

  /** Never serialise values: the environment holds secrets. */
  toJSON(): string {
    return "[environment]";
  }

  [inspect.custom](): string {
    return `EnvSnapshot(${this.#vars.size} variables)`;
  }
}

/**
 * A frozen snapshot of the environment. Without an argument it copies `process.env`
 * (the one read of it in the codebase); tests pass a plain record instead.
 */
export function readEnv(source?: EnvInput): EnvSnapshot {
  if (source instanceof FrozenEnv) return source;
  if (source !== undefined && isSnapshot(source)) {
    const copy: Record<string, string | undefined> = {};
    for (const name of source.names()) copy[name] = source.get(name);
    return new FrozenEnv(copy);
  }
  return new FrozenEnv(source ?? process.env);
}

function isSnapshot(value: EnvInput): value is EnvSnapshot {
  const v = value as Partial<EnvSnapshot>;
  return typeof v.get === "function" && typeof v.names === "function";
}

/**
 * Provider id → the standard environment variables holding its API key, first match wins.
 * The provider registry reuses this table; ids are also provider type names.
 */
export const PROVIDER_API_KEY_ENV = {
  openai: ["OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY"],
  gemini: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
  mistral: ["MISTRAL_API_KEY"],
  groq: ["GROQ_API_KEY"],
  together: ["TOGETHER_API_KEY"],
  fireworks: ["FIREWORKS_API_KEY"],
  deepseek: ["DEEPSEEK_API_KEY"],
  xai: ["XAI_API_KEY"],
  openrouter: ["OPENROUTER_API_KEY"],
  perplexity: ["PERPLEXITY_API_KEY"],
  cerebras: ["CEREBRAS_API_KEY"],
  deepinfra: ["DEEPINFRA_API_KEY"],
  cohere: ["COHERE_API_KEY"],
  sambanova: ["SAMBANOVA_API_KEY"],
  nvidia: ["NVIDIA_API_KEY"],
  hyperbolic: ["HYPERBOLIC_API_KEY"],
  moonshot: ["MOONSHOT_API_KEY"],
  nebius: ["NEBIUS_API_KEY"],
  huggingface: ["HF_TOKEN"],
  dashscope: ["DASHSCOPE_API_KEY"],
} as const satisfies Record<string, readonly string[]>;

export type EnvKeyedProviderId = keyof typeof PROVIDER_API_KEY_ENV;

/**
 * Variables holding a provider's key that do not make the provider available on their own
 * (read when the provider is configured under its own name).
 */
export const PROVIDER_KEY_ONLY_ENV = {
  azure: ["AZURE_OPENAI_API_KEY"],
} as const satisfies Record<string, readonly string[]>;

/** Azure OpenAI is available from the environment when both its key and its endpoint are set. */
export const AZURE_OPENAI_ENV = { apiKey: "AZURE_OPENAI_API_KEY", endpoint: "AZURE_OPENAI_ENDPOINT" } as const;

/** The AWS variables that make Bedrock available without a config file. */
export const AWS_CREDENTIALS_ENV = {
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  sessionToken: "AWS_SESSION_TOKEN",
  /** A Bedrock API key (sent as `Authorization: Bearer`), AWS's documented variable for it. */
  bedrockApiKey: "AWS_BEARER_TOKEN_BEDROCK",
  region: ["AWS_REGION", "AWS_DEFAULT_REGION"],
  defaultRegion: "us-east-1",
} as const;

export interface DetectedProvider {
  id: string;
  /** The variable the credentials were found in. */
  envVar: string;
  apiKey?: string;
  /** Provider-specific settings, snake_case as they would be written under `providers.<id>`. */
  extra: Record<string, unknown>;
}

/** Providers configured by standard environment variables (empty values count as unset). */
export function detectProviders(env: EnvInput): DetectedProvider[] {
  const snapshot = readEnv(env);
  const found: DetectedProvider[] = [];
  for (const [id, vars] of Object.entries(PROVIDER_API_KEY_ENV)) {
    for (const envVar of vars) {
      const apiKey = snapshot.nonEmpty(envVar);
      if (apiKey !== undefined) {
        found.push({ id, envVar, apiKey, extra: {} });
        break;
      }
    }
  }
  const accessKeyId = snapshot.nonEmpty(AWS_CREDENTIALS_ENV.accessKeyId);
  const secretAccessKey = snapshot.nonEmpty(AWS_CREDENTIALS_ENV.secretAccessKey);
  const bedrockApiKey = snapshot.nonEmpty(AWS_CREDENTIALS_ENV.bedrockApiKey);
  const hasKeyPair = accessKeyId !== undefined && secretAccessKey !== undefined;
  if (hasKeyPair || bedrockApiKey !== undefined) {
    const region = AWS_CREDENTIALS_ENV.region.map((name) => snapshot.nonEmpty(name)).find((v) => v !== undefined) ?? AWS_CREDENTIALS_ENV.defaultRegion;
    const extra: Record<string, unknown> = { region };
    if (hasKeyPair) {
      extra.access_key_id = accessKeyId;
      extra.secret_access_key = secretAccessKey;
      const sessionToken = snapshot.nonEmpty(AWS_CREDENTIALS_ENV.sessionToken);
      if (sessionToken !== undefined) extra.session_token = sessionToken;
    }
    const envVar = hasKeyPair ? AWS_CREDENTIALS_ENV.accessKeyId : AWS_CREDENTIALS_ENV.bedrockApiKey;
    found.push({ id: "bedrock", envVar, ...(bedrockApiKey !== undefined ? { apiKey: bedrockApiKey } : {}), extra });
  }
  const azureKey = snapshot.nonEmpty(AZURE_OPENAI_ENV.apiKey);
  const azureEndpoint = snapshot.nonEmpty(AZURE_OPENAI_ENV.endpoint);
  if (azureKey !== undefined && azureEndpoint !== undefined) {
    found.push({ id: "azure", envVar: AZURE_OPENAI_ENV.apiKey, apiKey: azureKey, extra: { endpoint: azureEndpoint } });
  }
  return found;
}

/** The standard variable holding a provider's key, when the id has one. */
export function apiKeyFromEnv(id: string, env: EnvInput): string | undefined {
  const tables: ReadonlyArray<Record<string, readonly string[]>> = [PROVIDER_API_KEY_ENV, PROVIDER_KEY_ONLY_ENV];
  const vars = tables.find((t) => Object.hasOwn(t, id))?.[id];
  if (vars === undefined) return undefined;
  const snapshot = readEnv(env);
  for (const name of vars) {
    const value = snapshot.nonEmpty(name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The egress proxy variables, lower-case form first (as curl and undici read them); empty values
 * count as unset. Returned as written: resolveConfig() checks that the proxies are URLs.
 */
export function proxyFromEnv(env: EnvInput): { httpsProxy?: string; httpProxy?: string; noProxy?: string } {
  const snapshot = readEnv(env);
  const pick = (name: string) => snapshot.nonEmpty(name.toLowerCase()) ?? snapshot.nonEmpty(name);
  const out: { httpsProxy?: string; httpProxy?: string; noProxy?: string } = {};
  const httpsProxy = pick("HTTPS_PROXY");
  const httpProxy = pick("HTTP_PROXY");
  const noProxy = pick("NO_PROXY");
  if (httpsProxy !== undefined) out.httpsProxy = httpsProxy;
  if (httpProxy !== undefined) out.httpProxy = httpProxy;
  if (noProxy !== undefined) out.noProxy = noProxy;
  return out;
}

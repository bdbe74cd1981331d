/**
 * The resolved configuration: what the rest of the gateway reads. Produced by
 * `loadConfig()` (file + ${VAR} interpolation + environment overrides, validated with zod).
 * Keys are snake_case on disk (docs/configuration.md); here they are camelCase.
 */

export interface TimeoutsConfig {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

export interface ProviderSettings {
  /** Provider id (the key under `providers:`), also the model-name prefix. */
  id: string;
  /** Registry type; defaults to the id when the id is a known provider. */
  type: string;
  apiKey?: string;
  baseUrl?: string;
  timeoutMs?: number;
  headers: Record<string, string>;
  /** Provider-level overrides of routing.timeouts. */
  timeouts?: Partial<TimeoutsConfig>;
  /** Anything else given for the provider (region, credentials, api_version, ...), as written. */
  extra: Record<string, unknown>;
}

/** How upstream calls are made (`upstream:`), and the egress proxies from the environment. */
export interface UpstreamConfig {
  /** `fast`: the gateway's own HTTP/1.1 client; `undici`: undici's pools. */
  transport: "fast" | "undici";
  /** Longest upstream response body read whole (non-stream answers, error bodies). */
  maxResponseBytes: number;
  /** Longest stream event (or line without a line end) in an upstream stream. */
  maxEventBytes: number;
  /** From HTTPS_PROXY / HTTP_PROXY / NO_PROXY (or their lower-case forms). */
  proxy: { httpsProxy?: string; httpProxy?: string; noProxy?: string };
}

export interface DeploymentConfig {
  model: string;
  weight: number;
  /** The deployment's own requests and tokens per minute (null: none); routing keeps under them. */
  rpm: number | null;
  tpm: number | null;
}

export type RoutingStrategy = "weighted" | "round-robin" | "least-busy" | "lowest-latency" | "cheapest" | "usage-based";

export interface ModelGroupConfig {
  name: string;
  strategy: RoutingStrategy;
  deployments: DeploymentConfig[];
  fallbacks: string[];
}

export interface PriceConfig {
  input: number;
  output: number;
  cachedInput?: number;
}

export interface CacheConfig {
  exact: { enabled: boolean; ttlSeconds: number };
  semantic: { enabled: boolean; embeddingModel: string; threshold: number; ttlSeconds: number };
}

export type PiiType = "email" | "phone" | "ssn" | "credit_card" | "iban" | "api_key";

export interface GuardrailsConfig {
  pii: {
    enabled: boolean;
    action: "redact" | "mask" | "block";
    types: PiiType[];
    /** Extra patterns (JavaScript regular expression source), each with a name for placeholders. */
    custom: { name: string; pattern: string }[];
    /** Also scan responses (requests are always scanned when enabled). */
    responses: boolean;
  };
}

/**
 * Read access to the process environment as it was when the config was loaded.
 * `config/` is the only module that reads `process.env`; everything else asks this.
 * Deliberately not enumerable / serialisable, so dumping a config never prints secrets.
 */
export interface EnvSnapshot {
  /** The variable's value as set (an empty string stays an empty string). */
  get(name: string): string | undefined;
  /** The variable's value, or undefined when unset or empty. */
  nonEmpty(name: string): string | undefined;
  has(name: string): boolean;
  names(): string[];
}

export interface SwitchboardConfig {
  /** Path of the file this was loaded from, if any. */
  source?: string;
  masterKey?: string;
  databaseUrl?: string;
  redisUrl?: string;
  dataDir: string;
  /** `httpEngine`: `fast`, the gateway's own HTTP/1.1 edge in front of Node's server; `node`, Node's server alone. */
  server: { host: string; port: number; maxBodyBytes: number; httpEngine: "fast" | "node" };
  /** Explicitly configured providers plus those detected from the environment, plus `mock`. */
  providers: Record<string, ProviderSettings>;
  models: ModelGroupConfig[];
  routing: {
    retries: number;
    timeouts: TimeoutsConfig;
    circuitBreaker: { failures: number; windowMs: number; cooldownMs: number };
    /** The order of the providers serving a bare model name. */
    defaultStrategy: RoutingStrategy;
    /** Active probes of open circuits (absent: none). `model`: the model to probe with instead of the deployment's own. */
    healthChecks?: { intervalMs: number; model?: string };
    /** A content-filter refusal moves on to the next candidate. */
    contentPolicyFallback: boolean;
    /** `model: "auto"`: the candidates (null: every configured alias and deployment) and quality overrides. */
    auto: { candidates: string[] | null; quality: Record<string, number> };
  };
  upstream: UpstreamConfig;
  /** `pricing:` prices by `provider:model`. */
  pricing: Record<string, PriceConfig>;
  /** `pricing.require`: refuse (402 model_not_priced) requests to a deployment that has no price anywhere. */
  pricingRequired: boolean;
  cache: CacheConfig;
  guardrails: GuardrailsConfig;
  logging: { storeContent: boolean; retentionDays: number; level: LogLevel };
  /** `fsync`: sync the usage spool to disk after each row (survives power loss; costs a disk flush per row). */
  usage: { batchSize: number; flushIntervalMs: number; maxQueue: number; fsync: boolean };
  /** `/metrics` is public unless a bearer token is configured. */
  metrics: { bearerToken?: string; enabled: boolean };
  /** Traces: exported over OTLP/HTTP only when `otlpEndpoint` is set (the base URL; `/v1/traces` is appended). */
  observability: { otlpEndpoint?: string; otlpHeaders: Record<string, string>; serviceName: string };
  /** `budgets.default_max_tokens` (reservation size). */
  budgets: { defaultMaxTokens?: number };
  /** `limits.redis_failure`: with REDIS_URL, what rate limits do while Redis does not answer. */
  limits: { redisFailure: "open" | "closed" };
  /** `batches:` how `/v1/batches` runs: lines at once per instance, input bounds, lease and polling (docs/batches.md). */
  batches: BatchesConfig;
  /** The environment snapshot this config was resolved with. */
  env: EnvSnapshot;
  /** Settings in use that are accepted but have no effect yet (named in one start-up warning). */
  notInEffect?: string[];
  /** Warnings found while loading (an unset `${VAR}` without a default), one line each: file, line, key path. */
  warnings?: string[];
  /**
   * Where a key path is written (`models[0].deployments[1].model` → file and line), for messages
   * about settings; present when the config was loaded from a file. Not enumerable.
   */
  locate?: (path: ReadonlyArray<string | number>) => { file: string; line?: number };
}

export interface BatchesConfig {
  /** Lines of gateway-run batches in flight at once on this instance (all batches together). */
  concurrency: number;
  maxFileBytes: number;
  maxLines: number;
  maxLineBytes: number;
  /** How long a batch stays with the instance running it without a renewal; another takes over after. */
  leaseMs: number;
  /** How often an instance looks for batches to run (open, unleased or with an expired lease). */
  pollIntervalMs: number;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

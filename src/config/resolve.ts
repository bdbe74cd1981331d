/**
 * From the validated file (snake_case) to the resolved `SwitchboardConfig` (camelCase):
 * provider types checked, providers detected from the environment merged in, `mock` added.
 */
import { apiKeyFromEnv, detectProviders, PROVIDER_API_KEY_ENV, proxyFromEnv } from "./env.js";
import { closest, ConfigError, formatProblem, type PathSegment } from "./problems.js";
import { isPlainObject } from "./interpolate.js";
import { PROVIDER_KNOWN_KEYS, type RawConfig, type RawProviderEntry } from "./schema.js";
import type { EnvSnapshot, PriceConfig, ProviderSettings, SwitchboardConfig, TimeoutsConfig, UpstreamConfig } from "./types.js";

/** Provider type names accepted when the provider registry does not pass its own list. */
export const DEFAULT_PROVIDER_TYPES: readonly string[] = [...new Set([...Object.keys(PROVIDER_API_KEY_ENV), "mock", "openai", "azure", "bedrock", "vertex", "ollama", "vllm", "lmstudio", "llamacpp"])];

export interface SemanticProblem {
  path: PathSegment[];
  message: string;
}

/**
 * Settings the contract names whose feature has not landed yet: enabling one is an error rather
 * than a silent no-op. An entry is removed when its feature ships.
 */
const NOT_YET_AVAILABLE: ReadonlyArray<readonly string[]> = [
  ["cache", "exact", "enabled"],
  ["cache", "semantic", "enabled"],
  ["guardrails", "pii", "enabled"],
];

/**
 * Checks zod cannot express alone: provider ids and types, duplicate model names. Runs on the
 * unvalidated input (defensively) so these problems are reported along with the schema's.
 */
export function checkSemantics(raw: unknown, knownProviderTypes: readonly string[]): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  if (!isPlainObject(raw)) return problems;
  const known = new Set(knownProviderTypes);
  const providers = isPlainObject(raw.providers) ? raw.providers : {};
  for (const [id, entry] of Object.entries(providers)) {
    if (id === "" || /[:/\s]/.test(id)) {
      problems.push({
        path: ["providers", id],
        message: "provider id must be non-empty and contain no ':', '/' or spaces (it is the model-name prefix)",
      });
    }
    if (!isPlainObject(entry)) continue; // the schema reports it
    const type = typeof entry.type === "string" || typeof entry.type === "number" ? String(entry.type) : undefined;
    if (type === undefined || type === "") {
      if (!known.has(id)) problems.push({ path: ["providers", id], message: "unknown provider type; set `type`" });
    } else if (!known.has(type)) {
      problems.push({
        path: ["providers", id, "type"],
        message: `unknown provider type "${type}" (known: ${[...known].sort().join(", ")})`,
      });
    }
  }
  for (const path of NOT_YET_AVAILABLE) {
    let v: unknown = raw;
    for (const k of path) v = isPlainObject(v) ? v[k] : undefined;
    if (v === true || v === "true") {
      problems.push({ path: [...path], message: "this feature is not available in this version of Switchboard yet; remove it or set it to false" });
    }
  }
  if (isPlainObject(raw.pricing)) {
    for (const key of Object.keys(raw.pricing)) {
      if (key === "require" || /^[^:/]+[:/]./.test(key)) continue;
      const hint = closest(key, ["require"]);
      problems.push({
        path: ["pricing", key],
        message: hint === undefined ? 'expected a "provider:model" key (e.g. "openai:gpt-4o-mini") or "require"' : `unknown key (did you mean "${hint}"?)`,
      });
    }
  }
  const seen = new Map<string, number>();
  (Array.isArray(raw.models) ? raw.models : []).forEach((group: unknown, index) => {
    if (!isPlainObject(group) || typeof group.name !== "string" || group.name === "") return;
    const first = seen.get(group.name);
    if (first === undefined) seen.set(group.name, index);
    else problems.push({ path: ["models", index, "name"], message: `duplicate model name "${group.name}" (also models[${first}])` });
  });
  return problems;
}

function timeoutsOf(raw: NonNullable<RawProviderEntry["timeouts"]>): Partial<TimeoutsConfig> {
  const out: Partial<TimeoutsConfig> = {};
  if (raw.connect_ms !== undefined) out.connectMs = raw.connect_ms;
  if (raw.first_token_ms !== undefined) out.firstTokenMs = raw.first_token_ms;
  if (raw.idle_ms !== undefined) out.idleMs = raw.idle_ms;
  if (raw.total_ms !== undefined) out.totalMs = raw.total_ms;
  return out;
}

function providerOf(id: string, entry: RawProviderEntry, env: EnvSnapshot): ProviderSettings {
  const type = entry.type ?? id;
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!(PROVIDER_KNOWN_KEYS as readonly string[]).includes(key)) extra[key] = value;
  }
  const settings: ProviderSettings = { id, type, headers: { ...(entry.headers ?? {}) }, extra };
  // A provider configured under its own name without a key uses its standard variable,
  // as its official SDK would (never for a renamed provider, whose server may be elsewhere).
  const apiKey = entry.api_key ?? (type === id ? apiKeyFromEnv(id, env) : undefined);
  if (apiKey !== undefined) settings.apiKey = apiKey;
  if (entry.base_url !== undefined) settings.baseUrl = entry.base_url;
  if (entry.timeout_ms !== undefined) settings.timeoutMs = entry.timeout_ms;
  if (entry.timeouts !== undefined) settings.timeouts = timeoutsOf(entry.timeouts);
  return settings;
}

function resolveProviders(raw: RawConfig, env: EnvSnapshot, knownProviderTypes: readonly string[]): Record<string, ProviderSettings> {
  const providers: Record<string, ProviderSettings> = {};
  for (const [id, entry] of Object.entries(raw.providers)) providers[id] = providerOf(id, entry, env);
  for (const found of detectProviders(env)) {
    if (Object.hasOwn(providers, found.id) || !knownProviderTypes.includes(found.id)) continue;
    const settings: ProviderSettings = { id: found.id, type: found.id, headers: {}, extra: found.extra };
    if (found.apiKey !== undefined) settings.apiKey = found.apiKey;
    providers[found.id] = settings;
  }
  if (!Object.hasOwn(providers, "mock")) providers.mock = { id: "mock", type: "mock", headers: {}, extra: {} };
  return providers;
}

export function resolveConfig(raw: RawConfig, env: EnvSnapshot, knownProviderTypes: readonly string[], source?: string): SwitchboardConfig {
  const config: SwitchboardConfig = {
    dataDir: raw.data_dir,
    server: { host: raw.server.host, port: raw.server.port, maxBodyBytes: raw.server.max_body_bytes, httpEngine: raw.server.http_engine },
    providers: resolveProviders(raw, env, knownProviderTypes),
    models: raw.models.map((m) => ({
      name: m.name,
      strategy: m.strategy,
      deployments: m.deployments.map((d) => ({ model: d.model, weight: d.weight, rpm: d.rpm ?? null, tpm: d.tpm ?? null })),
      fallbacks: [...m.fallbacks],
    })),
    routing: {
      retries: raw.routing.retries,
      timeouts: {
        connectMs: raw.routing.timeouts.connect_ms,
        firstTokenMs: raw.routing.timeouts.first_token_ms,
        idleMs: raw.routing.timeouts.idle_ms,
        totalMs: raw.routing.timeouts.total_ms,
      },
      circuitBreaker: {
        failures: raw.routing.circuit_breaker.failures,
        windowMs: raw.routing.circuit_breaker.window_ms,
        cooldownMs: raw.routing.circuit_breaker.cooldown_ms,
      },
      defaultStrategy: raw.routing.default_strategy,
      ...(raw.routing.health_checks
        ? { healthChecks: { intervalMs: raw.routing.health_checks.interval_ms, ...(raw.routing.health_checks.model ? { model: raw.routing.health_checks.model } : {}) } }
        : {}),
      contentPolicyFallback: raw.routing.content_policy_fallback,
      auto: { candidates: raw.routing.auto.candidates ?? null, quality: { ...raw.routing.auto.quality } },
    },
    upstream: {
      transport: raw.upstream.transport,
      maxResponseBytes: raw.upstream.max_response_bytes,
      maxEventBytes: raw.upstream.max_event_bytes,
      proxy: checkedProxies(env),
    },
    pricing: pricesOf(raw.pricing),
    pricingRequired: raw.pricing.require,
    cache: {
      exact: { enabled: raw.cache.exact.enabled, ttlSeconds: raw.cache.exact.ttl_seconds },
      semantic: {
        enabled: raw.cache.semantic.enabled,
        embeddingModel: raw.cache.semantic.embedding_model,
        threshold: raw.cache.semantic.threshold,
        ttlSeconds: raw.cache.semantic.ttl_seconds,
      },
    },
    guardrails: {
      pii: {
        enabled: raw.guardrails.pii.enabled,
        action: raw.guardrails.pii.action,
        types: [...new Set(raw.guardrails.pii.types)],
        custom: raw.guardrails.pii.custom.map((c, i) => ({ name: c.name ?? `custom_${i + 1}`, pattern: c.pattern })),
        responses: raw.guardrails.pii.responses,
      },
    },
    logging: {
      storeContent: raw.logging.store_content,
      retentionDays: raw.logging.retention_days,
      level: raw.logging.level,
    },
    usage: {
      batchSize: raw.usage.batch_size,
      flushIntervalMs: raw.usage.flush_interval_ms,
      maxQueue: raw.usage.max_queue,
      fsync: raw.usage.fsync,
    },
    metrics: raw.metrics.bearer_token === undefined ? { enabled: raw.metrics.enabled } : { bearerToken: raw.metrics.bearer_token, enabled: raw.metrics.enabled },
    observability: {
      ...(raw.observability.otlp_endpoint === undefined ? {} : { otlpEndpoint: raw.observability.otlp_endpoint }),
      otlpHeaders: { ...raw.observability.otlp_headers },
      serviceName: raw.observability.service_name,
    },
    budgets: raw.budgets.default_max_tokens === undefined ? {} : { defaultMaxTokens: raw.budgets.default_max_tokens },
    limits: { redisFailure: raw.limits.redis_failure },
    batches: {
      concurrency: raw.batches.concurrency,
      maxFileBytes: raw.batches.max_file_bytes,
      maxLines: raw.batches.max_lines,
      maxLineBytes: raw.batches.max_line_bytes,
      leaseMs: raw.batches.lease_ms,
      pollIntervalMs: raw.batches.poll_interval_ms,
    },
    env,
  };
  if (source !== undefined) config.source = source;
  if (raw.master_key !== undefined) config.masterKey = raw.master_key;
  if (raw.database_url !== undefined) config.databaseUrl = raw.database_url;
  if (raw.redis_url !== undefined) config.redisUrl = raw.redis_url;
  return config;
}

/** The `provider:model` entries of `pricing:` (its `require` switch set apart). */
function pricesOf(raw: RawConfig["pricing"]): Record<string, PriceConfig> {
  const out: Record<string, PriceConfig> = {};
  for (const [model, p] of Object.entries(raw)) {
    if (model === "require" || typeof p !== "object") continue;
    out[model] = p.cached_input === undefined ? { input: p.input, output: p.output } : { input: p.input, output: p.output, cachedInput: p.cached_input };
  }
  return out;
}

/** HTTPS_PROXY / HTTP_PROXY must be http(s) URLs: a typo would otherwise send every call direct, or nowhere. */
function checkedProxies(env: EnvSnapshot): UpstreamConfig["proxy"] {
  const proxy = proxyFromEnv(env);
  const problems: string[] = [];
  for (const [name, value] of [
    ["HTTPS_PROXY", proxy.httpsProxy],
    ["HTTP_PROXY", proxy.httpProxy],
  ] as const) {
    if (value === undefined) continue;
    let ok = false;
    try {
      const u = new URL(value);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      ok = false;
    }
    if (!ok) problems.push(formatProblem({ path: name, message: "expected a proxy URL such as http://proxy.internal:3128" }));
  }
  if (problems.length) throw new ConfigError(problems);
  return proxy;
}

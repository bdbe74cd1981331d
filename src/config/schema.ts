/**
 * The on-disk configuration, snake_case exactly as written in switchboard.yaml.
 * Every section and key is optional; defaults are those of docs/configuration.md. Unknown keys are errors
 * everywhere except inside a provider entry, whose extra keys (region, api_version, ...)
 * are kept for the provider adapter.
 *
 * Scalars are coerced from strings where a `${VAR}` made them strings: "8000" → 8000,
 * "true"/"false" → booleans. Anything else keeps its type and fails with a clear message.
 */
import { z } from "zod";
import { parseRedisUrl } from "./redis-url.js";

function numberish(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (trimmed === "") return value;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : value;
}

function booleanish(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const lower = value.trim().toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : value;
}

function stringish(value: unknown): unknown {
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
}

/** A number, with optional bounds. */
function num(opts: { min?: number; max?: number; int?: boolean; positive?: boolean } = {}) {
  let schema = z.number();
  if (opts.int) schema = schema.int();
  if (opts.positive) schema = schema.positive();
  if (opts.min !== undefined) schema = schema.min(opts.min);
  if (opts.max !== undefined) schema = schema.max(opts.max);
  return z.preprocess(numberish, schema);
}

const positiveInt = () => num({ int: true, min: 1 });
const bool = () => z.preprocess(booleanish, z.boolean());
const text = () => z.preprocess(stringish, z.string().min(1));

/** An optional string where "" (e.g. an unset `${VAR}`) means "not set". */
const optText = () => z.preprocess((v) => (v === "" ? undefined : stringish(v)), z.string().optional()).optional();

const httpUrl = () =>
  z
    .preprocess(
      (v) => (v === "" ? undefined : v),
      z
        .string()
        .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), {
          message: "expected an http:// or https:// URL",
          params: { showInput: true },
        })
        .optional(),
    )
    .optional();

const redisUrl = () =>
  z
    .preprocess(
      (v) => (v === "" ? undefined : stringish(v)),
      z
        .string()
        .superRefine((url, ctx) => {
          try {
            parseRedisUrl(url);
          } catch (err) {
            ctx.addIssue({ code: "custom", message: (err as Error).message });
          }
        })
        .optional(),
    )
    .optional();

const regexSource = () =>
  z
    .string()
    .min(1)
    .superRefine((source, ctx) => {
      try {
        new RegExp(source);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    });

const timeoutsFields = {
  connect_ms: positiveInt(),
  first_token_ms: positiveInt(),
  idle_ms: positiveInt(),
  total_ms: positiveInt(),
};

export const STRATEGIES = ["weighted", "round-robin", "least-busy", "lowest-latency", "cheapest", "usage-based"] as const;
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export const PII_TYPES = ["email", "phone", "ssn", "credit_card", "iban", "api_key"] as const;
export const PII_ACTIONS = ["redact", "mask", "block"] as const;

/** Keys of a provider entry that Switchboard itself understands; the rest go to `extra`. */
export const PROVIDER_KNOWN_KEYS = ["type", "api_key", "base_url", "timeout_ms", "headers", "timeouts"] as const;

export const providerEntrySchema = z.looseObject({
  type: optText(),
  api_key: optText(),
  base_url: httpUrl(),
  timeout_ms: positiveInt().optional(),
  headers: z.record(z.string(), z.preprocess(stringish, z.string())).optional(),
  timeouts: z
    .strictObject({
      connect_ms: timeoutsFields.connect_ms.optional(),
      first_token_ms: timeoutsFields.first_token_ms.optional(),
      idle_ms: timeoutsFields.idle_ms.optional(),
      total_ms: timeoutsFields.total_ms.optional(),
    })
    .optional(),
});

const deploymentSchema = z.preprocess(
  (v) => (typeof v === "string" ? { model: v } : v),
  z.strictObject({
    model: text(),
    weight: num({ positive: true }).default(1),
    /** The deployment's own requests and tokens per minute: routing keeps under them. */
    rpm: positiveInt().optional(),
    tpm: positiveInt().optional(),
  }),
);

export const modelGroupSchema = z.strictObject({
  name: text(),
  strategy: z.enum(STRATEGIES).default("weighted"),
  deployments: z.array(deploymentSchema).min(1),
  fallbacks: z.array(text()).default([]),
});

export const priceSchema = z.strictObject({
  input: num({ min: 0 }),
  output: num({ min: 0 }),
  cached_input: num({ min: 0 }).optional(),
});

const customPatternSchema = z.preprocess((v) => (typeof v === "string" ? { pattern: v } : v), z.strictObject({ name: optText(), pattern: regexSource() }));

export const configSchema = z.strictObject({
  master_key: optText(),
  database_url: optText(),
  redis_url: redisUrl(),
  data_dir: text().default("./.switchboard"),
  server: z
    .strictObject({
      host: text().default("127.0.0.1"),
      port: num({ int: true, min: 0, max: 65535 }).default(8000),
      max_body_bytes: positiveInt().default(10_485_760),
      http_engine: z.enum(["fast", "node"]).default("fast"),
    })
    .prefault({}),
  providers: z.record(z.string(), providerEntrySchema).default({}),
  models: z.array(modelGroupSchema).default([]),
  routing: z
    .strictObject({
      retries: num({ int: true, min: 0 }).default(2),
      timeouts: z
        .strictObject({
          connect_ms: timeoutsFields.connect_ms.default(5000),
          first_token_ms: timeoutsFields.first_token_ms.default(30_000),
          idle_ms: timeoutsFields.idle_ms.default(30_000),
          total_ms: timeoutsFields.total_ms.default(600_000),
        })
        .prefault({}),
      circuit_breaker: z
        .strictObject({
          failures: positiveInt().default(5),
          window_ms: positiveInt().default(60_000),
          cooldown_ms: positiveInt().default(30_000),
        })
        .prefault({}),
      /** The order of the providers serving a bare model name (`gpt-4o-mini` without a prefix). */
      default_strategy: z.enum(STRATEGIES).default("cheapest"),
      /** Probes open circuits every interval with a one-token request, so a recovered deployment closes without waiting for traffic. */
      health_checks: z.strictObject({ interval_ms: positiveInt(), model: optText() }).optional(),
      /** A provider's content-filter refusal tries the next candidate instead of answering it. */
      content_policy_fallback: bool().default(false),
      auto: z
        .strictObject({
          candidates: z.array(text()).min(1).optional(),
          quality: z.record(z.string(), num({ min: 0, max: 1 })).default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  upstream: z
    .strictObject({
      transport: z.enum(["fast", "undici"]).default("fast"),
      max_response_bytes: positiveInt().default(67_108_864),
      max_event_bytes: positiveInt().default(8_388_608),
    })
    .prefault({}),
  /**
   * Prices by `provider:model` (every such key has a colon), beside them `require`: when true,
   * requests to a deployment with no price anywhere are refused (402 model_not_priced).
   */
  pricing: z
    .object({ require: bool().default(false) })
    .catchall(priceSchema)
    .prefault({}),
  cache: z
    .strictObject({
      exact: z.strictObject({ enabled: bool().default(false), ttl_seconds: positiveInt().default(3600) }).prefault({}),
      semantic: z
        .strictObject({
          enabled: bool().default(false),
          embedding_model: text().default("openai:text-embedding-3-small"),
          threshold: num({ min: 0, max: 1 }).default(0.95),
          ttl_seconds: positiveInt().default(3600),
        })
        .prefault({}),
    })
    .prefault({}),
  guardrails: z
    .strictObject({
      pii: z
        .strictObject({
          enabled: bool().default(false),
          action: z.enum(PII_ACTIONS).default("redact"),
          types: z.array(z.enum(PII_TYPES)).default([...PII_TYPES]),
          custom: z.array(customPatternSchema).default([]),
          responses: bool().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  logging: z
    .strictObject({
      store_content: bool().default(false),
      retention_days: positiveInt().default(30),
      level: z.enum(LOG_LEVELS).default("info"),
    })
    .prefault({}),
  usage: z
    .strictObject({
      batch_size: num({ int: true, min: 1, max: 2000 }).default(200), // one INSERT holds at most 2000 rows
      flush_interval_ms: positiveInt().default(200),
      max_queue: positiveInt().default(100_000),
      fsync: bool().default(false),
    })
    .prefault({}),
  /** `enabled: false` turns the request series off (no counting on the request path); /metrics still answers. */
  metrics: z.strictObject({ enabled: bool().default(true), bearer_token: optText() }).prefault({}),
  /** Traces over OTLP/HTTP when `otlp_endpoint` (or OTEL_EXPORTER_OTLP_ENDPOINT) is set; nothing loaded otherwise. */
  observability: z
    .strictObject({
      otlp_endpoint: httpUrl(),
      otlp_headers: z.record(z.string().min(1), z.preprocess(stringish, z.string())).optional(),
      service_name: text().default("switchboard"),
    })
    .prefault({}),
  budgets: z.strictObject({ default_max_tokens: positiveInt().optional() }).prefault({}),
  limits: z.strictObject({ redis_failure: z.enum(["open", "closed"]).default("open") }).prefault({}),
  batches: z
    .strictObject({
      concurrency: num({ int: true, min: 1, max: 256 }).default(4),
      max_file_bytes: num({ int: true, min: 1024, max: 512 * 1024 * 1024 }).default(20 * 1024 * 1024),
      max_lines: num({ int: true, min: 1, max: 100_000 }).default(10_000),
      max_line_bytes: num({ int: true, min: 256, max: 16 * 1024 * 1024 }).default(1024 * 1024),
      lease_ms: num({ int: true, min: 1000, max: 3_600_000 }).default(30_000),
      poll_interval_ms: num({ int: true, min: 100, max: 3_600_000 }).default(1000),
    })
    .prefault({}),
});

/** The validated file, snake_case, defaults applied. */
export type RawConfig = z.output<typeof configSchema>;
export type RawProviderEntry = z.output<typeof providerEntrySchema>;

interface SchemaDef {
  type: string;
  innerType?: z.core.$ZodType;
  out?: z.core.$ZodType;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  catchall?: z.core.$ZodType;
}

const defOf = (schema: z.core.$ZodType): SchemaDef => schema._zod.def;

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    const def = defOf(schema);
    const next = def.type === "pipe" ? def.out : def.innerType;
    if (next === undefined || !["default", "prefault", "optional", "nullable", "pipe"].includes(def.type)) {
      return schema;
    }
    schema = next;
  }
}

/** The keys a mapping at `path` may hold (for "did you mean" hints on unknown keys). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = unwrap(configSchema);
  for (const seg of path) {
    const def: SchemaDef = defOf(schema);
    if (def.type === "object") schema = def.shape?.[String(seg)] ?? def.catchall;
    else if (def.type === "record") schema = def.valueType;
    else if (def.type === "array") schema = def.element;
    else return [];
    if (schema === undefined) return [];
    schema = unwrap(schema);
  }
  const def = defOf(schema);
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

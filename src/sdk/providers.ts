/**
 * Provider instances for the library: the same registry and adapters the gateway uses, built
 * from explicit options merged over what the provider's standard environment variables give.
 */
import { detectProviders, PROVIDER_API_KEY_ENV, proxyFromEnv, readEnv } from "../config/env.js";
import type { ProviderSettings } from "../config/types.js";
import { DEFAULT_UPSTREAM, type ProviderDefaults } from "../providers/http.js";
import { knownProviderTypes, providerDefinition, type ProviderDefinition } from "../providers/registry.js";
import type { Capabilities, Provider, Timeouts } from "../providers/types.js";
import { providersServing } from "../routing/bare-names.js";
import { splitModelName } from "../routing/resolve.js";
import { InvalidRequestError, MissingApiKeyError, UnsupportedProviderError } from "./errors.js";

export interface ProviderOptions {
  /** Registry type when `id` is not a provider name (e.g. "openai" for any OpenAI-compatible server). */
  type?: string;
  apiKey?: string;
  baseUrl?: string;
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  /** Anything else the provider reads (region, accessKeyId, apiVersion, project, …), camelCase or snake_case. */
  [setting: string]: unknown;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, firstTokenMs: 60_000, idleMs: 60_000, totalMs: 600_000 };

export interface ProviderMetadata {
  id: string;
  type: string;
  name: string;
  capabilities: Capabilities;
  defaultBaseUrl?: string;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const OWN_KEYS = new Set(["type", "apiKey", "baseUrl", "headers", "timeouts"]);

export function definitionFor(id: string, type?: string): ProviderDefinition {
  const def = providerDefinition(type ?? id);
  if (!def) throw new UnsupportedProviderError(type ?? id, knownProviderTypes());
  return def;
}

/** A provider's definition and settings, as `buildProvider` creates it from. */
export interface ResolvedProvider {
  def: ProviderDefinition;
  settings: ProviderSettings;
  timeouts: Timeouts;
  /** The HTTP defaults the provider is created with (connect timeout, transport, egress proxy). */
  defaults: ProviderDefaults;
}

/**
 * The settings of a provider from explicit options over its environment variables; every option
 * is checked against what the type reads, and a missing key is a MissingApiKeyError.
 */
export function resolveProvider(id: string, options: ProviderOptions = {}): ResolvedProvider {
  const def = definitionFor(id, options.type);
  const detected = options.type && options.type !== id ? undefined : detectProviders(readEnv()).find((d) => d.id === id);
  const extra: Record<string, unknown> = { ...(detected?.extra ?? {}) };
  for (const [k, v] of Object.entries(options)) {
    if (OWN_KEYS.has(k) || v === undefined) continue;
    const key = snake(k);
    if (!def.settings.includes(key)) {
      // Never ignored: a misspelt or foreign setting would otherwise do nothing at all.
      const known = [...OWN_KEYS, ...def.settings].join(", ");
      throw new InvalidRequestError(`unknown option '${k}' for provider '${id}' (type ${def.type}); its options: ${known}`, k);
    }
    extra[key] = v;
  }
  const apiKey = options.apiKey ?? detected?.apiKey;
  const hasOtherCredentials = Object.keys(extra).some((k) => /key|token|credential/.test(k));
  if (def.requiresKey && !apiKey && !hasOtherCredentials) {
    throw new MissingApiKeyError(id, (PROVIDER_API_KEY_ENV as Record<string, readonly string[]>)[def.type] ?? []);
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const settings: ProviderSettings = { id, type: def.type, apiKey, baseUrl: options.baseUrl, headers: options.headers ?? {}, timeouts, extra };
  // The library honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY as the gateway does.
  return { def, settings, timeouts, defaults: { connectTimeoutMs: timeouts.connectMs, upstream: { ...DEFAULT_UPSTREAM, proxy: proxyFromEnv(readEnv()) } } };
}

/** Builds a callable provider; the API key falls back to the provider's standard env var. */
export function buildProvider(id: string, options: ProviderOptions = {}): { provider: Provider; metadata: ProviderMetadata; timeouts: Timeouts } {
  const { def, settings, timeouts, defaults } = resolveProvider(id, options);
  let provider: Provider;
  try {
    provider = def.create(settings, defaults);
  } catch (e) {
    // A setting the provider refuses (e.g. azure without its resource): the caller's to fix.
    throw new InvalidRequestError((e as Error).message, null, { cause: e });
  }
  return { provider, metadata: { id, type: def.type, name: def.name, capabilities: def.capabilities, defaultBaseUrl: def.defaultBaseUrl }, timeouts };
}

/**
 * The provider and the provider's own model name of a call. The model names its provider
 * (`provider:model` or `provider/model`), or `provider` is given and the model is the provider's
 * own name. Given both, they must agree: a model prefixed with that provider is the same model,
 * and one prefixed `other:` with another provider type is an InvalidRequestError; any other name
 * is the provider's own, as written (`qwen2.5:7b`, `meta-llama/Llama-3.3-70B`, `openai/gpt-oss-120b`).
 * A bare name without `provider` is an InvalidRequestError naming the providers whose catalogs know it.
 */
export function splitModel(model: string, provider?: string): { provider: string; model: string } {
  if (provider !== undefined) return ownModelOf(model, provider);
  const split = splitModelName(model);
  if (!split) throw new InvalidRequestError(bareNameMessage(model), "model");
  return split;
}

function ownModelOf(model: string, provider: string): { provider: string; model: string } {
  if (!provider) throw new InvalidRequestError("provider must not be empty", "provider");
  for (const sep of [":", "/"]) {
    const prefix = provider + sep;
    if (model.startsWith(prefix) && model.length > prefix.length) return { provider, model: model.slice(prefix.length) };
  }
  const split = splitModelName(model);
  if (split && model[split.provider.length] === ":" && providerDefinition(split.provider)) {
    throw new InvalidRequestError(`model '${model}' names provider '${split.provider}' but provider is '${provider}': give one of them, or both alike`, "provider");
  }
  return { provider, model };
}

function bareNameMessage(model: string): string {
  const base = `model '${model}' must name its provider: 'provider:model' (e.g. 'openai:gpt-4o-mini'), or pass provider`;
  if (!model) return base;
  const types = knownProviderTypes();
  const serving = providersServing(
    model,
    types.map((type) => ({ id: type, type })),
  );
  return serving.length ? `${base}; the catalog knows '${model}' as ${serving.map((p) => `'${p}:${model}'`).join(", ")}` : base;
}

/**
 * Provider instances for the library: the same registry and adapters the gateway uses, built
 * from explicit options merged over what the provider's standard environment variables give.
 */
import { detectProviders, PROVIDER_API_KEY_ENV, proxyFromEnv, readEnv } from "../config/env.js";
import type { ProviderSettings } from "../config/types.js";
import { DEFAULT_UPSTREAM } from "../providers/http.js";
import { knownProviderTypes, providerDefinition, type ProviderDefinition } from "../providers/registry.js";
import type { Capabilities, Provider, Timeouts } from "../providers/types.js";
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

/** Builds a callable provider; the API key falls back to the provider's standard env var. */
export function buildProvider(id: string, options: ProviderOptions = {}): { provider: Provider; metadata: ProviderMetadata; timeouts: Timeouts } {
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
  let provider: Provider;
  try {
    // The library honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY as the gateway does.
    provider = def.create(settings, { connectTimeoutMs: timeouts.connectMs, upstream: { ...DEFAULT_UPSTREAM, proxy: proxyFromEnv(readEnv()) } });
  } catch (e) {
    // A setting the provider refuses (e.g. azure without its resource): the caller's to fix.
    throw new InvalidRequestError((e as Error).message, null, { cause: e });
  }
  return { provider, metadata: { id, type: def.type, name: def.name, capabilities: def.capabilities, defaultBaseUrl: def.defaultBaseUrl }, timeouts };
}

/** Splits "provider:model" / "provider/model"; a bare name is a usage error in the library. */
export function splitModel(model: string): { provider: string; model: string } {
  const split = splitModelName(model);
  if (!split) throw new InvalidRequestError(`model '${model}' must name its provider: 'provider:model' (e.g. 'openai:gpt-4o-mini')`, "model");
  return split;
}

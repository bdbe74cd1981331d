/**
 * Anthropic's Messages API (POST {base_url}/v1/messages, anthropic-version 2023-06-01).
 *
 * Settings read from the provider entry (`settings.extra`, snake_case as written):
 * - default_max_tokens: max_tokens sent when a request has none (Anthropic requires it); default 4096.
 * - anthropic_version: the `anthropic-version` header; default "2023-06-01".
 * - anthropic_beta: `anthropic-beta` header value(s), a string or a list (joined with ",").
 * - thinking_mode: "budget" (default; reasoning_effort → thinking.budget_tokens) or "adaptive"
 *   (thinking {type: "adaptive"} + output_config.effort, for models that prefer it).
 */
import type { ProviderSettings } from "../../config/types.js";
import { createHttpProvider, httpOptions, type ProviderDefaults } from "../http.js";
import type { ProviderDefinition } from "../registry.js";
import type { Capabilities, Provider, WireAdapter } from "../types.js";
import { errorFromResponse } from "./errors.js";
import { chatResponse } from "./from-upstream.js";
import { anthropicBatch } from "./batch.js";
import { ANTHROPIC_VERSION, MESSAGES_PATH } from "./native.js";
import { anthropicNativeMessages, configuredBetas } from "./native-messages.js";
import { makeStreamEvent } from "./stream.js";
import { chatRequest, type AnthropicWireOptions } from "./to-upstream.js";

export type { AnthropicWireOptions };

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
export const ANTHROPIC_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: false, reasoning: true };

/** `betas`: the configured `anthropic_beta` flags, merged with a native request's own. */
export function anthropicWire(provider: string, secrets: string[], options: Partial<AnthropicWireOptions> = {}, betas: readonly string[] = []): WireAdapter {
  const o: AnthropicWireOptions = { path: MESSAGES_PATH, defaultMaxTokens: ANTHROPIC_DEFAULT_MAX_TOKENS, thinkingMode: "budget", ...options };
  return {
    type: "anthropic",
    native: { messages: anthropicNativeMessages(provider, secrets, o.path, betas) },
    chatRequest: (req, stream) => chatRequest(req, stream, o),
    chatResponse,
    streamEvent: makeStreamEvent(provider, secrets),
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
    batch: (http) => anthropicBatch(http, o, secrets),
  };
}

/** Headers every call carries: the key (x-api-key), the API version and optional beta flags. */
export function anthropicHeaders(apiKey: string | undefined, extra: Record<string, unknown>): Record<string, string> {
  const h: Record<string, string> = { "anthropic-version": typeof extra.anthropic_version === "string" ? extra.anthropic_version : ANTHROPIC_VERSION };
  if (apiKey) h["x-api-key"] = apiKey;
  const betas = configuredBetas(extra.anthropic_beta);
  if (betas.length) h["anthropic-beta"] = betas.join(",");
  return h;
}

/**
 * base_url is the host root (as in Anthropic's SDKs); one ending in /v1 is accepted too, so
 * "https://api.anthropic.com/v1" does not become ".../v1/v1/messages".
 */
export function anthropicEndpoint(baseUrl: string): { baseUrl: string; path: string } {
  const base = baseUrl.replace(/\/+$/, "");
  return /\/v1$/.test(base) ? { baseUrl: base, path: "/messages" } : { baseUrl: base, path: MESSAGES_PATH };
}

function positiveInt(value: unknown, key: string, provider: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n === "number" && Number.isInteger(n) && n > 0) return n;
  throw new Error(`providers.${provider}.${key} must be a positive integer`);
}

export function createAnthropicProvider(s: ProviderSettings, defaults: ProviderDefaults): Provider {
  const secrets = s.apiKey ? [s.apiKey] : [];
  const { baseUrl, path } = anthropicEndpoint(s.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL);
  const mode = s.extra.thinking_mode;
  if (mode !== undefined && mode !== "budget" && mode !== "adaptive") {
    throw new Error(`providers.${s.id}.thinking_mode must be "budget" or "adaptive"`);
  }
  const wire = anthropicWire(
    s.id,
    secrets,
    {
      path,
      defaultMaxTokens: positiveInt(s.extra.default_max_tokens, "default_max_tokens", s.id) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      thinkingMode: mode ?? "budget",
    },
    configuredBetas(s.extra.anthropic_beta),
  );
  return createHttpProvider(wire, httpOptions(s, defaults, { baseUrl, auth: anthropicHeaders(s.apiKey, s.extra), capabilities: ANTHROPIC_CAPABILITIES, secrets }));
}

/** The registry entry for type "anthropic" (key from ANTHROPIC_API_KEY). */
export const anthropicDefinition: ProviderDefinition = {
  type: "anthropic",
  name: "Anthropic",
  genAiProviderName: "anthropic",
  capabilities: ANTHROPIC_CAPABILITIES,
  requiresKey: true,
  nativeBatch: true,
  settings: ["anthropic_version", "anthropic_beta", "default_max_tokens", "thinking_mode"],
  defaultBaseUrl: ANTHROPIC_DEFAULT_BASE_URL,
  create: createAnthropicProvider,
};

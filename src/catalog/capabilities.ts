/**
 * What each catalog chat model can do, as typed data: tool calling, image input, a structured
 * output (JSON) mode, and reasoning. `model: "auto"` filters its candidates with this
 * (routing/auto.ts): a request with tools, images or `response_format` only goes to a model known
 * to support them.
 *
 * Source: models.dev (github.com/anomalyco/models.dev, snapshot of 2026-07-02, commit f3fc692),
 * read per provider from `providers/<provider>/models/<id>.toml` with its `base_model` (or legacy
 * `[extends]`) merged in; a model retired from models.dev before that snapshot is read from the last
 * version of its file. `tools` = `tool_call`; `vision` = "image" among `modalities.input`;
 * `jsonMode` = `structured_output` (false where models.dev does not say: Anthropic's own API, Mistral,
 * older Grok and most open-model hosts leave it out); `reasoning` = `reasoning`. The mock provider's
 * entry is its own behaviour (providers/mock: tools, images and JSON schemas are answered, no
 * reasoning).
 *
 * A catalog model models.dev did not list at that snapshot has no entry (claude-opus-5, grok-4.7,
 * grok-4.5, grok-4-1-fast-reasoning, openrouter anthropic/claude-3.5-sonnet and some host ids):
 * `capabilitiesOf` answers undefined, which the ranking reads as "not known to support".
 */
import { findCatalogModel } from "./models.js";

export interface Capabilities {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  reasoning: boolean;
}

type Feature = "tools" | "vision" | "json" | "reasoning";

function has(...features: Feature[]): Capabilities {
  return { tools: features.includes("tools"), vision: features.includes("vision"), jsonMode: features.includes("json"), reasoning: features.includes("reasoning") };
}

/** Keyed by provider type, then by the catalog entry's id (aliases and dated ids resolve through findCatalogModel). */
const CAPABILITIES: Record<string, Record<string, Capabilities>> = {
  openai: {
    "gpt-5.5": has("tools", "vision", "json", "reasoning"),
    "gpt-5.5-pro": has("tools", "vision", "json", "reasoning"),
    "gpt-5.4": has("tools", "vision", "json", "reasoning"),
    "gpt-5.4-pro": has("tools", "vision", "reasoning"),
    "gpt-5.4-mini": has("tools", "vision", "json", "reasoning"),
    "gpt-5.4-nano": has("tools", "vision", "json", "reasoning"),
    "gpt-5.2": has("tools", "vision", "json", "reasoning"),
    "gpt-5.2-pro": has("tools", "vision", "reasoning"),
    "gpt-5.1": has("tools", "vision", "json", "reasoning"),
    "gpt-5": has("tools", "vision", "json", "reasoning"),
    "gpt-5-mini": has("tools", "vision", "json", "reasoning"),
    "gpt-5-nano": has("tools", "vision", "json", "reasoning"),
    "gpt-5-pro": has("tools", "vision", "json", "reasoning"),
    "gpt-4.1": has("tools", "vision", "json"),
    "gpt-4.1-mini": has("tools", "vision", "json"),
    "gpt-4.1-nano": has("tools", "vision", "json"),
    "gpt-4o": has("tools", "vision", "json"),
    "gpt-4o-2024-05-13": has("tools", "vision", "json"),
    "gpt-4o-mini": has("tools", "vision", "json"),
    o3: has("tools", "vision", "json", "reasoning"),
    "o3-pro": has("tools", "vision", "json", "reasoning"),
    "o3-mini": has("tools", "json", "reasoning"),
    "o4-mini": has("tools", "vision", "json", "reasoning"),
    o1: has("tools", "vision", "json", "reasoning"),
  },
  anthropic: {
    "claude-sonnet-5": has("tools", "vision", "reasoning"),
    "claude-fable-5": has("tools", "vision", "reasoning"),
    "claude-opus-4-8": has("tools", "vision", "reasoning"),
    "claude-opus-4-7": has("tools", "vision", "reasoning"),
    "claude-opus-4-6": has("tools", "vision", "reasoning"),
    "claude-sonnet-4-6": has("tools", "vision", "reasoning"),
    "claude-opus-4-5": has("tools", "vision", "reasoning"),
    "claude-sonnet-4-5": has("tools", "vision", "reasoning"),
    "claude-haiku-4-5": has("tools", "vision", "reasoning"),
    "claude-opus-4-1": has("tools", "vision", "reasoning"),
    "claude-opus-4-0": has("tools", "vision", "reasoning"),
    "claude-sonnet-4-0": has("tools", "vision", "reasoning"),
    "claude-3-5-haiku-20241022": has("tools", "vision"),
    "claude-3-haiku-20240307": has("tools", "vision"),
  },
  gemini: {
    "gemini-3.5-flash": has("tools", "vision", "json", "reasoning"),
    "gemini-3.1-pro-preview": has("tools", "vision", "json", "reasoning"),
    "gemini-3-pro-preview": has("tools", "vision", "json", "reasoning"),
    "gemini-3-flash-preview": has("tools", "vision", "json", "reasoning"),
    "gemini-3.1-flash-lite": has("tools", "vision", "json", "reasoning"),
    "gemini-2.5-pro": has("tools", "vision", "json", "reasoning"),
    "gemini-2.5-flash": has("tools", "vision", "json", "reasoning"),
    "gemini-2.5-flash-lite": has("tools", "vision", "json", "reasoning"),
    "gemini-2.0-flash": has("tools", "vision", "json"),
    "gemini-2.0-flash-lite": has("tools", "vision", "json"),
    "gemini-1.5-pro": has("tools", "vision"),
    "gemini-1.5-flash": has("tools", "vision"),
  },
  mistral: {
    "mistral-large-latest": has("tools", "vision"),
    "mistral-medium-latest": has("tools", "vision"),
    "mistral-small-latest": has("tools", "vision", "reasoning"),
    "codestral-latest": has("tools"),
    "ministral-8b-latest": has("tools"),
  },
  groq: {
    "llama-3.3-70b-versatile": has("tools"),
    "llama-3.1-8b-instant": has("tools"),
    "meta-llama/llama-4-maverick-17b-128e-instruct": has("tools", "vision", "json"),
    "meta-llama/llama-4-scout-17b-16e-instruct": has("tools", "vision", "json"),
    "openai/gpt-oss-120b": has("tools", "json", "reasoning"),
    "openai/gpt-oss-20b": has("tools", "json", "reasoning"),
    "qwen/qwen3-32b": has("tools", "reasoning"),
    "moonshotai/kimi-k2-instruct-0905": has("tools", "json"),
  },
  deepseek: {
    "deepseek-v4-pro": has("tools", "json", "reasoning"),
    "deepseek-v4-flash": has("tools", "json", "reasoning"),
    "deepseek-chat": has("tools"),
    "deepseek-reasoner": has("tools", "reasoning"),
  },
  xai: {
    "grok-4.3": has("tools", "vision", "json", "reasoning"),
    "grok-4-1-fast-non-reasoning": has("tools", "vision"),
    "grok-code-fast-1": has("tools", "reasoning"),
    "grok-4": has("tools", "reasoning"),
    "grok-3": has("tools"),
    "grok-3-mini": has("tools", "reasoning"),
  },
  cohere: {
    "command-a-plus-05-2026": has("tools", "vision", "json", "reasoning"),
    "command-a-reasoning-08-2025": has("tools", "reasoning"),
    "command-a-vision-07-2025": has("vision"),
    "command-a-03-2025": has("tools"),
    "command-r-plus-08-2024": has("tools"),
    "command-r-08-2024": has("tools"),
    "command-r7b-12-2024": has("tools"),
  },
  bedrock: {
    "anthropic.claude-opus-4-8": has("tools", "vision", "reasoning"),
    "global.anthropic.claude-opus-4-8": has("tools", "vision", "reasoning"),
    "anthropic.claude-opus-4-7": has("tools", "vision", "reasoning"),
    "global.anthropic.claude-opus-4-7": has("tools", "vision", "reasoning"),
    "anthropic.claude-opus-4-6-v1": has("tools", "vision", "json", "reasoning"),
    "global.anthropic.claude-opus-4-6-v1": has("tools", "vision", "json", "reasoning"),
    "anthropic.claude-sonnet-4-6": has("tools", "vision", "json", "reasoning"),
    "global.anthropic.claude-sonnet-4-6": has("tools", "vision", "json", "reasoning"),
    "anthropic.claude-opus-4-5-20251101-v1:0": has("tools", "vision", "json", "reasoning"),
    "global.anthropic.claude-opus-4-5-20251101-v1:0": has("tools", "vision", "json", "reasoning"),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": has("tools", "vision", "json", "reasoning"),
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0": has("tools", "vision", "json", "reasoning"),
    "anthropic.claude-haiku-4-5-20251001-v1:0": has("tools", "vision", "json", "reasoning"),
    "global.anthropic.claude-haiku-4-5-20251001-v1:0": has("tools", "vision", "json", "reasoning"),
    "anthropic.claude-opus-4-1-20250805-v1:0": has("tools", "vision", "reasoning"),
    "anthropic.claude-sonnet-4-20250514-v1:0": has("tools", "vision", "reasoning"),
    "anthropic.claude-3-5-haiku-20241022-v1:0": has("tools", "vision"),
    "anthropic.claude-3-haiku-20240307-v1:0": has("tools", "vision"),
    "amazon.nova-premier-v1:0": has("tools", "vision", "reasoning"),
    "amazon.nova-pro-v1:0": has("tools", "vision"),
    "amazon.nova-lite-v1:0": has("tools", "vision"),
    "amazon.nova-micro-v1:0": has("tools"),
    "amazon.nova-2-lite-v1:0": has("tools", "vision", "reasoning"),
    "global.amazon.nova-2-lite-v1:0": has("tools", "vision"),
    "meta.llama3-3-70b-instruct-v1:0": has("tools"),
    "meta.llama4-maverick-17b-instruct-v1:0": has("tools", "vision"),
    "meta.llama4-scout-17b-instruct-v1:0": has("tools", "vision"),
    "deepseek.r1-v1:0": has("tools", "reasoning"),
    "openai.gpt-oss-120b-1:0": has("tools", "json", "reasoning"),
    "openai.gpt-oss-20b-1:0": has("tools", "json", "reasoning"),
  },
  together: {
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": has("tools"),
    "deepseek-ai/DeepSeek-R1": has("reasoning"),
    "deepseek-ai/DeepSeek-V3": has("tools"),
    "openai/gpt-oss-120b": has("tools", "reasoning"),
    "moonshotai/Kimi-K2.5": has("tools", "vision", "reasoning"),
  },
  fireworks: {
    "accounts/fireworks/models/deepseek-v3p2": has("tools", "reasoning"),
    "accounts/fireworks/models/gpt-oss-120b": has("tools", "reasoning"),
    "accounts/fireworks/models/gpt-oss-20b": has("tools", "reasoning"),
    "accounts/fireworks/models/kimi-k2p6": has("tools", "vision", "reasoning"),
    "accounts/fireworks/models/qwen3-235b-a22b": has("tools", "reasoning"),
  },
  openrouter: {
    "openai/gpt-4o-mini": has("tools", "vision", "json"),
    "anthropic/claude-opus-4.8": has("tools", "vision", "json", "reasoning"),
    "anthropic/claude-sonnet-4.6": has("tools", "vision", "json", "reasoning"),
    "anthropic/claude-sonnet-4.5": has("tools", "vision", "json", "reasoning"),
    "anthropic/claude-haiku-4.5": has("tools", "vision", "json", "reasoning"),
  },
  perplexity: {
    sonar: has(),
    "sonar-pro": has("vision"),
    "sonar-reasoning-pro": has("vision", "reasoning"),
  },
  cerebras: {
    "llama3.1-8b": has("tools"),
    "gpt-oss-120b": has("tools", "json", "reasoning"),
  },
  deepinfra: {},
  mock: {
    "mock-1": has("tools", "vision", "json"),
  },
};

/** Vertex AI serves the Gemini models under the same ids. */
CAPABILITIES.vertex = CAPABILITIES.gemini!;

const byType = new Map<string, ReadonlyMap<string, Capabilities>>(Object.entries(CAPABILITIES).map(([type, models]) => [type, new Map(Object.entries(models))]));

/** The capabilities of a provider type's chat model (its catalog id or an alias), or undefined when not known. */
export function capabilitiesOf(providerType: string, model: string): Capabilities | undefined {
  const known = byType.get(providerType);
  if (!known) return undefined;
  const entry = findCatalogModel(providerType, model);
  return entry ? known.get(entry.id) : undefined;
}

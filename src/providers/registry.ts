/**
 * The one list of provider types. Adding a provider touches its folder and one entry here.
 */
import type { ProviderSettings } from "../config/types.js";
import { anthropicDefinition } from "./anthropic/index.js";
import { azureDefinition } from "./azure/index.js";
import { cohereDefinition } from "./cohere/index.js";
import { bedrockDefinition } from "./bedrock/index.js";
import { geminiDefinition } from "./gemini/index.js";
import { createHttpProvider, httpOptions, type ProviderDefaults } from "./http.js";
import { createMockProvider, MOCK_CAPABILITIES } from "./mock/index.js";
import { withOpenAIBatch } from "./openai/batch.js";
import { bearerAuth, openAIWire } from "./openai/index.js";
import { withNativeResponses } from "./openai/native-responses.js";
import { withModelList } from "./openai/models.js";
import { listsServerModels } from "./openai-compatible/model-list.js";
import { OPENAI_COMPATIBLE_PRESETS, type OpenAICompatiblePreset } from "./openai-compatible/presets.js";
import type { Capabilities, Provider } from "./types.js";
import { vertexDefinition } from "./vertex/index.js";

export interface ProviderDefinition {
  type: string;
  name: string;
  /**
   * Its `gen_ai.provider.name` in traces where the OpenTelemetry GenAI semantic conventions
   * define a well-known value for it (`aws.bedrock`, `gcp.vertex_ai`, …); else the type is used.
   */
  genAiProviderName?: string;
  capabilities: Capabilities;
  requiresKey: boolean;
  /** Settings of this type that authenticate instead of `api_key` (Azure's `azure_ad_token`). */
  keyAlternatives?: readonly string[];
  /** Answers any model name (the mock): configured models are not checked against the catalog. */
  anyModel?: boolean;
  /** Its providers have the provider's own batch API (`Provider.batch`). */
  nativeBatch?: boolean;
  defaultBaseUrl?: string;
  /**
   * The keys of a provider entry this type reads beyond the common ones (`type`, `api_key`,
   * `base_url`, `timeout_ms`, `timeouts`, `headers`), snake_case as written: any other key is
   * refused by the configuration check rather than ignored.
   */
  settings: readonly string[];
  create(settings: ProviderSettings, defaults: ProviderDefaults): Provider;
}

function openAICompatible(type: string, preset: OpenAICompatiblePreset): ProviderDefinition {
  return {
    type,
    name: preset.name,
    ...(preset.genAiProviderName ? { genAiProviderName: preset.genAiProviderName } : {}),
    capabilities: preset.capabilities,
    requiresKey: preset.requiresKey,
    defaultBaseUrl: preset.baseUrl,
    ...(preset.nativeBatch ? { nativeBatch: true } : {}),
    // native_responses: whether /v1/responses goes to the server's own Responses API (default: on OpenAI's own API).
    settings: preset.nativeResponses ? ["stream_usage", "native_responses"] : ["stream_usage"],
    create(s, defaults) {
      const secrets = s.apiKey ? [s.apiKey] : [];
      let wire = openAIWire(s.id, secrets, { streamUsage: (s.extra.stream_usage as boolean | undefined) ?? preset.streamUsage });
      if (preset.nativeBatch) wire = withOpenAIBatch(wire);
      // On by default for OpenAI's own API only: another server at a base_url of its own may not have /responses.
      const nativeResponses = s.extra.native_responses ?? (preset.nativeResponses === true && (!s.baseUrl || /^https:\/\/api\.openai\.com(\/|$)/.test(s.baseUrl)));
      if (typeof nativeResponses !== "boolean") throw new Error(`providers.${s.id}.native_responses must be true or false`);
      if (nativeResponses) wire = withNativeResponses(wire, s.id, secrets);
      return createHttpProvider(
        listsServerModels(s, preset) ? withModelList(wire) : wire,
        httpOptions(s, defaults, { baseUrl: s.baseUrl ?? preset.baseUrl, auth: bearerAuth(s.apiKey), capabilities: preset.capabilities, secrets }),
      );
    },
  };
}

const definitions: ProviderDefinition[] = [
  ...Object.entries(OPENAI_COMPATIBLE_PRESETS).map(([type, preset]) => openAICompatible(type, preset)),
  { type: "mock", name: "Mock (deterministic, offline)", capabilities: MOCK_CAPABILITIES, requiresKey: false, anyModel: true, settings: [], create: (s) => createMockProvider(s.id) },
  anthropicDefinition,
  azureDefinition,
  cohereDefinition,
  bedrockDefinition,
  geminiDefinition,
  vertexDefinition,
];

export const PROVIDER_REGISTRY: ReadonlyMap<string, ProviderDefinition> = new Map(definitions.map((d) => [d.type, d]));

/** The `gen_ai.provider.name` of a provider type: the conventions' well-known value, else the type itself. */
export function genAiProviderName(type: string): string {
  return PROVIDER_REGISTRY.get(type)?.genAiProviderName ?? type;
}

export function providerDefinition(type: string): ProviderDefinition | undefined {
  return PROVIDER_REGISTRY.get(type);
}

/** The provider-specific settings a type reads (undefined for an unknown type). */
export function providerSettingNames(type: string): readonly string[] | undefined {
  return PROVIDER_REGISTRY.get(type)?.settings;
}

export function knownProviderTypes(): string[] {
  return [...PROVIDER_REGISTRY.keys()];
}

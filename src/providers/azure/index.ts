/**
 * Azure OpenAI: the OpenAI wire format (reused from ../openai) on Azure's URLs and auth.
 *
 * Settings (`providers.<id>` in the config): base_url = the resource URL
 * (https://{resource}.openai.azure.com; `endpoint` is accepted as an alias) or the v1 API URL
 * (https://{resource}.openai.azure.com/openai/v1); api_key → `api-key` header, or
 * azure_ad_token → `Authorization: Bearer`; api_version; deployments {model: deployment};
 * stream_usage (default true).
 */
import type { ProviderSettings } from "../../config/types.js";
import { createHttpProvider, httpOptions } from "../http.js";
import { openAIWire } from "../openai/index.js";
import type { ProviderDefinition } from "../registry.js";
import type { Capabilities, WireAdapter } from "../types.js";
import { errorFromResponse } from "./errors.js";
import { streamEvent } from "./stream.js";
import { chatRequest, DEFAULT_API_VERSION, embeddingsRequest, type AzureWireOptions } from "./to-upstream.js";

export { DEFAULT_API_VERSION, type AzureWireOptions };

export const AZURE_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: true };

/** OpenAI's wire adapter with Azure's paths, stream quirks and error details. */
export function azureWire(provider: string, secrets: string[], o: AzureWireOptions): WireAdapter {
  return {
    ...openAIWire(provider, secrets),
    type: "azure",
    chatRequest: (req, stream) => chatRequest(req, stream, o),
    streamEvent,
    embeddingsRequest: (req) => embeddingsRequest(req, o),
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
  };
}

/** The resource URL (any trailing `/openai` removed) or a v1 API URL (ending in /openai/v1). */
export function azureBase(raw: string): { baseUrl: string; mode: AzureWireOptions["mode"] } {
  const url = raw.trim().replace(/\/+$/, "");
  if (/\/openai\/v1$/i.test(url)) return { baseUrl: url, mode: "v1" };
  return { baseUrl: url.replace(/\/openai$/i, ""), mode: "deployments" };
}

/** Reads and checks the Azure settings; throws a readable Error naming the provider on bad config. */
export function azureOptions(s: ProviderSettings): { baseUrl: string; wire: AzureWireOptions; headers: Record<string, string>; secrets: string[] } {
  const fail = (msg: string): never => {
    throw new Error(`provider '${s.id}' (azure): ${msg}`);
  };
  const optString = (key: string): string | undefined => {
    const v = s.extra[key];
    if (v === undefined || v === null || v === "") return undefined;
    return typeof v === "string" ? v : fail(`${key} must be a string`);
  };
  const raw = s.baseUrl ?? optString("endpoint") ?? fail("base_url is required: the resource URL, e.g. https://my-resource.openai.azure.com");
  const { baseUrl, mode } = azureBase(raw);
  const deployments: Record<string, string> = {};
  const map = s.extra.deployments;
  if (map !== undefined && map !== null) {
    if (typeof map !== "object" || Array.isArray(map)) fail("deployments must be a map of model name to deployment name");
    for (const [model, dep] of Object.entries(map as Record<string, unknown>)) {
      if (typeof dep !== "string" || dep === "") fail(`deployments.${model} must be a deployment name`);
      deployments[model] = dep as string;
    }
  }
  const streamUsage = s.extra.stream_usage;
  if (streamUsage !== undefined && typeof streamUsage !== "boolean") fail("stream_usage must be true or false");
  const apiVersion = optString("api_version") ?? (mode === "deployments" ? DEFAULT_API_VERSION : undefined);
  const adToken = optString("azure_ad_token");
  const headers: Record<string, string> = s.apiKey ? { "api-key": s.apiKey } : adToken ? { authorization: `Bearer ${adToken}` } : {};
  const secrets = [s.apiKey, adToken].filter((x): x is string => typeof x === "string" && x !== "");
  return { baseUrl, wire: { mode, apiVersion, deployments, streamUsage: (streamUsage as boolean | undefined) ?? true }, headers, secrets };
}

export const azureDefinition: ProviderDefinition = {
  type: "azure",
  name: "Azure OpenAI",
  genAiProviderName: "azure.ai.openai",
  capabilities: AZURE_CAPABILITIES,
  requiresKey: true,
  keyAlternatives: ["azure_ad_token"],
  settings: ["endpoint", "api_version", "azure_ad_token", "deployments", "stream_usage"],
  create(s, defaults) {
    const o = azureOptions(s);
    return createHttpProvider(azureWire(s.id, o.secrets, o.wire), httpOptions(s, defaults, { baseUrl: o.baseUrl, auth: o.headers, capabilities: AZURE_CAPABILITIES, secrets: o.secrets }));
  },
};

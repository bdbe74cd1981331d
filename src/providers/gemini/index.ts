/**
 * Google's Gemini API (AI Studio): `POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` and `:batchEmbedContents`, authenticated with `x-goog-api-key`.
 * The translation functions here are shared with Vertex AI (../vertex), which speaks the same
 * generateContent format on other URLs.
 */
import type { ProviderSettings } from "../../config/types.js";
import { createHttpProvider, httpOptions, type ProviderDefaults } from "../http.js";
import type { ProviderDefinition } from "../registry.js";
import type { Capabilities, Provider, WireAdapter } from "../types.js";
import { errorFromResponse } from "./errors.js";
import { chatResponse, embeddingsResponse } from "./from-upstream.js";
import { streamEvent } from "./stream.js";
import { batchEmbedBody, chatBody } from "./to-upstream.js";

export const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com";
export const GEMINI_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: true };

export interface GeminiWireOptions {
  /** API version path segment: "v1beta" (default; everything current is there) or "v1". */
  apiVersion: string;
}

/** `models/{model}` unless the name already is a resource name (`models/...`, `tunedModels/...`). */
export function modelResource(model: string): string {
  const name = /^(models|tunedModels)\//.test(model) ? model : `models/${model}`;
  return name.split("/").map(encodeURIComponent).join("/");
}

export function geminiWire(provider: string, secrets: string[], o: GeminiWireOptions): WireAdapter {
  const base = `/${o.apiVersion}`;
  return {
    type: "gemini",
    chatRequest(req, stream) {
      const warnings: string[] = [];
      const body = chatBody(req, warnings, "gemini");
      const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
      return { path: `${base}/${modelResource(req.model)}:${method}`, headers: {}, body, warnings };
    },
    chatResponse,
    streamEvent,
    embeddingsRequest(req) {
      const warnings: string[] = [];
      const model = modelResource(req.model);
      return { path: `${base}/${model}:batchEmbedContents`, headers: {}, body: batchEmbedBody(req, decodeURIComponent(model), warnings, "gemini"), warnings };
    },
    embeddingsResponse,
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
  };
}

export function createGeminiProvider(s: ProviderSettings, defaults: ProviderDefaults): Provider {
  const secrets = s.apiKey ? [s.apiKey] : [];
  const apiVersion = typeof s.extra.api_version === "string" && s.extra.api_version ? s.extra.api_version : "v1beta";
  const wire = geminiWire(s.id, secrets, { apiVersion });
  return createHttpProvider(
    wire,
    httpOptions(s, defaults, { baseUrl: s.baseUrl ?? GEMINI_BASE_URL, auth: s.apiKey ? { "x-goog-api-key": s.apiKey } : {}, capabilities: GEMINI_CAPABILITIES, secrets }),
  );
}

export const geminiDefinition: ProviderDefinition = {
  type: "gemini",
  name: "Google Gemini API",
  genAiProviderName: "gcp.gemini",
  capabilities: GEMINI_CAPABILITIES,
  requiresKey: true,
  settings: ["api_version"],
  defaultBaseUrl: GEMINI_BASE_URL,
  create: createGeminiProvider,
};

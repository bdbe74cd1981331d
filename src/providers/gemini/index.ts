/**
 * Google's Gemini API (AI Studio): `POST /v1beta/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` and `:batchEmbedContents`, authenticated with `x-goog-api-key`.
 * The translation functions here are shared with Vertex AI (../vertex), which speaks the same
 * generateContent format on other URLs.
 */
import type { ProviderSettings } from "../../config/types.js";
import type { ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from "../../wire/openai.js";
import { createHttpProvider } from "../http.js";
import type { ProviderDefinition } from "../registry.js";
import type { CallOptions, Capabilities, Provider, WireAdapter } from "../types.js";
import { toGatewayError } from "./errors.js";
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
    error: (status, body, headers) => toGatewayError(provider, status, body, headers, secrets),
  };
}

/**
 * What the translation cannot know from a response body alone: the requested model name when
 * the response names none (`modelVersion` absent), and `encoding_format: "base64"` (the OpenAI
 * SDK's default) for Google's embedding APIs, which return float arrays only — encoded here as
 * little-endian float32, like OpenAI's.
 */
export function withRequestDetails(p: Provider): Provider {
  const { chat, embeddings } = p;
  return {
    ...p,
    async chat(req: ChatRequest, opts: CallOptions): Promise<ChatCompletion> {
      const r = await chat(req, opts);
      if (!r.model) r.model = req.model;
      return r;
    },
    ...(embeddings && {
      async embeddings(req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
        const r = await embeddings(req, opts);
        if (!r.model) r.model = req.model;
        if (req.encoding_format === "base64") {
          r.data = r.data.map((d) => ({ ...d, embedding: Array.isArray(d.embedding) ? Buffer.from(new Float32Array(d.embedding).buffer).toString("base64") : d.embedding }));
        }
        return r;
      },
    }),
  };
}

export function createGeminiProvider(s: ProviderSettings, defaults: { connectTimeoutMs: number }): Provider {
  const secrets = s.apiKey ? [s.apiKey] : [];
  const apiVersion = typeof s.extra.api_version === "string" && s.extra.api_version ? s.extra.api_version : "v1beta";
  const wire = geminiWire(s.id, secrets, { apiVersion });
  return withRequestDetails(
    createHttpProvider(wire, {
      id: s.id,
      baseUrl: s.baseUrl ?? GEMINI_BASE_URL,
      headers: { ...(s.apiKey ? { "x-goog-api-key": s.apiKey } : {}), ...s.headers },
      capabilities: GEMINI_CAPABILITIES,
      secrets,
      connectTimeoutMs: s.timeouts?.connectMs ?? defaults.connectTimeoutMs,
    }),
  );
}

export const geminiDefinition: ProviderDefinition = {
  type: "gemini",
  name: "Google Gemini API",
  capabilities: GEMINI_CAPABILITIES,
  requiresKey: true,
  defaultBaseUrl: GEMINI_BASE_URL,
  create: createGeminiProvider,
};

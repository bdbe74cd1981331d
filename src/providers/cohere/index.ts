/**
 * Cohere API v2 (https://api.cohere.com, `/v2/chat`, `/v2/embed`, `Authorization: Bearer`).
 *
 * Settings: api_key (or COHERE_API_KEY), base_url (host root, default https://api.cohere.com),
 * embedding_input_type (default "search_document").
 */
import { createHttpProvider, httpOptions } from "../http.js";
import { bearerAuth } from "../openai/index.js";
import type { ProviderDefinition } from "../registry.js";
import type { Capabilities, WireAdapter } from "../types.js";
import { errorFromResponse } from "./errors.js";
import { chatResponse, embeddingsResponse } from "./from-upstream.js";
import { streamEvent } from "./stream.js";
import { chatRequest, embeddingsRequest, type CohereWireOptions } from "./to-upstream.js";

export type { CohereWireOptions };

export const COHERE_BASE_URL = "https://api.cohere.com";
export const COHERE_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: true };

export function cohereWire(provider: string, secrets: string[], o: CohereWireOptions = { embeddingInputType: "search_document" }): WireAdapter {
  return {
    type: "cohere",
    chatRequest: (req, stream) => chatRequest(req, stream),
    chatResponse: (body) => chatResponse(body, provider),
    streamEvent: (ev, state) => streamEvent(ev, state, provider),
    embeddingsRequest: (req) => embeddingsRequest(req, o),
    embeddingsResponse: (body) => embeddingsResponse(body, provider),
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
  };
}

export const cohereDefinition: ProviderDefinition = {
  type: "cohere",
  name: "Cohere",
  genAiProviderName: "cohere",
  capabilities: COHERE_CAPABILITIES,
  requiresKey: true,
  settings: ["embedding_input_type"],
  defaultBaseUrl: COHERE_BASE_URL,
  create(s, defaults) {
    const inputType = s.extra.embedding_input_type;
    if (inputType !== undefined && typeof inputType !== "string") throw new Error(`provider '${s.id}' (cohere): embedding_input_type must be a string`);
    const secrets = s.apiKey ? [s.apiKey] : [];
    const inner = createHttpProvider(
      cohereWire(s.id, secrets, { embeddingInputType: inputType ?? "search_document" }),
      httpOptions(s, defaults, { baseUrl: s.baseUrl ?? COHERE_BASE_URL, auth: bearerAuth(s.apiKey), capabilities: COHERE_CAPABILITIES, secrets }),
    );
    return inner;
  },
};

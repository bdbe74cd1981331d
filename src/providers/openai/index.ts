/** The OpenAI wire format, used by OpenAI itself and every OpenAI-compatible preset. */
import type { WireAdapter } from "../types.js";
import { chatResponse, embeddingsResponse } from "./from-upstream.js";
import { errorFromResponse } from "./errors.js";
import { streamEvent } from "./stream.js";
import { chatRequest, embeddingsRequest, type OpenAIWireOptions } from "./to-upstream.js";

export type { OpenAIWireOptions };

export function openAIWire(provider: string, secrets: string[], options: Partial<OpenAIWireOptions> = {}): WireAdapter {
  const o: OpenAIWireOptions = { streamUsage: true, chatPath: "/chat/completions", embeddingsPath: "/embeddings", ...options };
  return {
    type: "openai",
    chatRequest: (req, stream) => chatRequest(req, stream, o),
    chatResponse,
    streamEvent,
    embeddingsRequest: (req) => embeddingsRequest(req, o),
    embeddingsResponse,
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
  };
}

export function bearerAuth(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

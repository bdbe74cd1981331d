import { GatewayError } from "../../core/errors.js";
import type { ChatCompletion, EmbeddingsResponse } from "../../wire/openai.js";

/** OpenAI responses are already canonical; check the shape enough that later stages can rely on it. */
export function chatResponse(body: unknown): ChatCompletion {
  const b = body as ChatCompletion;
  if (!b || typeof b !== "object" || !Array.isArray(b.choices)) {
    throw new GatewayError("upstream_error", "upstream returned a chat response without choices", { retryable: false });
  }
  if (b.object === undefined) b.object = "chat.completion";
  return b;
}

export function embeddingsResponse(body: unknown): EmbeddingsResponse {
  const b = body as EmbeddingsResponse;
  if (!b || typeof b !== "object" || !Array.isArray(b.data)) {
    throw new GatewayError("upstream_error", "upstream returned an embeddings response without data", { retryable: false });
  }
  return b;
}

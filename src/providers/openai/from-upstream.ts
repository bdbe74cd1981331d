import { GatewayError } from "../../core/errors.js";
import type { ChatCompletion, EmbeddingsResponse } from "../../wire/openai.js";
import { RAW_JSON } from "../../wire/raw.js";

/**
 * OpenAI responses are already canonical; check the shape enough that later stages can rely on
 * it. Unchanged, the upstream's own text is relayed (`text`, when given).
 */
export function chatResponse(body: unknown, text?: string): ChatCompletion {
  const b = body as ChatCompletion;
  if (!b || typeof b !== "object" || !Array.isArray(b.choices)) {
    throw new GatewayError("upstream_error", "upstream returned a chat response without choices", { retryable: false });
  }
  if (b.object === undefined) b.object = "chat.completion";
  else if (text !== undefined) RAW_JSON.set(b, text);
  return b;
}

export function embeddingsResponse(body: unknown): EmbeddingsResponse {
  const b = body as EmbeddingsResponse;
  if (!b || typeof b !== "object" || !Array.isArray(b.data)) {
    throw new GatewayError("upstream_error", "upstream returned an embeddings response without data", { retryable: false });
  }
  return b;
}

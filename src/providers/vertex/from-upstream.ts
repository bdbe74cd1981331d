/** Vertex AI's `:predict` embeddings response → OpenAI's embeddings list. */
import { GatewayError } from "../../core/errors.js";
import type { EmbeddingsResponse } from "../../wire/openai.js";

interface PredictResponse {
  predictions?: Array<{ embeddings?: { values?: number[]; statistics?: { token_count?: number; truncated?: boolean } } }>;
}

/** `predictions[i].embeddings.values`; usage is the sum of `statistics.token_count` when every input reports it. */
export function embeddingsResponse(body: unknown): EmbeddingsResponse {
  const b = body as PredictResponse;
  if (!b || !Array.isArray(b.predictions)) {
    throw new GatewayError("upstream_error", "vertex returned an embeddings response without predictions", { retryable: false });
  }
  const counts = b.predictions.map((p) => p.embeddings?.statistics?.token_count);
  const out = {
    object: "list",
    data: b.predictions.map((p, index) => ({ object: "embedding", index, embedding: p.embeddings?.values ?? [] })),
    model: "",
  } as EmbeddingsResponse;
  if (counts.length > 0 && counts.every((c) => typeof c === "number")) {
    const total = counts.reduce((a, c) => a + c, 0);
    out.usage = { prompt_tokens: total, total_tokens: total };
  }
  return out;
}

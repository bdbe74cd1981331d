/** Embedding details every provider shares, whatever its wire format. */
import type { EmbeddingsRequest, EmbeddingsResponse } from "../wire/openai.js";

/** OpenAI's `encoding_format: "base64"`: little-endian float32 bytes, base64-encoded. */
export function floatsToBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/**
 * What a response body cannot know about its request: the model name when the provider names
 * none, and base64 vectors when the client asked for them and the provider returns floats only.
 */
export function completeEmbeddings(r: EmbeddingsResponse, req: EmbeddingsRequest): EmbeddingsResponse {
  if (!r.model) r.model = req.model;
  if (req.encoding_format === "base64") {
    for (const d of r.data) if (Array.isArray(d.embedding)) d.embedding = floatsToBase64(d.embedding);
  }
  return r;
}

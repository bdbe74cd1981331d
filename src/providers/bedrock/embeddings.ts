/**
 * Embeddings through InvokeModel (POST /model/{modelId}/invoke), whose body is the model's own
 * format, chosen by model id:
 * - Amazon Titan Text Embeddings (`amazon.titan-embed-text-v1`, `-v2:0`): one text per call,
 *   `{inputText, dimensions?}` → `{embedding, inputTextTokenCount}`; the provider runs one call
 *   per input, concurrently, and joins the results.
 * - Cohere Embed (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, `cohere.embed-v4:0`):
 *   up to 96 texts per call, `{texts, input_type: "search_document"}` → `{embeddings: [[...]]}`
 *   (v4 with embedding types: `{embeddings: {float: [[...]]}}`); no token count in the body.
 */
import { GatewayError } from "../../core/errors.js";
import type { EmbeddingsRequest, EmbeddingsResponse } from "../../wire/openai.js";
import type { UpstreamRequest } from "../types.js";
import { invokePath } from "./native.js";

export type EmbeddingFamily = "titan" | "cohere";

/** Texts per InvokeModel call. */
export const BATCH_SIZE: Record<EmbeddingFamily, number> = { titan: 1, cohere: 96 };

export function embeddingFamily(model: string): EmbeddingFamily {
  if (/(^|[./:])amazon\.titan-embed/.test(model)) return "titan";
  if (/(^|[./:])cohere\.embed/.test(model)) return "cohere";
  throw new GatewayError("invalid_request", `embedding model "${model}" is not supported by the bedrock adapter (Amazon Titan and Cohere Embed models are)`, { param: "model" });
}

/** The request's input as texts; Bedrock embedding models take text, not token ids. */
export function inputTexts(req: EmbeddingsRequest): string[] {
  const input = req.input;
  if (typeof input === "string") return [input];
  if (input.every((x): x is string => typeof x === "string")) return input;
  throw new GatewayError("invalid_request", "bedrock embedding models take text; token-id input is not supported", { param: "input" });
}

/** One InvokeModel call for `req.input` (already cut to the family's batch size). */
export function embeddingsRequest(req: EmbeddingsRequest): UpstreamRequest {
  const family = embeddingFamily(req.model);
  const texts = inputTexts(req);
  if (texts.length > BATCH_SIZE[family]) {
    // The provider cuts batches; a caller that did not would lose inputs, so refuse loudly.
    throw new GatewayError("invalid_request", `${req.model} takes at most ${BATCH_SIZE[family]} text(s) per InvokeModel call`, { param: "input" });
  }
  const warnings: string[] = [];
  if (req.user !== undefined) warnings.push("user is not supported by bedrock; ignored");
  let body: Record<string, unknown>;
  if (family === "titan") {
    body = { inputText: texts[0] };
    if (req.dimensions !== undefined) {
      if (/titan-embed-text-v1/.test(req.model)) warnings.push(`dimensions is not supported by ${req.model}; ignored`);
      else body.dimensions = req.dimensions;
    }
  } else {
    body = { texts, input_type: "search_document" };
    if (req.dimensions !== undefined) {
      if (/embed-v4/.test(req.model)) body.output_dimension = req.dimensions;
      else warnings.push(`dimensions is not supported by ${req.model}; ignored`);
    }
  }
  return { path: invokePath(req.model), headers: { accept: "application/json" }, body, warnings };
}

const bad = (what: string) => new GatewayError("upstream_error", `bedrock returned an embeddings response without ${what}`, { retryable: false });

/**
 * One InvokeModel answer → embeddings list (indices from 0 within the call; the provider
 * re-numbers across calls). `usage` is missing when the model reports no token count.
 */
export function embeddingsResponse(body: unknown): EmbeddingsResponse {
  const b = body as { embedding?: unknown; inputTextTokenCount?: unknown; embeddings?: unknown } | null;
  let vectors: unknown[];
  if (b && Array.isArray(b.embedding)) vectors = [b.embedding];
  else if (b && Array.isArray(b.embeddings)) vectors = b.embeddings;
  else if (b && b.embeddings && typeof b.embeddings === "object" && Array.isArray((b.embeddings as { float?: unknown }).float)) vectors = (b.embeddings as { float: unknown[] }).float;
  else throw bad("embedding(s)");
  const data = vectors.map((v, index) => {
    if (!Array.isArray(v)) throw bad("numeric vectors");
    return { object: "embedding" as const, index, embedding: v as number[] };
  });
  const out = { object: "list" as const, data, model: "" } as EmbeddingsResponse;
  if (typeof b.inputTextTokenCount === "number") out.usage = { prompt_tokens: b.inputTextTokenCount, total_tokens: b.inputTextTokenCount };
  return out;
}

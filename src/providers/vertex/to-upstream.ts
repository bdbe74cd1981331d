/**
 * Vertex AI URLs and its embeddings request. Chat bodies are Gemini's generateContent format
 * and come from ../gemini/to-upstream.ts.
 */
import type { EmbeddingsRequest } from "../../wire/openai.js";
import { embeddingTexts } from "../gemini/to-upstream.js";

export interface VertexLocation {
  project: string;
  region: string;
}

/** `https://{region}-aiplatform.googleapis.com`, or `https://aiplatform.googleapis.com` for the global endpoint. */
export function vertexBaseUrl(region: string): string {
  return region === "global" ? "https://aiplatform.googleapis.com" : `https://${region}-aiplatform.googleapis.com`;
}

/**
 * Path of a model under the project and location. A bare name is a Google publisher model
 * (`publishers/google/models/{model}`); a name with a slash is taken as a resource name
 * relative to the location (`publishers/meta/models/...`, `endpoints/123`).
 */
export function modelPath(loc: VertexLocation, model: string): string {
  const rel = model.includes("/") ? model : `publishers/google/models/${model}`;
  const enc = (s: string) => s.split("/").map(encodeURIComponent).join("/");
  return `/v1/projects/${encodeURIComponent(loc.project)}/locations/${encodeURIComponent(loc.region)}/${enc(rel)}`;
}

/** Text-embedding models are served by `:predict` with one instance per input text. */
export function predictEmbeddingsBody(req: EmbeddingsRequest, warnings: string[]) {
  for (const k of Object.keys(req)) {
    if (!["model", "input", "encoding_format", "dimensions", "user"].includes(k)) warnings.push(`${k} is not supported by vertex embeddings; ignored`);
  }
  return {
    instances: embeddingTexts(req, "vertex").map((content) => ({ content })),
    ...(req.dimensions !== undefined ? { parameters: { outputDimensionality: req.dimensions } } : {}),
  };
}

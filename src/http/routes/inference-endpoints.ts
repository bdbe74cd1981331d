/**
 * Which requests are inference requests: the hot path, served by the inference handler on
 * either HTTP engine (src/net/server/edge.ts) without the web framework; everything else
 * (management, models, probes) goes to hono.
 */
import type { Endpoint } from "./inference.js";

const INFERENCE: Record<string, Endpoint> = {
  "/v1/chat/completions": "chat",
  "/chat/completions": "chat",
  "/v1/embeddings": "embeddings",
  "/embeddings": "embeddings",
  "/v1/responses": "responses",
  "/responses": "responses",
  "/v1/messages": "messages",
  "/v1/messages/count_tokens": "count_tokens",
};

/** The inference endpoint a request is for, if any (the query string is ignored). */
export function inferenceEndpoint(method: string | undefined, url: string): Endpoint | undefined {
  if (method !== "POST") return undefined;
  const q = url.indexOf("?");
  return INFERENCE[q < 0 ? url : url.slice(0, q)];
}

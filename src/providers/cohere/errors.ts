import { GatewayError } from "../../core/errors.js";
import { messageFromBody, upstreamError } from "../errors.js";
import { failure } from "./finish-reason.js";

type Headers = Record<string, string | string[] | undefined>;

/**
 * Cohere error bodies are `{"id": "...", "message": "..."}`. Statuses follow HTTP, plus 498
 * (invalid token, treated as 401) and 499 (request cancelled).
 */
export function errorFromResponse(provider: string, status: number, body: string, headers: Headers, secrets: string[]): GatewayError {
  return upstreamError(provider, status === 498 ? 401 : status, messageFromBody(body), headers, secrets);
}

/** A generation Cohere ended with finish_reason ERROR or TIMEOUT, as a GatewayError. */
export function generationFailed(provider: string, native: string | undefined, detail: string | undefined, streaming: boolean): GatewayError | undefined {
  const kind = failure(native);
  if (!kind) return undefined;
  const message = `${provider} ended the generation with ${native}${detail ? `: ${detail}` : ""}`;
  // Before anything reached the client another attempt may succeed; mid-stream it may not be retried.
  return new GatewayError(kind === "timeout" ? "upstream_timeout" : "upstream_error", message, { retryable: !streaming });
}

/**
 * Google API errors: `{"error": {"code", "message", "status", "details": [...]}}` (google.rpc.Status),
 * the same for the Gemini API and Vertex AI.
 */
import type { GatewayError } from "../../core/errors.js";
import { messageFromBody, upstreamError } from "../errors.js";

type Headers = Record<string, string | string[] | undefined>;

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: Array<{ "@type"?: string; reason?: string; retryDelay?: string }>;
  };
}

/**
 * A rejected API key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID on the Gemini API:
 * it is treated as the auth failure it is (502 upstream_auth_error), not as the client's bad
 * request. RetryInfo.retryDelay ("38s") stands in for a missing Retry-After header.
 */
export function errorFromResponse(provider: string, status: number, body: string, headers: Headers, secrets: string[]): GatewayError {
  let parsed: GoogleErrorBody | undefined;
  try {
    parsed = JSON.parse(body) as GoogleErrorBody;
  } catch {
    /* not JSON: the raw text is the message */
  }
  const details = Array.isArray(parsed?.error?.details) ? parsed.error.details : [];
  const message = parsed?.error?.message ?? messageFromBody(body);
  let effective = status;
  if (details.some((d) => d.reason === "API_KEY_INVALID") || parsed?.error?.status === "UNAUTHENTICATED") effective = 401;
  let h = headers;
  const delay = details.find((d) => typeof d.retryDelay === "string")?.retryDelay;
  const seconds = delay ? Number.parseFloat(delay) : NaN;
  if (h["retry-after"] === undefined && Number.isFinite(seconds)) h = { ...headers, "retry-after": String(Math.ceil(seconds)) };
  return upstreamError(provider, effective, message, h, secrets);
}

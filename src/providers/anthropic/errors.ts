import { scrubSecrets, type GatewayError } from "../../core/errors.js";
import { UPSTREAM_ERROR } from "../../wire/anthropic.js";
import { messageFromBody, upstreamError } from "../errors.js";

type Headers = Record<string, string | string[] | undefined>;

/**
 * Anthropic's error types and the HTTP status each comes with (API reference, "Errors").
 * Used for `error` events inside a stream, which carry the type but no status.
 */
export const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Anthropic error bodies are `{"type":"error","error":{"type","message"},"request_id"}`. */
export function errorFromResponse(provider: string, status: number, body: string, headers: Headers, secrets: string[]): GatewayError {
  const message = messageFromBody(body);
  // 529 overloaded_error (Anthropic out of capacity for everyone) is >= 500, so the shared rules
  // already make it a retryable upstream_error; say what happened when the body is empty.
  if (status === 529 && !message) return upstreamError(provider, status, "anthropic is overloaded (529)", headers, secrets);
  return upstreamError(provider, status, message, headers, secrets);
}

/** An `event: error` inside a stream (e.g. overloaded_error mid-stream), as a GatewayError. */
export function streamError(provider: string, data: unknown, secrets: string[]): GatewayError {
  const err = (data as { error?: { type?: string; message?: string } } | null)?.error;
  const type = err?.type ?? "api_error";
  const status = STATUS_OF_TYPE[type] ?? 500;
  return upstreamError(provider, status, `${type}: ${err?.message ?? "stream error"}`, {}, secrets);
}

/**
 * Keeps the error type and message of an Anthropic error body (`{"type":"error","error":{…}}`)
 * with `err`, for the client of a native pass-through (secrets scrubbed); other bodies leave it as is.
 */
export function keepAnthropicError(err: GatewayError, data: unknown, secrets: readonly string[]): GatewayError {
  const e = (data as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null)?.error;
  if (typeof e?.type === "string" && typeof e.message === "string") UPSTREAM_ERROR.set(err, { type: e.type, message: scrubSecrets(e.message, secrets) });
  return err;
}

/** An error response of a native call: mapped as usual, Anthropic's type and message kept. */
export function nativeErrorFromResponse(err: GatewayError, body: string, secrets: readonly string[]): GatewayError {
  try {
    return keepAnthropicError(err, JSON.parse(body), secrets);
  } catch {
    return err;
  }
}

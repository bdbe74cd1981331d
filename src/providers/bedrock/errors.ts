/**
 * Bedrock errors. HTTP errors carry `{"message": "..."}` (rest-json; some services spell it
 * `Message`) and the exception name in the `x-amzn-errortype` header
 * (`ValidationException:http://internal.amazon.com/...`). Exceptions inside a ConverseStream
 * arrive as event-stream messages with `:exception-type` (`throttlingException`, ...), which the
 * decoder names `exception:<type>`.
 */
import type { GatewayError } from "../../core/errors.js";
import { upstreamError } from "../errors.js";

type Headers = Record<string, string | string[] | undefined>;

/** HTTP status of each Bedrock Runtime exception (API reference, "Errors"). */
const STATUS_OF_EXCEPTION: Record<string, number> = {
  validationexception: 400,
  accessdeniedexception: 403,
  unrecognizedclientexception: 403,
  invalidsignatureexception: 403,
  expiredtokenexception: 403,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  throttlingexception: 429,
  modelnotreadyexception: 429,
  internalserverexception: 500,
  serviceunavailableexception: 503,
  // "A streaming error occurred. Retry your request." (424 on the wire): retryable like a 5xx.
  modelstreamerrorexception: 500,
};

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `ValidationException:http://internal...` → `ValidationException`. */
export function errorType(headers: Headers, body: unknown): string | undefined {
  const h = header(headers, "x-amzn-errortype");
  if (h) return h.split(":")[0];
  const b = body as { __type?: string; code?: string } | null;
  const t = b?.__type ?? b?.code;
  return typeof t === "string" ? t.split("#").pop() : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function messageOf(body: unknown, raw: string): string {
  const b = body as { message?: unknown; Message?: unknown } | null;
  if (typeof b?.message === "string") return b.message;
  if (typeof b?.Message === "string") return b.Message;
  return raw.slice(0, 500);
}

export function errorFromResponse(provider: string, status: number, text: string, headers: Headers, secrets: string[]): GatewayError {
  const body = parse(text);
  const type = errorType(headers, body);
  let message = messageOf(body, text);
  if (!message && type) message = type;
  // A quota that is used up ("You can resubmit your request later") is a rate limit for clients.
  const effective = type === "ServiceQuotaExceededException" ? 429 : status;
  return upstreamError(provider, effective, message, headers, secrets);
}

/** An exception event inside a ConverseStream (`exception:throttlingException`) or an `error:<code>` message. */
export function streamError(provider: string, event: string, data: string, secrets: string[]): GatewayError {
  const at = event.indexOf(":");
  const kind = at < 0 ? event : event.slice(0, at);
  const type = at < 0 ? "" : event.slice(at + 1);
  const message = messageOf(parse(data), data) || "stream error";
  const status = STATUS_OF_EXCEPTION[type.toLowerCase()] ?? 500;
  return upstreamError(provider, status, `${type || kind}: ${message}`, {}, secrets);
}

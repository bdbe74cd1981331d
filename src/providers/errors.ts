/**
 * How an upstream HTTP error becomes a GatewayError — the same rules for every provider
 *; a provider's own errors.ts only extracts the message.
 */
import { GatewayError, scrubSecrets } from "../core/errors.js";

type Headers = Record<string, string | string[] | undefined>;

export function retryAfterSeconds(headers: Headers): number | undefined {
  const raw = headers["retry-after"];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return n;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

export function upstreamError(provider: string, status: number, rawMessage: string, headers: Headers, secrets: ReadonlyArray<string | undefined> = [], contentFilter = false): GatewayError {
  const message = scrubSecrets(rawMessage || `upstream returned HTTP ${status}`, secrets);
  const base = contentFilter ? { upstreamStatus: status, contentFilter } : { upstreamStatus: status };
  if (status === 401 || status === 403) {
    return new GatewayError("upstream_auth_error", `${provider} rejected the gateway's credentials: ${message}`, base);
  }
  if (status === 404) return new GatewayError("model_not_found", message, { ...base, status: 404 });
  if (status === 400 || status === 422 || status === 413) return new GatewayError("invalid_request", message, { ...base, status: 400 });
  if (status === 429) return new GatewayError("rate_limit_exceeded", message, { ...base, retryAfterSeconds: retryAfterSeconds(headers) });
  if (status === 408 || status === 409 || status >= 500) {
    return new GatewayError("upstream_error", message, { ...base, retryAfterSeconds: retryAfterSeconds(headers) });
  }
  return new GatewayError("upstream_error", message, { ...base, retryable: false });
}

/**
 * Whether an OpenAI-style error body is a content-policy refusal: `error.code` (or `type`)
 * `content_filter` (Azure OpenAI) or `content_policy_violation` (OpenAI's safety system).
 */
export function isContentFilterBody(body: string): boolean {
  if (!body.includes("content_")) return false;
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; type?: unknown } }).error;
    return [e?.code, e?.type].some((v) => v === "content_filter" || v === "content_policy_violation");
  } catch {
    return false;
  }
}

/** Extracts `error.message` (OpenAI style) or `message`, else the raw text, shortened. */
export function messageFromBody(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    if (typeof j.error === "string") return j.error;
    if (j.error?.message) return j.error.message;
    if (typeof j.message === "string") return j.message;
  } catch {
    /* not JSON */
  }
  return body.slice(0, 500);
}

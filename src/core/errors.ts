/**
 * One error class for the whole gateway. Every failure that can reach a client is a
 * GatewayError with a stable `code`; the HTTP edge renders it once, in the OpenAI (or
 * Anthropic) envelope. Retry and fallback logic read `retryable` and nothing else.
 */

export const ERROR_CODES = {
  invalid_request: { status: 400, type: "invalid_request_error", retryable: false },
  invalid_api_key: { status: 401, type: "authentication_error", retryable: false },
  budget_exceeded: { status: 402, type: "insufficient_quota", retryable: false },
  /** `pricing.require` is on and a deployment the request may reach has no price. */
  model_not_priced: { status: 402, type: "invalid_request_error", retryable: false },
  permission_denied: { status: 403, type: "permission_error", retryable: false },
  guardrail_blocked: { status: 403, type: "permission_error", retryable: false },
  model_not_found: { status: 404, type: "invalid_request_error", retryable: false },
  /** The prompt does not fit the context window of any deployment the request may reach. */
  context_length_exceeded: { status: 400, type: "invalid_request_error", retryable: false },
  not_found: { status: 404, type: "invalid_request_error", retryable: false },
  method_not_allowed: { status: 405, type: "invalid_request_error", retryable: false },
  conflict: { status: 409, type: "invalid_request_error", retryable: false },
  request_too_large: { status: 413, type: "invalid_request_error", retryable: false },
  rate_limit_exceeded: { status: 429, type: "rate_limit_error", retryable: true },
  internal_error: { status: 500, type: "api_error", retryable: false },
  upstream_error: { status: 502, type: "api_error", retryable: true },
  upstream_auth_error: { status: 502, type: "api_error", retryable: false },
  no_healthy_deployment: { status: 503, type: "api_error", retryable: false },
  not_ready: { status: 503, type: "api_error", retryable: false },
  /** The port is bound but start-up has not finished (sent with Retry-After: 1). */
  starting: { status: 503, type: "api_error", retryable: true },
  upstream_timeout: { status: 504, type: "timeout_error", retryable: true },
  /** The client went away; never rendered to anyone, only recorded. */
  client_disconnected: { status: 499, type: "api_error", retryable: false },
} as const satisfies Record<string, { status: number; type: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorOptions {
  /** Overrides the code's default HTTP status (e.g. a provider's 404 passed through as 404). */
  status?: number;
  retryable?: boolean;
  param?: string | null;
  /** Seconds the client should wait (Retry-After), when known. */
  retryAfterSeconds?: number;
  /** Upstream HTTP status when the error came from a provider. */
  upstreamStatus?: number;
  /** Extra fields for the error object (e.g. which budget and when it resets). */
  details?: Record<string, unknown>;
  /** The request never reached the upstream (its connection could not be made): nothing was billed. */
  unsent?: boolean;
  /** The provider refused the request by its content policy (a content filter). */
  contentFilter?: boolean;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly retryable: boolean;
  readonly param: string | null;
  readonly retryAfterSeconds?: number;
  readonly upstreamStatus?: number;
  readonly details?: Record<string, unknown>;
  readonly unsent?: boolean;
  readonly contentFilter?: boolean;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const def = ERROR_CODES[code];
    this.name = "GatewayError";
    this.code = code;
    this.status = options.status ?? def.status;
    this.type = def.type;
    this.retryable = options.retryable ?? def.retryable;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.details = options.details;
    if (options.unsent) this.unsent = true;
    if (options.contentFilter) this.contentFilter = true;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Anything thrown becomes a GatewayError; unknown errors are internal (and never leak details). */
export function toGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError("internal_error", "internal error", { cause: e });
}

export interface OpenAIErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string; [detail: string]: unknown };
}

export function openAIEnvelope(e: GatewayError): OpenAIErrorEnvelope {
  return { error: { message: e.message, type: e.type, param: e.param, code: e.code, ...e.details } };
}

/** Removes credentials from text that came from a provider before it reaches a client or a log. */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  return out.replace(/\b(sk|sb|pk|rk|gsk|xai|AIza)[-_][A-Za-z0-9_-]{8,}/g, "[redacted]").replace(/\b(Bearer)\s+[A-Za-z0-9._-]{8,}/gi, "$1 [redacted]");
}

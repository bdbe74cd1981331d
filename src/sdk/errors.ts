/**
 * The library's typed errors. Every failure from a provider is a ProviderError (with `status`
 * and `retryable`); the common cases have their own subclasses so callers can `instanceof`.
 */
import { GatewayError } from "../core/errors.js";

export class SwitchboardError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provider needs an API key and none was given or found in its environment variable. */
export class MissingApiKeyError extends SwitchboardError {
  constructor(
    readonly provider: string,
    readonly envVars: readonly string[],
  ) {
    super(`no API key for provider '${provider}': pass apiKey${envVars.length ? ` or set ${envVars.join(" or ")}` : ""}`);
  }
}

export class UnsupportedProviderError extends SwitchboardError {
  constructor(
    readonly provider: string,
    known: readonly string[],
  ) {
    super(`unknown provider '${provider}' (known: ${known.join(", ")})`);
  }
}

/**
 * The call itself is wrong before any provider is asked: a model without its provider prefix
 * (`gpt-4o` instead of `openai:gpt-4o`), a `provider` that disagrees with the model's prefix, or
 * parameters that do not validate. `param` names the offending field when there is one.
 */
export class InvalidRequestError extends SwitchboardError {
  readonly code = "invalid_request";
  constructor(
    message: string,
    readonly param: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The request asked for something the provider cannot do (e.g. embeddings from a chat-only provider). */
export class UnsupportedParameterError extends SwitchboardError {
  constructor(
    readonly parameter: string,
    readonly provider: string,
    detail?: string,
  ) {
    super(`'${parameter}' is not supported by provider '${provider}'${detail ? `: ${detail}` : ""}`);
  }
}

export class ProviderError extends SwitchboardError {
  /** HTTP status the provider answered with (or the gateway-equivalent status for network failures). */
  readonly status: number;
  readonly retryable: boolean;
  /** Stable code, as in the gateway's error catalogue (docs/errors.md). */
  readonly code: string;
  constructor(message: string, o: { status: number; retryable: boolean; code: string; cause?: unknown }) {
    super(message, { cause: o.cause });
    this.status = o.status;
    this.retryable = o.retryable;
    this.code = o.code;
  }
}

/** The provider does not know the model (its 404): a misspelt or retired model, or one the key may not use. */
export class ModelNotFoundError extends ProviderError {}

/** The provider rejected the credentials. */
export class AuthenticationError extends ProviderError {}

/** The provider is rate limiting; `retryAfterSeconds` when it said. */
export class RateLimitError extends ProviderError {
  retryAfterSeconds?: number;
}

/**
 * Converts an internal GatewayError into the library's typed errors. An invalid request that
 * did not come from a provider (no upstream status) is the caller's: InvalidRequestError.
 */
export function toLibraryError(e: unknown): unknown {
  if (!(e instanceof GatewayError)) return e;
  if (e.code === "invalid_request" && e.upstreamStatus === undefined) return new InvalidRequestError(e.message, e.param, { cause: e });
  const o = { status: e.upstreamStatus ?? e.status, retryable: e.retryable, code: e.code, cause: e };
  if (e.code === "upstream_auth_error") return new AuthenticationError(e.message, o);
  if (e.code === "model_not_found") return new ModelNotFoundError(e.message, o);
  if (e.code === "rate_limit_exceeded") {
    const r = new RateLimitError(e.message, o);
    r.retryAfterSeconds = e.retryAfterSeconds;
    return r;
  }
  return new ProviderError(e.message, o);
}

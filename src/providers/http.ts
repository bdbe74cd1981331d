/**
 * The one place that talks HTTP to upstreams: through an UpstreamTransport (../net/client/transport.ts,
 * the gateway's own client or undici, by `upstream.transport`), with connect / first-byte / idle /
 * total timeouts, cancellation, bounded bodies, and SSE parsing into typed chunks.
 * A provider is a WireAdapter (pure translation) plus this.
 */
import { createTransport } from "../net/client/create-transport.js";
import type { ClientRequest } from "../net/client/http1.js";
import { UpstreamExchange } from "../net/client/exchange.js";
import type { UpstreamTransport } from "../net/client/transport.js";
import type { ProviderSettings, UpstreamConfig } from "../config/types.js";
import { Cancellation } from "../core/cancel.js";
import { GatewayError } from "../core/errors.js";
import type { ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from "../wire/openai.js";
import { RAW_JSON } from "../wire/raw.js";
import { batchHttp } from "./batch-http.js";
import { completeEmbeddings } from "./embeddings.js";
import { nativeCalls } from "./native-http.js";
import { ChunkDecoder, makeChunkStream } from "./chunk-stream.js";
import { DEFAULT_MAX_EVENT_BYTES } from "./streams/sse.js";
import type { CallOptions, Capabilities, ChunkStream, Provider, SignableRequest, StreamState, UpstreamModel, UpstreamRequest, WireAdapter } from "./types.js";

export interface HttpProviderOptions {
  id: string;
  baseUrl: string;
  /** Headers sent on every call: auth and any configured extras. */
  headers: Record<string, string>;
  capabilities: Capabilities;
  /** Secrets to scrub from upstream error messages. */
  secrets: string[];
  connectTimeoutMs: number;
  upstream: UpstreamConfig;
}

/** What every provider is created with besides its own settings (ProviderDefinition.create). */
export interface ProviderDefaults {
  connectTimeoutMs: number;
  /** `upstream:` of the config; the library's defaults when absent. */
  upstream?: UpstreamConfig;
}

/** `upstream:` as it is when nothing is configured. */
export const DEFAULT_UPSTREAM: UpstreamConfig = {
  transport: "fast",
  maxResponseBytes: 64 * 1024 * 1024,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  proxy: {},
};

/** The HTTP options every provider derives the same way from its settings. */
export function httpOptions(
  s: ProviderSettings,
  defaults: ProviderDefaults,
  o: { baseUrl: string; capabilities: Capabilities; auth?: Record<string, string>; secrets?: string[] },
): HttpProviderOptions {
  return {
    id: s.id,
    baseUrl: o.baseUrl,
    headers: { ...o.auth, ...s.headers },
    capabilities: o.capabilities,
    secrets: o.secrets ?? (s.apiKey ? [s.apiKey] : []),
    connectTimeoutMs: s.timeouts?.connectMs ?? defaults.connectTimeoutMs,
    upstream: defaults.upstream ?? DEFAULT_UPSTREAM,
  };
}

/** Wraps a wire adapter into a callable Provider with its own transport (and keep-alive connection pools). */
export function createHttpProvider(adapter: WireAdapter, o: HttpProviderOptions): Provider {
  const base = o.baseUrl.replace(/\/+$/, "");
  const dispatcher = new UpstreamDispatcher(base, createTransport(o.upstream.transport, { connectTimeoutMs: o.connectTimeoutMs, proxy: o.upstream.proxy }), o.upstream.maxResponseBytes);
  const maxEventBytes = o.upstream.maxEventBytes;

  const send = async (up: UpstreamRequest, opts: CallOptions, call: CallControl, maxBodyBytes?: number) => {
    if (up.warnings && opts.warn) for (const w of up.warnings) opts.warn(w);
    const req: SignableRequest = {
      url: up.url ?? base + up.path,
      method: up.method ?? "POST",
      headers: { ...o.headers, ...opts.headers, ...up.headers },
      body: up.body === undefined ? undefined : JSON.stringify(up.body),
    };
    if (req.body !== undefined) req.headers["content-type"] = "application/json";
    if (adapter.authorize) await adapter.authorize(req);
    return dispatcher.request(req, call, opts, maxBodyBytes);
  };

  const modelsRequest = adapter.modelsRequest?.bind(adapter);
  const modelsResponse = adapter.modelsResponse?.bind(adapter);
  const listModels =
    modelsRequest && modelsResponse
      ? async (opts: CallOptions, maxBytes: number): Promise<UpstreamModel[]> => {
          const call = new CallControl(opts);
          try {
            const res = await send(modelsRequest(), opts, call, maxBytes);
            const text = await res.text();
            if (res.statusCode >= 300) throw adapter.error(res.statusCode, text, res.headers);
            return modelsResponse(parseJson(text, o.id));
          } catch (e) {
            if ((e as { code?: string })?.code === "UPSTREAM_RESPONSE_TOO_LARGE") {
              throw new GatewayError("upstream_error", `the model list is longer than ${maxBytes} bytes`, { retryable: false });
            }
            throw call.translate(e);
          } finally {
            call.done();
          }
        }
      : undefined;

  const native = adapter.native ? nativeCalls(adapter, { id: o.id, newCall: (opts, streaming) => new CallControl(opts, streaming), send, maxEventBytes }) : undefined;

  const batch = adapter.batch?.(
    batchHttp({
      id: o.id,
      base,
      maxBodyBytes: o.upstream.maxResponseBytes,
      newCall: (opts) => new CallControl(opts),
      async send(req, opts, call) {
        req.headers = { ...o.headers, ...opts.headers, ...req.headers };
        if (adapter.authorize) await adapter.authorize(req);
        return dispatcher.request(req, call, opts);
      },
      error: (status, body, headers) => adapter.error(status, body, headers),
    }),
  );

  return {
    ...(listModels ? { listModels } : {}),
    ...(batch ? { batch } : {}),
    ...(native ? { native } : {}),
    id: o.id,
    type: adapter.type,
    capabilities: o.capabilities,

    async chat(req: ChatRequest, opts: CallOptions): Promise<ChatCompletion> {
      const call = new CallControl(opts);
      try {
        const res = await send(adapter.chatRequest(req, false), opts, call);
        const text = await res.text();
        if (res.statusCode >= 300) throw adapter.error(res.statusCode, text, res.headers);
        const r = adapter.chatResponse(parseJson(text, o.id), text);
        // Some providers (Gemini, Cohere, Bedrock) do not name the model in the response.
        if (!r.model) {
          r.model = req.model;
          RAW_JSON.delete(r);
        }
        return r;
      } catch (e) {
        throw call.translate(e);
      } finally {
        call.done();
      }
    },

    async chatStream(req: ChatRequest, opts: CallOptions): Promise<ChunkStream> {
      const call = new CallControl(opts, true);
      let res: UpstreamExchange;
      try {
        res = await send(adapter.chatRequest(req, true), opts, call);
        if (res.statusCode >= 300) throw adapter.error(res.statusCode, await res.text(), res.headers);
      } catch (e) {
        call.done();
        throw call.translate(e);
      }
      const state: StreamState = { clientWantsUsage: req.stream_options?.include_usage === true, data: {} };
      return makeChunkStream(res, new ChunkDecoder(adapter, state, maxEventBytes), call, req.model);
    },

    async embeddings(req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
      if (!adapter.embeddingsRequest || !adapter.embeddingsResponse) {
        throw new GatewayError("invalid_request", `provider ${o.id} does not support embeddings`, { param: "model" });
      }
      const call = new CallControl(opts);
      try {
        const res = await send(adapter.embeddingsRequest(req), opts, call);
        const text = await res.text();
        if (res.statusCode >= 300) throw adapter.error(res.statusCode, text, res.headers);
        return completeEmbeddings(adapter.embeddingsResponse(parseJson(text, o.id)), req);
      } catch (e) {
        throw call.translate(e);
      } finally {
        call.done();
      }
    },

    close: () => dispatcher.close(),
  };
}

/**
 * Owns the timers and the cancellation of one upstream call. Explicit timers are used on
 * purpose: composed AbortSignal.timeout() signals can be garbage-collected on Node 20.
 */
export class CallControl {
  /** Aborts the upstream exchange; cheaper than an AbortController. */
  readonly cancellation = new Cancellation();
  private reason: "total" | "first_token" | "client" | null = null;
  private totalTimer: NodeJS.Timeout;
  private firstTimer: NodeJS.Timeout | null = null;
  private readonly onClientAbort = () => this.abort("client");

  constructor(
    private readonly opts: CallOptions,
    streaming = false,
  ) {
    this.totalTimer = setTimeout(() => this.abort("total"), opts.timeouts.totalMs);
    if (streaming) this.firstTimer = setTimeout(() => this.abort("first_token"), opts.timeouts.firstTokenMs);
    if (opts.signal) {
      if (opts.signal.aborted) this.abort("client");
      else opts.signal.addEventListener("abort", this.onClientAbort, { once: true });
    }
  }

  private abort(reason: "total" | "first_token" | "client") {
    if (this.reason) return;
    this.reason = reason;
    this.cancellation.cancel();
  }

  /** The first token arrived: the first-token deadline no longer applies. */
  firstToken() {
    if (this.firstTimer) clearTimeout(this.firstTimer);
    this.firstTimer = null;
  }

  done() {
    clearTimeout(this.totalTimer);
    if (this.firstTimer) clearTimeout(this.firstTimer);
    this.opts.signal?.removeEventListener("abort", this.onClientAbort);
  }

  cancel() {
    this.abort("client");
  }

  /** Any failure of the call as a GatewayError, naming the timeout that fired. */
  translate(e: unknown): GatewayError {
    if (e instanceof GatewayError) return e;
    const t = this.opts.timeouts;
    if (this.reason === "client") return new GatewayError("client_disconnected", "client closed the request");
    if (this.reason === "total") return new GatewayError("upstream_timeout", `upstream did not complete within ${t.totalMs} ms`);
    if (this.reason === "first_token") return new GatewayError("upstream_timeout", `upstream sent no first token within ${t.firstTokenMs} ms`);
    const code = (e as { code?: string })?.code ?? "";
    if (code === "UPSTREAM_CONNECT_TIMEOUT") return new GatewayError("upstream_timeout", `could not connect to upstream within ${t.connectMs} ms`, { unsent: true });
    if (code === "UPSTREAM_HEADERS_TIMEOUT") return new GatewayError("upstream_timeout", `upstream sent no response within ${t.firstTokenMs} ms`);
    if (code === "UPSTREAM_BODY_TIMEOUT") return new GatewayError("upstream_timeout", `upstream stalled for more than ${t.idleMs} ms`, { retryable: false });
    // The same request would be refused again: not retried, not sent to the fallbacks.
    if (code === "UPSTREAM_INVALID_REQUEST") return new GatewayError("invalid_request", `the request cannot be sent upstream: ${(e as Error).message}`);
    if (code === "UPSTREAM_RESPONSE_TOO_LARGE") return new GatewayError("upstream_error", `${(e as Error).message} (upstream.max_response_bytes)`, { retryable: false });
    if (code === "UPSTREAM_BAD_RESPONSE") return new GatewayError("upstream_error", `upstream sent an invalid HTTP response: ${(e as Error).message}`, { retryable: false });
    const detail = (e as Error)?.message || String(e);
    // No connection was made: nothing was sent.
    const unsent = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EHOSTUNREACH" || code === "ENETUNREACH";
    return new GatewayError("upstream_error", `upstream connection failed: ${code ? code + " " : ""}${detail}`, { cause: e, ...(unsent ? { unsent } : {}) });
  }
}

/**
 * Sends a provider's calls through its transport: the provider's own origin (the common case)
 * without parsing a URL per request, absolute URLs elsewhere by their origin.
 */
class UpstreamDispatcher {
  private readonly origin: string;

  constructor(
    base: string,
    private readonly transport: UpstreamTransport,
    private readonly maxBodyBytes: number,
  ) {
    this.origin = new URL(base).origin;
  }

  /** `maxBodyBytes` lowers `upstream.max_response_bytes` for one call. */
  request(req: SignableRequest, call: CallControl, opts: CallOptions, maxBodyBytes?: number): Promise<UpstreamExchange> {
    const exchange = new UpstreamExchange(call.cancellation, Math.min(maxBodyBytes ?? this.maxBodyBytes, this.maxBodyBytes));
    const r: ClientRequest = {
      method: req.method,
      path: "",
      headers: req.headers,
      body: req.body,
      headersTimeout: opts.timeouts.firstTokenMs,
      bodyTimeout: opts.timeouts.idleMs,
    };
    if (req.url.startsWith(this.origin) && req.url.charCodeAt(this.origin.length) === 47 /* "/" */) {
      r.path = req.url.slice(this.origin.length);
      this.transport.request(this.origin, r, exchange);
    } else {
      const u = new URL(req.url);
      r.path = u.pathname + u.search;
      this.transport.request(u.origin, r, exchange);
    }
    return exchange.response;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

function parseJson(text: string, provider: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError("upstream_error", `${provider} returned a response that is not JSON`, { retryable: false });
  }
}

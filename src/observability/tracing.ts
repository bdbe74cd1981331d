/**
 * Traces over OTLP/HTTP (JSON), loaded by `import()` only when an endpoint is configured: an
 * unconfigured gateway never loads OpenTelemetry. One span per request (`chat {model}`, kind
 * server, continuing the client's `traceparent`), one child span per upstream attempt (kind
 * client) whose context goes upstream in `traceparent`. Attributes follow the OpenTelemetry
 * GenAI semantic conventions (`gen_ai.*`), the gateway's own are under `switchboard.*`. No prompt
 * or completion text is put in a span.
 *
 * Spans are exported in batches off the request path, from a bounded queue (spans beyond it are
 * dropped): an exporter that is slow or down never delays or fails a request.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TracerProvider } from "@opentelemetry/sdk-trace";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { TraceHooks } from "./observer.js";
import { formatTraceparent, parseTraceparent } from "./trace-context.js";
import type { AttemptTrace, ObservedAttempt, ObservedError, ObservedOutcome, ObservedRequest, RequestSpan } from "./types.js";

export interface TracingSettings {
  /** The OTLP base URL; spans go to `{endpoint}/v1/traces`. */
  endpoint: string;
  headers: Record<string, string>;
  serviceName: string;
  /** Provider id → its type (`switchboard.provider.type`) and its `gen_ai.provider.name`. */
  providers: ReadonlyMap<string, TracedProvider>;
  /** Spans held for export at most (more are dropped). Default 2048. */
  maxQueueSize?: number;
  /** How often a batch leaves. Default 1000 ms. */
  scheduledDelayMs?: number;
  /** Longest wait for the collector per export. Default 10 s. */
  exportTimeoutMs?: number;
}

export interface TracedProvider {
  /** The provider's type in the configuration (`bedrock`, `openai`, …). */
  type: string;
  /** The OpenTelemetry GenAI conventions' well-known name of the service (`aws.bedrock`), else the type. */
  genAiName: string;
}

/** The longest time `close()` waits for the last spans to leave. */
const CLOSE_WAIT_MS = 2000;

export function startTracing(s: TracingSettings): TraceHooks {
  const exporter = new OTLPTraceExporter({ url: `${s.endpoint.replace(/\/+$/, "")}/v1/traces`, headers: { ...s.headers }, timeoutMillis: s.exportTimeoutMs ?? 10_000 });
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: s.maxQueueSize ?? 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: s.scheduledDelayMs ?? 1000,
    exportTimeoutMillis: s.exportTimeoutMs ?? 10_000,
  });
  // Every request is traced, unless the client's traceparent says its trace is not sampled.
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": s.serviceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [processor],
  });
  return new Tracing(provider.getTracer("switchboard"), provider, s.providers);
}

class RequestSpanHandle implements RequestSpan {
  constructor(readonly span: Span) {}
  get traceId(): string {
    return this.span.spanContext().traceId;
  }
}

class AttemptSpanHandle implements AttemptTrace {
  constructor(
    readonly span: Span,
    readonly traceparent: string,
  ) {}
}

/** The GenAI operation of an endpoint. */
function operation(endpoint: string): string {
  return endpoint === "embeddings" ? "embeddings" : "chat";
}

class Tracing implements TraceHooks {
  constructor(
    private readonly tracer: Tracer,
    private readonly provider: TracerProvider,
    private readonly providers: ReadonlyMap<string, TracedProvider>,
  ) {}

  /** `gen_ai.provider.name`, `switchboard.provider.type` and `switchboard.provider` of a configured provider id. */
  private providerAttributes(id: string): Attributes {
    const p = this.providers.get(id);
    return { "gen_ai.provider.name": p?.genAiName ?? id, "switchboard.provider.type": p?.type ?? id, "switchboard.provider": id };
  }

  attemptStart(ctx: ObservedRequest, info: ObservedAttempt, retry: number): void {
    const parent = trace.setSpan(ROOT_CONTEXT, this.requestSpan(ctx).span);
    const op = operation(ctx.endpoint);
    const span = this.tracer.startSpan(
      `${op} ${info.deployment.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "gen_ai.operation.name": op,
          ...this.providerAttributes(info.deployment.provider),
          "gen_ai.request.model": info.deployment.model,
          "switchboard.deployment": info.key,
          "switchboard.attempt": info.attempt,
          "switchboard.retry": retry,
          "switchboard.fallback": retry === 0 && info.attempt > 1,
        },
      },
      parent,
    );
    const sc = span.spanContext();
    info.trace = new AttemptSpanHandle(span, formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags));
  }

  attemptEnd(ctx: ObservedRequest, info: ObservedAttempt, outcome: ObservedOutcome, costMicros: number): void {
    const obs = (ctx.observation ??= {});
    obs.inputTokens = (obs.inputTokens ?? 0) + outcome.usage.promptTokens;
    obs.outputTokens = (obs.outputTokens ?? 0) + outcome.usage.completionTokens;
    if (outcome.responseModel) obs.responseModel = outcome.responseModel;
    const handle = info.trace;
    if (!(handle instanceof AttemptSpanHandle)) return; // an active health check: no request span
    const span = handle.span;
    span.setAttributes({
      "gen_ai.response.model": outcome.responseModel ?? info.deployment.model,
      "gen_ai.usage.input_tokens": outcome.usage.promptTokens,
      "gen_ai.usage.output_tokens": outcome.usage.completionTokens,
      "switchboard.usage.cached_input_tokens": outcome.usage.cachedTokens,
      "switchboard.usage.estimated": outcome.usage.estimated,
      "switchboard.cost_usd": costMicros / 1e6,
      "switchboard.streamed": outcome.streamed,
      "switchboard.status": outcome.status,
    });
    // The upstream's own status, when it answered one (a timeout or a refused connection has none).
    const upstreamStatus = outcome.error ? outcome.error.upstreamStatus : 200;
    if (upstreamStatus !== undefined) span.setAttribute("http.response.status_code", upstreamStatus);
    if (outcome.error) failed(span, outcome.error);
    span.end();
  }

  requestEnd(ctx: ObservedRequest, status: number, error: ObservedError | undefined): void {
    const span = this.requestSpan(ctx).span;
    const obs = ctx.observation ?? {};
    const attrs: Attributes = {
      "switchboard.attempts": ctx.attempts,
      "switchboard.cost_usd": ctx.costMicros / 1e6,
      "http.response.status_code": status,
    };
    if (ctx.provider !== undefined) Object.assign(attrs, this.providerAttributes(ctx.provider));
    if (ctx.model !== undefined) attrs["gen_ai.response.model"] = obs.responseModel ?? ctx.model;
    if (obs.inputTokens !== undefined) attrs["gen_ai.usage.input_tokens"] = obs.inputTokens;
    if (obs.outputTokens !== undefined) attrs["gen_ai.usage.output_tokens"] = obs.outputTokens;
    const cache = ctx.responseHeaders["x-switchboard-cache"];
    if (cache !== undefined) attrs["switchboard.cache"] = cache;
    const answered = ctx.routing?.answered_by as { fallback?: boolean } | undefined;
    attrs["switchboard.fallback"] = answered?.fallback === true;
    span.setAttributes(attrs);
    if (error) failed(span, error);
    else if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    span.end();
  }

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  close(): Promise<void> {
    return Promise.race([this.provider.shutdown().catch(() => {}), new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
  }

  /** The request's span, started (at the request's arrival) by the first hook that needs it. */
  private requestSpan(ctx: ObservedRequest): RequestSpanHandle {
    const obs = (ctx.observation ??= {});
    if (obs.span instanceof RequestSpanHandle) return obs.span;
    const op = operation(ctx.endpoint);
    const requested = ctx.routing?.requested;
    const model = typeof requested === "string" ? requested : undefined;
    const remote = parseTraceparent(ctx.headers.traceparent);
    const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, { ...remote, isRemote: true }) : ROOT_CONTEXT;
    const attributes: Attributes = { "gen_ai.operation.name": op, "switchboard.request_id": ctx.requestId, "switchboard.endpoint": ctx.endpoint };
    if (model !== undefined) attributes["gen_ai.request.model"] = model;
    const span = this.tracer.startSpan(model !== undefined ? `${op} ${model}` : op, { kind: SpanKind.SERVER, startTime: performance.timeOrigin + ctx.receivedAt, attributes }, parent);
    const handle = new RequestSpanHandle(span);
    obs.span = handle;
    return handle;
  }
}

function failed(span: Span, error: ObservedError): void {
  span.setAttribute("error.type", error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message.slice(0, 256) });
}

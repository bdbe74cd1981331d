/**
 * Observability of a running gateway, from its config: the /metrics registry, the request
 * series when `metrics.enabled` (default), and traces when `observability.otlp_endpoint` is set
 * (OpenTelemetry is then loaded; never otherwise).
 */
import type { SwitchboardConfig } from "../config/types.js";
import { genAiProviderName } from "../providers/registry.js";
import { createMetrics, type Metrics, type MetricsSources } from "./metrics.js";
import { createObserver, type Observer, type TraceHooks } from "./observer.js";
import { RequestMetrics } from "./request-metrics.js";
import type { UsageLedgerStats } from "../usage/durable.js";

export interface Observability {
  /** Absent when `metrics.enabled` is false: /metrics answers 404. */
  metrics?: Metrics;
  /** The request path's hooks; absent when metrics are off and traces not configured. */
  observe?: Observer;
  /** Sends the spans ended so far (a no-op without traces). */
  flush(): Promise<void>;
  /** Sends the last spans (bounded in time) and stops. */
  close(): Promise<void>;
}

export interface ObservabilityInputs extends Omit<MetricsSources, "requests"> {
  ledger: { stats: UsageLedgerStats };
  /** The model names a client can use as configured: aliases and their deployments (`provider:model`). */
  models: Iterable<string>;
}

export async function startObservability(config: SwitchboardConfig, inputs: ObservabilityInputs): Promise<Observability> {
  const { ledger, models, ...sources } = inputs;
  const requests = config.metrics.enabled ? new RequestMetrics(models, Object.keys(config.providers)) : undefined;
  const metrics = config.metrics.enabled ? createMetrics(ledger, { ...sources, requests }) : undefined;
  let traces: TraceHooks | undefined;
  const o = config.observability;
  if (o.otlpEndpoint !== undefined) {
    const { startTracing } = await import("./tracing.js");
    traces = startTracing({
      endpoint: o.otlpEndpoint,
      headers: o.otlpHeaders,
      serviceName: o.serviceName,
      providers: new Map(Object.entries(config.providers).map(([id, p]) => [id, { type: p.type, genAiName: genAiProviderName(p.type) }])),
    });
  }
  const observe = createObserver(requests, traces);
  return {
    ...(metrics ? { metrics } : {}),
    ...(observe ? { observe } : {}),
    flush: () => traces?.flush() ?? Promise.resolve(),
    close: () => traces?.close() ?? Promise.resolve(),
  };
}

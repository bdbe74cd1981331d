/**
 * Series whose values are read when /metrics is scraped: a prom-client metric object whose
 * `get()` builds the samples from plain numbers kept elsewhere, so nothing on the request path
 * calls into prom-client.
 */
import type { Metric, Registry } from "prom-client";
import type { Sample } from "./histogram.js";

export type SeriesType = "counter" | "gauge" | "histogram";

export function scraped(registry: Registry, name: string, help: string, type: SeriesType, read: () => Sample[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => Promise.resolve({ name, help, type, aggregator: "sum", values: read() }),
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** One sample without labels. */
export const single = (value: number): Sample[] => [{ value }];

/** Turning /v1/usage/series into chart columns: every bucket of the range, one column per group. */
import type { ChartSeries } from "./components/Chart";

export type Interval = "minute" | "hour" | "day";

export interface SeriesPoint {
  bucket: string;
  group: string | null;
  requests: number;
  attempts: number;
  errors: number;
  error_rate: number;
  cost_usd: string;
  cached_tokens: number;
  cache_hits: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface SeriesResponse {
  interval: Interval;
  from: string;
  to: string;
  group_by: string | null;
  groups: Array<string | null>;
  other_groups: number;
  data: SeriesPoint[];
}

const STEP: Record<Interval, number> = { minute: 60, hour: 3600, day: 86400 };

/** Bucket starts (Unix seconds) from the bucket holding `from` up to `to`. */
export function buckets(s: SeriesResponse): number[] {
  const step = STEP[s.interval];
  const from = Math.floor(Date.parse(s.from) / 1000 / step) * step;
  const to = Date.parse(s.to) / 1000;
  const out: number[] = [];
  for (let t = from; t < to && out.length < 2000; t += step) out.push(t);
  return out;
}

/** One chart series per group, the metric per bucket (0 or null where the bucket had nothing). */
export function columns(s: SeriesResponse, x: number[], metric: (p: SeriesPoint) => number | null, empty: 0 | null): ChartSeries[] {
  const index = new Map(x.map((t, i) => [t, i]));
  return s.groups.map((g) => {
    const values: Array<number | null> = x.map(() => empty);
    for (const p of s.data) {
      if (p.group !== g) continue;
      const i = index.get(Date.parse(p.bucket) / 1000);
      if (i !== undefined) values[i] = metric(p);
    }
    return { label: g ?? (s.group_by ? "(none)" : "all"), values };
  });
}

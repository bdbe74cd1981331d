/** Scraping /metrics and reading it with a Prometheus text-format parser. */
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

export async function scrape(url: string, token?: string): Promise<Family[]> {
  const res = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parsePrometheusTextFormat(await res.text()) as Family[];
}

export function family(all: Family[], name: string): Family {
  const f = all.find((x) => x.name === name);
  if (!f) throw new Error(`no series ${name}`);
  return f;
}

/** The value of the sample whose labels are exactly `labels` (0 when there is none). */
export function value(all: Family[], name: string, labels: Record<string, string> = {}): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const m = family(all, name).metrics.find((x) => JSON.stringify(Object.entries(x.labels ?? {}).sort()) === want);
  return m ? Number(m.value) : 0;
}

/** A histogram's count, sum and cumulative buckets. */
export function histogram(all: Family[], name: string): { count: number; sum: number; buckets: Record<string, number> } {
  const m = family(all, name).metrics[0];
  const buckets: Record<string, number> = {};
  for (const [le, v] of Object.entries(m.buckets ?? {})) buckets[le] = Number(v);
  return { count: Number(m.count), sum: Number(m.sum), buckets };
}

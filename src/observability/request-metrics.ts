/**
 * The request series, counted where a request and its attempts end, in plain numbers and
 * preallocated cells: no prom-client call, no label object, no string built per request. The
 * registry reads them when scraped (metrics.ts).
 *
 * Label values are bounded whatever clients send: `model` is a configured model name (an alias,
 * or a deployment of one, as the client named it) or `other`; `provider` a configured provider
 * id, `none` (no attempt was made) or `other`; `status` one of a fixed set of codes, else its class.
 */
import { DURATION_BUCKETS, FixedHistogram, OVERHEAD_BUCKETS, TTFT_BUCKETS } from "./histogram.js";

export const OTHER = "other";
export const NONE = "none";

/** Status codes kept as such; any other is counted under its class (`2xx`, `4xx`, `5xx`, `other`). */
export const STATUS_CODES = [200, 400, 401, 402, 403, 404, 405, 408, 409, 413, 422, 429, 499, 500, 502, 503, 504] as const;
const STATUS_CLASSES = ["2xx", "4xx", "5xx", "other"] as const;
export const STATUS_LABELS: readonly string[] = [...STATUS_CODES.map(String), ...STATUS_CLASSES];

/** Code → index into STATUS_LABELS, for every code below 600. */
const STATUS_INDEX = new Int8Array(600).fill(-1);
STATUS_CODES.forEach((c, i) => (STATUS_INDEX[c] = i));

function statusIndex(status: number): number {
  const direct = status >= 0 && status < 600 ? STATUS_INDEX[status | 0] : -1;
  if (direct >= 0) return direct;
  const cls = status >= 200 && status < 300 ? 0 : status >= 400 && status < 500 ? 1 : status >= 500 && status < 600 ? 2 : 3;
  return STATUS_CODES.length + cls;
}

export const CACHE_RESULTS = ["hit", "miss", "bypass"] as const;

export class RequestMetrics {
  /** `model` label values; the last is `other`. */
  readonly models: readonly string[];
  /** `provider` label values; the last two are `none` and `other`. */
  readonly providers: readonly string[];
  private readonly modelIndex: ReadonlyMap<string, number>;
  private readonly providerIndex: ReadonlyMap<string, number>;
  /** Requests by cell ((model * providers + provider) * statuses + status) → count. */
  readonly requests = new Map<number, number>();
  readonly duration = new FixedHistogram(DURATION_BUCKETS);
  readonly ttft = new FixedHistogram(TTFT_BUCKETS);
  readonly overhead = new FixedHistogram(OVERHEAD_BUCKETS);
  inputTokens = 0;
  outputTokens = 0;
  /** Integer micro-USD: exact. */
  costMicros = 0;
  readonly cache = new Float64Array(CACHE_RESULTS.length);
  retries = 0;
  fallbacks = 0;
  rateLimited = 0;

  /** `models`: the configured model names; `providers`: the configured provider ids. */
  constructor(models: Iterable<string>, providers: Iterable<string>) {
    this.models = [...new Set(models)].filter((m) => m !== OTHER).concat(OTHER);
    this.providers = [...new Set(providers)].filter((p) => p !== NONE && p !== OTHER).concat(NONE, OTHER);
    this.modelIndex = new Map(this.models.map((m, i) => [m, i]));
    this.providerIndex = new Map(this.providers.map((p, i) => [p, i]));
  }

  /** One request answered (or failed): `durationS` its whole time, `overheadS` the gateway's own. */
  request(model: unknown, provider: string | undefined, status: number, durationS: number, overheadS: number, cache: string | undefined): void {
    const m = (typeof model === "string" ? this.modelIndex.get(model) : undefined) ?? this.models.length - 1;
    const p = provider === undefined ? this.providers.length - 2 : (this.providerIndex.get(provider) ?? this.providers.length - 1);
    const cell = (m * this.providers.length + p) * STATUS_LABELS.length + statusIndex(status);
    this.requests.set(cell, (this.requests.get(cell) ?? 0) + 1);
    this.duration.observe(durationS);
    this.overhead.observe(overheadS);
    if (cache !== undefined) {
      const c = cache === "bypass" ? 2 : cache === "hit" ? 0 : cache === "miss" ? 1 : -1;
      if (c >= 0) this.cache[c]++;
    }
  }

  /** One upstream attempt recorded in the ledger. */
  attempt(inputTokens: number, outputTokens: number, costMicros: number, ttftS: number | undefined): void {
    this.inputTokens += inputTokens;
    this.outputTokens += outputTokens;
    this.costMicros += costMicros;
    if (ttftS !== undefined) this.ttft.observe(ttftS);
  }

  /** The labels of a `requests` cell. */
  labelsOf(cell: number): { model: string; provider: string; status: string } {
    const s = cell % STATUS_LABELS.length;
    const mp = (cell - s) / STATUS_LABELS.length;
    const p = mp % this.providers.length;
    const m = (mp - p) / this.providers.length;
    return { model: this.models[m], provider: this.providers[p], status: STATUS_LABELS[s] };
  }
}

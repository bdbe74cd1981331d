/**
 * A histogram with fixed bucket bounds, counted in plain numbers: observing is a short scan and
 * three additions, no allocation and no label lookup. The registry reads it when scraped.
 */
export class FixedHistogram {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** `bounds`: upper bounds in increasing order (a value equal to a bound falls in its bucket, as Prometheus' `le`). */
  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) throw new RangeError("histogram bounds must increase");
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  /** Prometheus samples: cumulative `_bucket`s with `le`, then `_sum` and `_count`. */
  samples(name: string): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i];
      out.push({ metricName: `${name}_bucket`, labels: { le: this.bounds[i] }, value: cumulative });
    }
    cumulative += this.counts[this.bounds.length];
    out.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: cumulative });
    out.push({ metricName: `${name}_sum`, value: this.sum });
    out.push({ metricName: `${name}_count`, value: this.count });
    return out;
  }
}

export interface Sample {
  metricName?: string;
  labels?: Record<string, string | number>;
  value: number;
}

/** Seconds. The gateway's own time per request is tens to hundreds of microseconds. */
export const OVERHEAD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25] as const;
/** Seconds: a whole request, upstream included. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;
/** Seconds: from a streamed request's arrival to its first byte. */
export const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] as const;

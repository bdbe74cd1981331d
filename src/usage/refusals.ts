/**
 * Refused requests (401, 402, 403, 429 before any upstream call) are logged: a ledger row with
 * attempt 0 (no tokens, no cost; `/v1/usage` does not count it) and an access line. A flood of
 * refusals must stay cheap and bounded, so at most `perSecond` of them are logged one by one in
 * each second; the others are only counted, and the count of each second is reported in one
 * warning line (and in `stats`).
 */

/** The statuses of a refusal that is logged. */
export const REFUSAL_STATUSES: ReadonlySet<number> = new Set([401, 402, 403, 429]);

/** Refusals logged one by one per second, per process, by default. */
export const REFUSALS_PER_SECOND = 50;

export interface RefusalStats {
  /** Refusals logged one by one (row and access line). */
  logged: number;
  /** Refusals only counted (past the per-second bound). */
  suppressed: number;
}

export class RefusalSampler {
  readonly stats: RefusalStats = { logged: 0, suppressed: 0 };
  private second = -1;
  private used = 0;
  /** Suppressed refusals by error code, not yet reported. */
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly report: (counts: ReadonlyMap<string, number>, total: number) => void,
    private readonly perSecond = REFUSALS_PER_SECOND,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this refusal is to be logged one by one; otherwise it is counted. O(1). */
  admit(code: string): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.used = 0;
    }
    if (this.used < this.perSecond) {
      this.used++;
      this.stats.logged++;
      return true;
    }
    this.stats.suppressed++;
    this.pending.set(code, (this.pending.get(code) ?? 0) + 1);
    this.timer ??= setTimeout(this.flush, 1000).unref();
    return false;
  }

  /** Reports the refusals counted since the last report (also at shutdown). */
  readonly flush = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const counts = this.pending;
    this.pending = new Map();
    let total = 0;
    for (const n of counts.values()) total += n;
    this.report(counts, total);
  };
}

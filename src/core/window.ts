/**
 * A sliding window of counts over `period` milliseconds, kept in 60 steps (slots) of
 * `period / 60`: what was counted in a step leaves the window when the window's start passes
 * that step's end. So a request counted by an rpm window is remembered for 59 to 60 seconds,
 * never longer, and at most `limit` are counted in any 60 s measured in 1-second steps.
 * Fixed memory (two small arrays), O(1) amortised per operation.
 */
export const WINDOW_STEPS = 60;

export class SlidingWindow {
  private readonly counts = new Float64Array(WINDOW_STEPS);
  /** The newest step seen (step number = floor(time / stepMs)). */
  private head = -Infinity;
  private sum = 0;
  readonly stepMs: number;

  constructor(readonly periodMs: number) {
    this.stepMs = periodMs / WINDOW_STEPS;
  }

  /** Step number of a time. */
  step(now: number): number {
    return Math.floor(now / this.stepMs);
  }

  /** What the window holds at `now`. */
  total(now: number): number {
    this.advance(this.step(now));
    return this.sum;
  }

  add(n: number, now: number): number {
    const s = this.step(now);
    this.advance(s);
    this.counts[s % WINDOW_STEPS] = this.counts[s % WINDOW_STEPS] + n;
    this.sum += n;
    return s;
  }

  /** Takes `n` back from the count of step `s` (a true-up, or a refund), if that step is still in the window. */
  remove(n: number, s: number, now: number): void {
    this.advance(this.step(now));
    if (s <= this.head - WINDOW_STEPS || s > this.head) return;
    const slot = s % WINDOW_STEPS;
    const take = Math.min(n, this.counts[slot]);
    this.counts[slot] = this.counts[slot] - take;
    this.sum -= take;
  }

  /**
   * Takes `n` back from the newest steps in the window, as far as they hold it: a correction
   * whose own step is not known. The total is right at once; the steps it is taken from may be
   * newer than the one the counted request went into. Returns how much was taken.
   */
  takeBack(n: number, now: number): number {
    const s = this.step(now);
    this.advance(s);
    let left = n;
    for (let k = s; left > 0 && k > s - WINDOW_STEPS && k >= 0; k--) {
      const slot = k % WINDOW_STEPS;
      const take = Math.min(left, this.counts[slot]);
      this.counts[slot] = this.counts[slot] - take;
      this.sum -= take;
      left -= take;
    }
    return n - left;
  }

  /**
   * Milliseconds from `now` until `cost` more fits under `limit` (0 when it fits now), or
   * Infinity when it never can (`cost > limit`).
   */
  waitFor(cost: number, limit: number, now: number): number {
    if (cost > limit) return Infinity;
    const s = this.step(now);
    this.advance(s);
    let over = this.sum + cost - limit;
    if (over <= 0) return 0;
    // The oldest steps leave first: step k leaves when the window's start passes its end.
    for (let k = s - WINDOW_STEPS + 1; k <= s; k++) {
      over -= this.counts[k % WINDOW_STEPS];
      if (over <= 0) return (k + WINDOW_STEPS) * this.stepMs - now;
    }
    return this.periodMs;
  }

  /** Milliseconds from `now` until the window is empty again. */
  emptyIn(now: number): number {
    const s = this.step(now);
    this.advance(s);
    for (let k = s; k > s - WINDOW_STEPS; k--) {
      if (this.counts[k % WINDOW_STEPS] > 0) return (k + WINDOW_STEPS) * this.stepMs - now;
    }
    return 0;
  }

  private advance(s: number): void {
    if (s <= this.head) return;
    if (s - this.head >= WINDOW_STEPS) {
      this.counts.fill(0);
      this.sum = 0;
    } else {
      for (let k = this.head + 1; k <= s; k++) {
        const slot = k % WINDOW_STEPS;
        this.sum -= this.counts[slot];
        this.counts[slot] = 0;
      }
    }
    this.head = s;
  }
}

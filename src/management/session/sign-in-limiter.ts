/**
 * Bounds master-key guessing through the sign-in form: at most MAX_FAILURES failed sign-ins per
 * source address per minute (fixed one-minute windows), counted in this process. Memory is
 * bounded: past MAX_TRACKED addresses the oldest window is forgotten.
 */
export const MAX_FAILURES = 10;
const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

export class SignInLimiter {
  private readonly failures = new Map<string, { start: number; count: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds to wait before trying again, or 0 when a sign-in may be tried now. */
  retryAfter(ip: string): number {
    const e = this.failures.get(ip);
    const now = this.now();
    if (!e || now - e.start >= WINDOW_MS) return 0;
    return e.count >= MAX_FAILURES ? Math.max(1, Math.ceil((e.start + WINDOW_MS - now) / 1000)) : 0;
  }

  failed(ip: string): void {
    const now = this.now();
    const e = this.failures.get(ip);
    if (e && now - e.start < WINDOW_MS) {
      e.count++;
      return;
    }
    this.failures.delete(ip);
    if (this.failures.size >= MAX_TRACKED) this.failures.delete(this.failures.keys().next().value as string);
    this.failures.set(ip, { start: now, count: 1 });
  }
}

/**
 * Routing strategies: the order in which the deployments of a model group are tried for one
 * request. Every order is a new array of the same candidates, the first tried first.
 *
 * - weighted: each place drawn with probability weight / Σ weights among the candidates left.
 * - round-robin: request i of a group starts at candidate i mod n, the rest in list order after it.
 * - least-busy: fewest attempts in flight first.
 * - lowest-latency: lowest EWMA of time to first token first, never-measured ones as 0 (so they
 *   get measured); one request in ten puts a random other candidate first, so a deployment that
 *   was slow once is measured again.
 * - cheapest: lowest estimated cost first, unpriced ones after every priced one.
 * - usage-based: lowest share of its own rpm/tpm used this minute first (this request included).
 *
 * Whatever the strategy, candidates whose own rpm/tpm this request would exceed go after all
 * the others, each part in the strategy's order; ties stay in list order. Requests and tokens
 * per deployment are counted here, in sliding one-minute windows. Open circuits are not this
 * module's business: the caller skips them.
 *
 * Runs per request: O(candidates) work and one new array, except weighted (O(candidates²), for
 * the handful of deployments a group has) and the rare case of candidates over their limits.
 */
import { SlidingWindow } from "../core/window.js";
import type { DeploymentHealth } from "./health.js";

export type Strategy = "weighted" | "round-robin" | "least-busy" | "lowest-latency" | "cheapest" | "usage-based";

export const STRATEGY_NAMES: readonly Strategy[] = Object.freeze(["weighted", "round-robin", "least-busy", "lowest-latency", "cheapest", "usage-based"] as Strategy[]);

export interface Candidate {
  /** deploymentKey(provider, model) */
  key: string;
  provider: string;
  model: string;
  weight: number;
  /** The deployment's own limits, null for none. */
  rpm: number | null;
  tpm: number | null;
}

export interface OrderContext {
  health: DeploymentHealth;
  /** Estimated cost of this request on a candidate in micro-USD; undefined when it has no price. */
  costMicros(c: Candidate): number | undefined;
  /** Tokens this request is estimated to use (for tpm). */
  estimatedTokens: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random(): number;
}

/** How often lowest-latency puts another candidate first. */
export const EXPLORATION_RATE = 0.1;
const MINUTE_MS = 60_000;
/** Usage of deployments idle for a minute is empty and dropped, at most this often. */
const SWEEP_EVERY_MS = 60_000;

interface Usage {
  requests: SlidingWindow;
  tokens: SlidingWindow;
}

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export class Router {
  private readonly roundRobin = new Map<string, number>();
  private readonly usage = new Map<string, Usage>();
  /** Sort keys of the order being built, by position; reused across requests (order is synchronous). */
  private scores = new Float64Array(16);
  private lastSweep = 0;

  /** The clock: monotonic by default, so a wall clock set back does not freeze the windows. */
  constructor(private readonly now: () => number = monotonicNow) {}

  /**
   * The order in which to try `candidates` for one request of group `group` (any stable name):
   * a new array, the same candidates, the first is tried first. Candidates over their own
   * rpm/tpm go after every candidate that is not, in the strategy's order.
   */
  order(group: string, strategy: Strategy, candidates: readonly Candidate[], ctx: OrderContext): Candidate[] {
    const n = candidates.length;
    if (n <= 1) return candidates.slice();
    const now = this.now();
    if (this.scores.length < n) this.scores = new Float64Array(Math.max(n, this.scores.length * 2));
    let out: Candidate[];
    switch (strategy) {
      case "weighted":
        out = this.weighted(candidates, ctx);
        break;
      case "round-robin":
        out = this.rotated(group, candidates);
        break;
      case "least-busy":
        out = candidates.slice();
        for (let i = 0; i < n; i++) this.scores[i] = ctx.health.inFlight(out[i].key);
        this.sortByScore(out);
        break;
      case "lowest-latency":
        out = candidates.slice();
        for (let i = 0; i < n; i++) this.scores[i] = ctx.health.ewmaTtftMs(out[i].key) ?? 0;
        this.sortByScore(out);
        this.explore(out, ctx.random());
        break;
      case "cheapest":
        out = candidates.slice();
        for (let i = 0; i < n; i++) {
          const cost = ctx.costMicros(out[i]);
          this.scores[i] = cost === undefined || Number.isNaN(cost) ? Infinity : cost;
        }
        this.sortByScore(out);
        break;
      case "usage-based":
        out = candidates.slice();
        for (let i = 0; i < n; i++) this.scores[i] = this.share(out[i], ctx.estimatedTokens, now);
        this.sortByScore(out);
        break;
    }
    return this.overLimitsLast(out, ctx.estimatedTokens, now);
  }

  /** Counts one request of `tokens` sent to candidate `key` now (for usage-based and rpm/tpm). */
  count(key: string, tokens: number): void {
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const usage = this.usageOf(key);
    usage.requests.add(1, now);
    if (tokens > 0) usage.tokens.add(tokens, now);
  }

  /** Corrects the tokens counted for a request once its actual count is known (delta may be negative). */
  trueUp(key: string, delta: number): void {
    if (delta === 0 || Number.isNaN(delta)) return;
    const now = this.now();
    if (delta < 0) this.usage.get(key)?.tokens.takeBack(-delta, now);
    else this.usageOf(key).tokens.add(delta, now);
  }

  /** Whether one more request of `tokens` fits the candidate's rpm/tpm in the current minute (sliding window, 60 one-second steps). */
  fits(c: Candidate, tokens: number): boolean {
    return this.fitsAt(c, tokens, this.now());
  }

  private fitsAt(c: Candidate, tokens: number, now: number): boolean {
    if (c.rpm === null && c.tpm === null) return true;
    const usage = this.usage.get(c.key);
    if (c.rpm !== null && (usage ? usage.requests.total(now) : 0) + 1 > c.rpm) return false;
    if (c.tpm !== null && (usage ? usage.tokens.total(now) : 0) + tokens > c.tpm) return false;
    return true;
  }

  /** The larger of the shares of its rpm and tpm the candidate would have used with this request; 0 without limits. */
  private share(c: Candidate, tokens: number, now: number): number {
    if (c.rpm === null && c.tpm === null) return 0;
    const usage = this.usage.get(c.key);
    let share = 0;
    if (c.rpm !== null) share = ((usage ? usage.requests.total(now) : 0) + 1) / c.rpm;
    if (c.tpm !== null) share = Math.max(share, ((usage ? usage.tokens.total(now) : 0) + tokens) / c.tpm);
    // A limit of 0 gives NaN (0/0) or Infinity: either way that candidate has no room.
    return Number.isNaN(share) ? Infinity : share;
  }

  /** Each place drawn by weight among the candidates left; weights that are not positive are never drawn before positive ones. */
  private weighted(candidates: readonly Candidate[], ctx: OrderContext): Candidate[] {
    const out = candidates.slice();
    const n = out.length;
    let left = 0;
    for (let i = 0; i < n; i++) left += out[i].weight > 0 ? out[i].weight : 0;
    for (let i = 0; i < n - 1 && left > 0; i++) {
      const r = ctx.random() * left;
      let acc = 0;
      let pick = i;
      // Rounding can leave r at or past the last sum: then the last positive weight is the pick.
      for (let j = i; j < n; j++) {
        const w = out[j].weight;
        if (!(w > 0)) continue;
        pick = j;
        acc += w;
        if (r < acc) break;
      }
      const chosen = out[pick];
      // Shift rather than swap, so those not yet drawn keep their list order.
      for (let j = pick; j > i; j--) out[j] = out[j - 1];
      out[i] = chosen;
      left -= chosen.weight;
    }
    return out;
  }

  private rotated(group: string, candidates: readonly Candidate[]): Candidate[] {
    const n = candidates.length;
    const i = this.roundRobin.get(group) ?? 0;
    // Wrapped at a multiple of every group size up to 16 (their least common multiple), so the counter stays small and the rotation even.
    this.roundRobin.set(group, (i + 1) % 720_720);
    const start = i % n;
    const out = new Array<Candidate>(n);
    for (let k = 0; k < n; k++) out[k] = candidates[(start + k) % n];
    return out;
  }

  /** With probability EXPLORATION_RATE, one of the others (uniformly, from the same draw) goes first. */
  private explore(out: Candidate[], r: number): void {
    if (!(r < EXPLORATION_RATE)) return;
    const n = out.length;
    const pick = 1 + Math.min(n - 2, Math.floor((r / EXPLORATION_RATE) * (n - 1)));
    const chosen = out[pick];
    for (let j = pick; j > 0; j--) out[j] = out[j - 1];
    out[0] = chosen;
  }

  /** Stable insertion sort by this.scores (the handful of candidates a group has): ties keep list order. */
  private sortByScore(out: Candidate[]): void {
    const scores = this.scores;
    for (let i = 1; i < out.length; i++) {
      const c = out[i];
      const s = scores[i];
      let j = i - 1;
      while (j >= 0 && scores[j] > s) {
        out[j + 1] = out[j];
        scores[j + 1] = scores[j];
        j--;
      }
      out[j + 1] = c;
      scores[j + 1] = s;
    }
  }

  /** Moves candidates this request would take over their rpm/tpm behind the others, keeping each part's order. */
  private overLimitsLast(out: Candidate[], tokens: number, now: number): Candidate[] {
    let over: Candidate[] | undefined;
    let kept = 0;
    for (let i = 0; i < out.length; i++) {
      const c = out[i];
      if (this.fitsAt(c, tokens, now)) out[kept++] = c;
      else (over ??= []).push(c);
    }
    if (over) for (let i = 0; i < over.length; i++) out[kept + i] = over[i];
    return out;
  }

  private usageOf(key: string): Usage {
    let usage = this.usage.get(key);
    if (!usage) {
      usage = { requests: new SlidingWindow(MINUTE_MS), tokens: new SlidingWindow(MINUTE_MS) };
      this.usage.set(key, usage);
    }
    return usage;
  }

  /** Drops the usage of deployments whose windows have emptied: nothing is lost, and names seen once do not accumulate. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, usage] of this.usage) {
      if (usage.requests.total(now) === 0 && usage.tokens.total(now) === 0) this.usage.delete(key);
    }
  }
}

/**
 * The health of each deployment, held in this process: a circuit breaker that stops sending
 * requests to a deployment that keeps failing, and live statistics of its recent attempts.
 *
 * The circuit: `failures` failed attempts within `windowMs` open it; while open, nothing is
 * sent; once `cooldownMs` has passed since it opened, exactly one attempt (the probe) is let
 * through (half-open) and its outcome decides: success closes the circuit and clears the
 * failures, failure opens it again for a new full cooldown. Attempts that were already under
 * way when the circuit opened feed the statistics but neither close nor re-open it: only the
 * probe speaks for a deployment that has been cut off.
 *
 * Statistics cover the recent window (the last five minutes, at most the last 1,000 attempts),
 * from a ring of attempts per deployment that grows up to 1,000 entries and no further: memory
 * is bounded per deployment and nothing is kept per request. A deployment is named by
 * `provider:model` (deploymentKey). Deployments that are merely remembered (idle for the whole
 * window, nothing in flight) are forgotten once more than 10,000 are tracked, so model names
 * chosen by clients cannot grow this without bound; an open circuit forgotten so is closed again,
 * and its next failures open it again.
 */

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitSettings {
  /** Failed attempts within `windowMs` that open the circuit. */
  failures: number;
  windowMs: number;
  /** How long an open circuit refuses everything before it lets one probe through. */
  cooldownMs: number;
}

export interface AttemptReport {
  ok: boolean;
  /** Time to the first token (streams), when the attempt got that far. */
  ttftMs?: number | null;
  totalMs: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface DeploymentStats {
  deployment: string;
  state: CircuitState;
  in_flight: number;
  /** over the recent window (last 5 minutes, at most the last 1,000 attempts) */
  requests: number;
  errors: number;
  /** 0..1, 0 when there were no requests */
  error_rate: number;
  /** over the attempts that reported a time to first token */
  ttft_ms: Percentiles;
  total_ms: Percentiles;
  ewma_ttft_ms: number | null;
  /** ISO time the circuit last opened, while it is open or half-open */
  opened_at: string | null;
}

export interface Admission {
  allowed: boolean;
  probe: boolean;
}

/** The recent window of the statistics. */
export const STATS_WINDOW_MS = 5 * 60_000;
/** The most attempts remembered per deployment. */
export const RING_CAPACITY = 1000;
/** Past this many tracked deployments, idle ones are forgotten. */
export const MAX_TRACKED_DEPLOYMENTS = 10_000;
const EWMA_ALPHA = 0.2;
/** A ring starts this small: most names seen once (a mistyped model) never need 1,000 slots. */
const RING_INITIAL = 16;
/** Forgetting idle deployments walks all of them, so it runs at most this often. */
const SWEEP_EVERY_MS = 60_000;

// Shared answers: acquire runs for every attempt and allocates nothing. Frozen, so no caller can change them for the others.
const ALLOWED: Admission = Object.freeze({ allowed: true, probe: false });
const PROBE: Admission = Object.freeze({ allowed: true, probe: true });
const REFUSED: Admission = Object.freeze({ allowed: false, probe: false });

export function deploymentKey(provider: string, model: string): string {
  return `${provider}:${model}`;
}

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Nearest rank: the smallest sample with at least p of the samples at or below it. */
function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
}

function percentiles(samples: Float64Array): Percentiles {
  samples.sort();
  return { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95) };
}

/** Recent attempts of one deployment, oldest overwritten first. */
class AttemptRing {
  endedAt = new Float64Array(RING_INITIAL);
  ok = new Uint8Array(RING_INITIAL);
  /** NaN: the attempt reported no time to first token. */
  ttftMs = new Float64Array(RING_INITIAL);
  totalMs = new Float64Array(RING_INITIAL);
  /** The slot the next attempt goes to. */
  next = 0;
  size = 0;

  push(at: number, report: AttemptReport): void {
    if (this.size === this.endedAt.length && this.size < RING_CAPACITY) this.grow();
    const i = this.next;
    this.endedAt[i] = at;
    this.ok[i] = report.ok ? 1 : 0;
    this.ttftMs[i] = report.ttftMs ?? NaN;
    this.totalMs[i] = report.totalMs;
    this.next = i + 1 === this.endedAt.length ? 0 : i + 1;
    if (this.size < this.endedAt.length) this.size++;
  }

  capacity(): number {
    return this.endedAt.length;
  }

  /** Only a full ring grows, and one below its final size has never been overwritten: slot 0 is the oldest, and the next goes after the newest. */
  private grow(): void {
    const capacity = Math.min(this.endedAt.length * 2, RING_CAPACITY);
    const endedAt = new Float64Array(capacity);
    const ok = new Uint8Array(capacity);
    const ttftMs = new Float64Array(capacity);
    const totalMs = new Float64Array(capacity);
    endedAt.set(this.endedAt);
    ok.set(this.ok);
    ttftMs.set(this.ttftMs);
    totalMs.set(this.totalMs);
    this.endedAt = endedAt;
    this.ok = ok;
    this.ttftMs = ttftMs;
    this.totalMs = totalMs;
    this.next = this.size;
  }
}

class DeploymentRecord {
  circuit: CircuitState = "closed";
  /** Clock time the circuit last opened. */
  openedAt = 0;
  /** Whether the one probe of a half-open circuit is out. */
  probeOut = false;
  inFlight = 0;
  /** Times of the last `failures` failures, as a ring: the slot at `failureNext` is the oldest once it is full. */
  readonly failureTimes: Float64Array;
  failureNext = 0;
  failureCount = 0;
  /** NaN until the first attempt that reports a time to first token. */
  ewmaTtftMs = NaN;
  lastActivity: number;
  readonly attempts = new AttemptRing();

  constructor(failures: number, now: number) {
    this.failureTimes = new Float64Array(failures);
    this.lastActivity = now;
  }

  clearFailures(): void {
    this.failureNext = 0;
    this.failureCount = 0;
  }

  open(now: number): void {
    this.circuit = "open";
    this.openedAt = now;
    this.probeOut = false;
    this.clearFailures();
  }

  /** Records a failure; whether it makes `failures` of them within the window. */
  failureOpens(now: number, windowMs: number): boolean {
    const times = this.failureTimes;
    times[this.failureNext] = now;
    this.failureNext = this.failureNext + 1 === times.length ? 0 : this.failureNext + 1;
    if (this.failureCount < times.length) this.failureCount++;
    return this.failureCount === times.length && now - times[this.failureNext] < windowMs;
  }
}

export class DeploymentHealth {
  private readonly records = new Map<string, DeploymentRecord>();
  private readonly failures: number;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private lastSweep = -Infinity;

  /** The clock: monotonic by default, so a wall clock set back cannot hold a circuit open. */
  constructor(
    settings: CircuitSettings,
    private readonly now: () => number = monotonicNow,
  ) {
    if (!(Number.isInteger(settings.failures) && settings.failures >= 1)) throw new RangeError(`circuit breaker failures must be a positive integer, got ${settings.failures}`);
    if (!(settings.windowMs > 0)) throw new RangeError(`circuit breaker window must be positive, got ${settings.windowMs}`);
    if (!(settings.cooldownMs >= 0)) throw new RangeError(`circuit breaker cooldown must not be negative, got ${settings.cooldownMs}`);
    this.failures = settings.failures;
    this.windowMs = settings.windowMs;
    this.cooldownMs = settings.cooldownMs;
  }

  state(key: string): CircuitState {
    return this.records.get(key)?.circuit ?? "closed";
  }

  /**
   * Asks to send one attempt to `key`. closed → {allowed: true, probe: false}. open and the
   * cooldown not over → {allowed: false}. open and the cooldown over → the circuit becomes
   * half-open and exactly ONE caller gets {allowed: true, probe: true}; every other caller gets
   * {allowed: false} until that probe is reported through `end`.
   * An allowed attempt counts as in flight until `end`.
   */
  acquire(key: string): Admission {
    const now = this.now();
    const record = this.record(key, now);
    record.lastActivity = now;
    switch (record.circuit) {
      case "closed":
        record.inFlight++;
        return ALLOWED;
      case "open":
        if (now - record.openedAt < this.cooldownMs) return REFUSED;
        record.circuit = "half-open";
        record.probeOut = true;
        record.inFlight++;
        return PROBE;
      case "half-open":
        if (record.probeOut) return REFUSED;
        record.probeOut = true;
        record.inFlight++;
        return PROBE;
    }
  }

  /**
   * The outcome of an attempt acquired before. Failures count toward opening the circuit:
   * `failures` failed attempts within `windowMs` open it (closed → open). A probe that succeeds
   * closes it (and clears the failures); a probe that fails opens it again for a new cooldown.
   * Successes and failures both feed the stats; ttft/total feed the percentiles and an EWMA of
   * ttft (alpha 0.2, first sample sets it).
   */
  end(key: string, probe: boolean, report: AttemptReport): void {
    const now = this.now();
    const record = this.record(key, now);
    record.lastActivity = now;
    if (record.inFlight > 0) record.inFlight--;
    record.attempts.push(now, report);
    const ttft = report.ttftMs;
    if (ttft !== undefined && ttft !== null) {
      record.ewmaTtftMs = Number.isNaN(record.ewmaTtftMs) ? ttft : record.ewmaTtftMs + EWMA_ALPHA * (ttft - record.ewmaTtftMs);
    }
    if (probe && record.circuit === "half-open" && record.probeOut) {
      if (report.ok) {
        // The failures before were cleared when the circuit opened, and none count while it is open.
        record.circuit = "closed";
        record.probeOut = false;
      } else {
        record.open(now);
      }
      return;
    }
    if (!report.ok && record.circuit === "closed" && record.failureOpens(now, this.windowMs)) record.open(now);
  }

  /**
   * Ends an attempt whose outcome says nothing about the deployment (the client left, or its
   * own shorter timeout ran out): no longer in flight, nothing recorded. A probe ended this way
   * decides nothing either: the circuit stays half-open and the next caller becomes its probe,
   * so a client cannot close a circuit (nor hold it) by walking away from the probe.
   */
  release(key: string, probe: boolean): void {
    const record = this.records.get(key);
    if (!record) return;
    record.lastActivity = this.now();
    if (record.inFlight > 0) record.inFlight--;
    if (probe && record.circuit === "half-open") record.probeOut = false;
  }

  inFlight(key: string): number {
    return this.records.get(key)?.inFlight ?? 0;
  }

  ewmaTtftMs(key: string): number | undefined {
    const ewma = this.records.get(key)?.ewmaTtftMs;
    return ewma === undefined || Number.isNaN(ewma) ? undefined : ewma;
  }

  /** A deployment that was never tried has no state: closed, no stats. */
  stats(key: string): DeploymentStats {
    const record = this.records.get(key);
    if (!record) {
      return {
        deployment: key,
        state: "closed",
        in_flight: 0,
        requests: 0,
        errors: 0,
        error_rate: 0,
        ttft_ms: { p50: null, p95: null },
        total_ms: { p50: null, p95: null },
        ewma_ttft_ms: null,
        opened_at: null,
      };
    }
    const since = this.now() - STATS_WINDOW_MS;
    const ring = record.attempts;
    const ttfts = new Float64Array(ring.size);
    const totals = new Float64Array(ring.size);
    let requests = 0;
    let errors = 0;
    let ttftCount = 0;
    for (let i = 0; i < ring.size; i++) {
      if (ring.endedAt[i] <= since) continue;
      requests++;
      if (ring.ok[i] === 0) errors++;
      totals[requests - 1] = ring.totalMs[i];
      if (!Number.isNaN(ring.ttftMs[i])) ttfts[ttftCount++] = ring.ttftMs[i];
    }
    return {
      deployment: key,
      state: record.circuit,
      in_flight: record.inFlight,
      requests,
      errors,
      error_rate: requests === 0 ? 0 : errors / requests,
      ttft_ms: percentiles(ttfts.subarray(0, ttftCount)),
      total_ms: percentiles(totals.subarray(0, requests)),
      ewma_ttft_ms: Number.isNaN(record.ewmaTtftMs) ? null : record.ewmaTtftMs,
      opened_at: record.circuit === "closed" ? null : new Date(record.openedAt).toISOString(),
    };
  }

  /** Every deployment seen so far (but those forgotten as idle, see above), sorted by key. */
  snapshot(): DeploymentStats[] {
    return [...this.records.keys()].sort().map((key) => this.stats(key));
  }

  /** Keys whose circuit is open or half-open (for active health checks), sorted. */
  unhealthy(): string[] {
    const keys: string[] = [];
    for (const [key, record] of this.records) if (record.circuit !== "closed") keys.push(key);
    return keys.sort();
  }

  /** Slots the ring of `key` holds now (it grows up to RING_CAPACITY); 0 for a deployment never seen. */
  ringCapacity(key: string): number {
    return this.records.get(key)?.attempts.capacity() ?? 0;
  }

  private record(key: string, now: number): DeploymentRecord {
    let record = this.records.get(key);
    if (!record) {
      if (this.records.size >= MAX_TRACKED_DEPLOYMENTS && now - this.lastSweep >= SWEEP_EVERY_MS) this.forgetIdle(now);
      record = new DeploymentRecord(this.failures, now);
      this.records.set(key, record);
    }
    return record;
  }

  /**
   * Forgets deployments with nothing in flight and no activity within the statistics window nor
   * the failure window (so no stats and no failures that still count are lost; only an EWMA that
   * has gone stale, or a circuit nobody has tried for that long, which its next failures would
   * open again).
   */
  private forgetIdle(now: number): void {
    this.lastSweep = now;
    const idleSince = now - Math.max(STATS_WINDOW_MS, this.windowMs);
    for (const [key, record] of this.records) {
      if (record.inFlight === 0 && record.lastActivity <= idleSince) this.records.delete(key);
    }
  }
}

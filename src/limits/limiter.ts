/**
 * Rate and concurrency limits of keys, users and teams, held in this process: requests per
 * minute and per day, tokens per minute, and requests in flight. One request is checked against
 * every limit that applies to it at once (its key's, its user's, its team's) and either counts
 * against all of them or against none: the check and the counting run in one synchronous turn.
 *
 * Requests and tokens are counted in sliding windows (window.ts). Tokens are counted up front
 * with the request's estimate and corrected to the actual count when it ends; a request that
 * never reached an upstream is taken back entirely.
 */
import type { LimitSubject } from "../policy/limit-subjects.js";
import { SlidingWindow } from "../core/window.js";

export interface LimitState {
  limit: number;
  remaining: number;
  /** Milliseconds until the window is empty again. */
  resetMs: number;
}

/** The tightest limit of each kind, for the `x-ratelimit-*` headers. */
export interface LimitReport {
  requests?: LimitState;
  tokens?: LimitState;
}

interface SubjectState {
  minute: SlidingWindow | null;
  day: SlidingWindow | null;
  tokens: SlidingWindow | null;
  inFlight: number;
}

interface Entry {
  state: SubjectState;
  subject: LimitSubject;
  /** Steps the request was counted in, for taking it back (-1: not counted there). */
  minuteStep: number;
  dayStep: number;
  tokenStep: number;
  /** Tokens counted on this subject's window up front. */
  debit: number;
}

export interface Refusal {
  refused: true;
  /** Milliseconds until the request would fit; Infinity when it never can. */
  waitMs: number;
  reason: string;
  report: LimitReport;
}

export interface Admission {
  refused?: false;
  /** Tokens counted so far (the estimate, then the actual count). */
  tokens: number;
  report: LimitReport;
  done: boolean;
}

interface LocalAdmission extends Admission {
  entries: Entry[];
}

/**
 * Where limits are counted: in this process (LocalLimiter), or in Redis for every instance
 * together (RedisLimiter). `admit` may answer at once or through a promise; `finish` never waits.
 */
export interface Limiter {
  /**
   * `tokens` must fit; `upTo` more (the output of a request that did not bound it) is counted
   * as far as each tokens-per-minute window has room, so concurrent unbounded requests cannot
   * all start on the same room.
   */
  admit(subjects: readonly LimitSubject[], tokens: number, requestId: string, upTo?: number): Admission | Refusal | Promise<Admission | Refusal>;
  finish(a: Admission, actualTokens: number | null): void;
  close?(): void;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Idle subjects are forgotten at most this often (a sweep walks every subject). */
const SWEEP_EVERY_MS = 60_000;

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export class LocalLimiter implements Limiter {
  private readonly states = new Map<string, SubjectState>();
  private lastSweep = 0;

  /** The clock: monotonic by default, so a wall clock set back does not freeze the windows. */
  constructor(private readonly now: () => number = monotonicNow) {}

  /**
   * Counts one request, and `tokens` estimated tokens, against every subject's limits; or
   * refuses it (counting nothing), saying why, after how long it would fit (Infinity: never, it
   * needs more tokens than a limit allows), and the limits as they stand.
   */
  admit(subjects: readonly LimitSubject[], tokens: number, _requestId?: string, upTo = 0): Admission | Refusal {
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    let waitMs = 0;
    let worst: { subject: LimitSubject; kind: LimitKind; inFlight: number } | undefined;
    const states: SubjectState[] = [];
    for (const subject of subjects) {
      const state = this.stateOf(subject);
      states.push(state);
      const { rpm, tpm, rpd, maxParallel } = subject.limits;
      // The reason is worded only for the limit that refuses, not for every check.
      const refuse = (ms: number, kind: LimitKind) => {
        if (ms > waitMs) {
          waitMs = ms;
          worst = { subject, kind, inFlight: state.inFlight };
        }
      };
      if (maxParallel !== null && state.inFlight + 1 > maxParallel) refuse(1000, "parallel");
      if (rpm !== null) refuse(state.minute!.waitFor(1, rpm, now), "rpm");
      if (rpd !== null) refuse(state.day!.waitFor(1, rpd, now), "rpd");
      if (tpm !== null) refuse(state.tokens!.waitFor(tokens, tpm, now), "tpm");
    }
    if (waitMs > 0 && worst) return { refused: true, waitMs, reason: refusalReason(worst.subject, worst.kind, tokens, worst.inFlight), report: this.report(subjects, states, now) };
    const entries: Entry[] = [];
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[i];
      const state = states[i];
      const { rpm, tpm, rpd } = subject.limits;
      // Every request in flight is counted, limited or not: a max_parallel set meanwhile sees them.
      state.inFlight++;
      const debit = tpm === null ? 0 : tokens + Math.min(upTo, Math.max(0, tpm - state.tokens!.total(now) - tokens));
      entries.push({
        state,
        subject,
        minuteStep: rpm !== null ? state.minute!.add(1, now) : -1,
        dayStep: rpd !== null ? state.day!.add(1, now) : -1,
        tokenStep: tpm !== null ? state.tokens!.add(debit, now) : -1,
        debit,
      });
    }
    const counted = entries.reduce((m, e) => Math.max(m, e.debit), tokens);
    const admitted: LocalAdmission = { entries, tokens: counted, report: this.report(subjects, states, now), done: false };
    return admitted;
  }

  /**
   * Ends a request: frees its concurrent-request slot and corrects its tokens to `actualTokens`;
   * with `actualTokens === null` (it never reached an upstream) takes it back entirely.
   * Idempotent, so every exit path may call it.
   */
  finish(admission: Admission, actualTokens: number | null): void {
    const a = admission as LocalAdmission;
    if (a.done) return;
    a.done = true;
    const now = this.now();
    for (const e of a.entries) {
      e.state.inFlight--;
      if (actualTokens === null) {
        if (e.minuteStep >= 0) e.state.minute!.remove(1, e.minuteStep, now);
        if (e.dayStep >= 0) e.state.day!.remove(1, e.dayStep, now);
        if (e.tokenStep >= 0) e.state.tokens!.remove(e.debit, e.tokenStep, now);
      } else if (e.tokenStep >= 0 && actualTokens !== e.debit) {
        // More than estimated counts now; less gives back the difference where the estimate was counted.
        // (Through the map: a request longer than the window may find its subject forgotten and re-created.)
        if (actualTokens > e.debit) this.stateOf(e.subject).tokens!.add(actualTokens - e.debit, now);
        else e.state.tokens!.remove(e.debit - actualTokens, e.tokenStep, now);
      }
    }
    if (actualTokens !== null) a.tokens = actualTokens;
  }

  /** Subjects with state (tests and metrics). */
  get size(): number {
    return this.states.size;
  }

  private stateOf(s: LimitSubject): SubjectState {
    const k = `${s.scope}:${s.id}`;
    let state = this.states.get(k);
    if (!state) {
      state = { minute: null, day: null, tokens: null, inFlight: 0 };
      this.states.set(k, state);
    }
    // A limit set since the subject was last seen gets its window now.
    if (s.limits.rpm !== null) state.minute ??= new SlidingWindow(MINUTE_MS);
    if (s.limits.rpd !== null) state.day ??= new SlidingWindow(DAY_MS);
    if (s.limits.tpm !== null) state.tokens ??= new SlidingWindow(MINUTE_MS);
    return state;
  }

  private report(subjects: readonly LimitSubject[], states: SubjectState[], now: number): LimitReport {
    const out: LimitReport = {};
    const tighter = (cur: LimitState | undefined, limit: number, w: SlidingWindow): LimitState => {
      const remaining = Math.max(0, limit - w.total(now));
      return cur && cur.remaining <= remaining ? cur : { limit, remaining, resetMs: w.emptyIn(now) };
    };
    for (let i = 0; i < subjects.length; i++) {
      const { rpm, tpm, rpd } = subjects[i].limits;
      const st = states[i];
      if (rpm !== null) out.requests = tighter(out.requests, rpm, st.minute!);
      if (rpd !== null) out.requests = tighter(out.requests, rpd, st.day!);
      if (tpm !== null) out.tokens = tighter(out.tokens, tpm, st.tokens!);
    }
    return out;
  }

  /** Forgets subjects with nothing in flight and nothing counted. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, s] of this.states) {
      if (s.inFlight === 0 && (s.minute?.total(now) ?? 0) === 0 && (s.day?.total(now) ?? 0) === 0 && (s.tokens?.total(now) ?? 0) === 0) this.states.delete(k);
    }
  }
}

/** OpenAI's form of a reset time: "17ms", "1s", "6m0s", "2h5m3s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

export type LimitKind = "rpm" | "rpd" | "tpm" | "parallel";

/** Why a request is refused, in the words of the limit that refuses it (`inFlight`: the subject's requests in flight). */
export function refusalReason(s: LimitSubject, kind: LimitKind, tokens: number, inFlight: number): string {
  const who = `${s.scope} ${s.id}`;
  const l = s.limits;
  switch (kind) {
    case "rpm":
      return `${who} is at its limit of ${l.rpm} requests per minute (rpm_limit)`;
    case "rpd":
      return `${who} is at its limit of ${l.rpd} requests per day (rpd_limit)`;
    case "parallel":
      return `${who} has ${inFlight} of ${l.maxParallel} concurrent requests (max_parallel) in flight`;
    case "tpm":
      return tokens > (l.tpm ?? Infinity)
        ? `this request is estimated at ${tokens} tokens, more than the ${l.tpm} tokens per minute (tpm_limit) of ${who} allow; lower max_tokens`
        : `${who} is at its limit of ${l.tpm} tokens per minute (tpm_limit)`;
  }
}

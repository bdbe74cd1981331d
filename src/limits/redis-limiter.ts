/**
 * Rate and concurrency limits counted in Redis, so every instance sharing it enforces one
 * global limit. The same sliding windows as the in-process limiter (window.ts: 60 steps per
 * period) live in Redis hashes, one field per step plus their running sum, and one operation
 * checks every limit of every subject of a request and counts it, or refuses it: atomic, with
 * the time taken from Redis's own clock so instances agree on the windows. Concurrency slots are
 * members of a sorted set scored by a lease's end: a slot held by an instance that died is
 * freed when its lease ends. Ending a request (true-up, refund, freeing the slot) is a second
 * operation, not waited for. Both are Lua operations (redis-ops.ts) run through the Redis link
 * (src/redis/link.ts), which sends every operation of an event-loop turn in one call.
 *
 * When Redis does not answer (`limits.redis_failure`): `open` counts in this process instead,
 * each limit divided by the number of instances last seen alive (each instance renews its
 * presence every 5 s); `closed` refuses with 503. The link logs the change and exposes it
 * (`degraded`), and Redis is used again as soon as it answers.
 */
import { GatewayError } from "../core/errors.js";
import type { LimitSet, LimitSubject } from "../policy/limit-subjects.js";
import type { RedisLink } from "../redis/link.js";
import { OWED_MARK_MS, OwedCounts } from "../redis/owed.js";
import { LocalLimiter, refusalReason, type LimitKind, type Admission, type LimitReport, type LimitState, type Limiter, type Refusal } from "./limiter.js";

const PREFIX = "switchboard:rl:";
const INSTANCES_KEY = "switchboard:instances";
const HEARTBEAT_MS = 5000;

interface RedisAdmission extends Admission {
  subjects: readonly LimitSubject[];
  member: string;
  minuteStep: number;
  dayStep: number;
  /** Tokens counted on each subject's window. */
  debits: number[];
  /** Counted by the in-process fallback while Redis was down. */
  local?: Admission;
}

export type RedisFailurePolicy = "open" | "closed";

export class RedisLimiter implements Limiter {
  private readonly fallback = new LocalLimiter();
  private instances = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Token true-ups of this turn, per subject hash. */
  private readonly trueUps = new Map<string, { more: number; back: Map<number, number> }>();
  /** Requests and tokens counted by this instance alone (`open`, Redis not answering), not yet counted in Redis. */
  readonly owed: OwedCounts<LimitSet>;

  constructor(
    private readonly link: RedisLink,
    private readonly opts: { failure: RedisFailurePolicy; leaseMs: number; instanceId: string },
  ) {
    link.beforeSend(() => this.sendTrueUps());
    this.owed = new OwedCounts(link, (key, l, mark, [requests, tokens]) =>
      link.call("limits.owe", [key, mark], [OWED_MARK_MS, requests, tokens, l.rpm === null ? 0 : 1, l.tpm === null ? 0 : 1, l.rpd === null ? 0 : 1], undefined, { carry: false }),
    );
  }

  /** Starts the presence heartbeat (the link is connected by its owner). */
  async start(): Promise<void> {
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Redis's state, for /readyz. */
  status(): { state: "connected" | "degraded"; failure_policy: RedisFailurePolicy; instances: number } {
    return { state: this.link.degraded ? "degraded" : "connected", failure_policy: this.opts.failure, instances: this.instances };
  }

  /** The instances last seen alive: in `open` mode without Redis, each counts this share of every limit. */
  get instanceCount(): number {
    return this.instances;
  }

  admit(subjects: readonly LimitSubject[], tokens: number, requestId: string, upTo = 0): Promise<Admission | Refusal> {
    const keys: string[] = [];
    const args: Array<string | number> = [tokens, requestId, this.opts.leaseMs, upTo, subjects.length];
    for (const s of subjects) {
      keys.push(...keysOf(s));
      const l = s.limits;
      args.push(l.rpm ?? -1, l.tpm ?? -1, l.rpd ?? -1, l.maxParallel ?? -1);
    }
    // Counted by Redis after this instance gave up waiting (it counted in its own process): taken back.
    const late = (r: unknown) => {
      const a = this.fromScript(r as Array<number | string>, subjects, tokens, requestId);
      if (!a.refused) this.finish(a, null);
    };
    return this.link.call("limits.admit", keys, args, late).then(
      (r) => this.fromScript(r as Array<number | string>, subjects, tokens, requestId),
      (e: Error) => this.degradedAdmit(subjects, tokens, requestId, upTo, e),
    );
  }

  finish(admission: Admission, actualTokens: number | null): void {
    const a = admission as RedisAdmission;
    if (a.done) return;
    a.done = true;
    if (a.local) {
      this.fallback.finish(a.local, actualTokens);
      // Served while this instance counted alone: owed to Redis's windows (a request taken back is not).
      if (actualTokens !== null) {
        for (const s of a.subjects) {
          const l = s.limits;
          if (l.rpm !== null || l.tpm !== null || l.rpd !== null) this.owed.add(keysOf(s)[0], l, [1, actualTokens]);
        }
      }
      return;
    }
    const refund = actualTokens === null;
    if (!refund) a.tokens = actualTokens;
    if (!refund && a.subjects.every((s) => s.limits.maxParallel === null)) {
      // Only tokens to true up: merged with the other requests of the subject ending in this turn.
      a.subjects.forEach((s, i) => {
        const debit = a.debits[i] ?? 0;
        if (s.limits.tpm !== null && debit !== actualTokens) this.trueUp(keysOf(s)[0], actualTokens - debit, a.minuteStep);
      });
      return;
    }
    const keys: string[] = [];
    const args: Array<string | number> = [refund ? 1 : 0, actualTokens ?? 0, a.member, a.minuteStep, a.dayStep, a.subjects.length];
    a.subjects.forEach((s, i) => {
      keys.push(...keysOf(s));
      args.push(s.limits.rpm ?? -1, s.limits.tpm ?? -1, s.limits.rpd ?? -1, s.limits.maxParallel ?? -1, a.debits[i] ?? 0);
    });
    // Not waited for: the slot's lease ends it if Redis never runs it; the windows forget it within their period.
    this.link.call("limits.finish", keys, args).catch(() => {});
  }

  /** Counts `delta` more tokens now (positive), or gives `-delta` back to `step` (negative), with the subject's other true-ups of this turn. */
  private trueUp(key: string, delta: number, step: number): void {
    let t = this.trueUps.get(key);
    if (!t) {
      t = { more: 0, back: new Map() };
      this.trueUps.set(key, t);
      this.link.wake();
    }
    if (delta > 0) t.more += delta;
    else t.back.set(step, (t.back.get(step) ?? 0) - delta);
  }

  /** Sends this turn's true-ups, one operation per subject (run by the link just before a batch leaves). */
  private sendTrueUps(): void {
    if (this.trueUps.size === 0) return;
    for (const [key, t] of this.trueUps) {
      const args: number[] = [t.more, t.back.size];
      for (const [step, n] of t.back) args.push(step, n);
      this.link.call("limits.adjust", [key], args).catch(() => {}); // not waited for, as every end of a request
    }
    this.trueUps.clear();
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.link.ready) void this.link.command(["ZREM", INSTANCES_KEY, this.opts.instanceId]).catch(() => {});
  }

  private fromScript(r: Array<number | string>, subjects: readonly LimitSubject[], tokens: number, member: string): Admission | Refusal {
    const num = (i: number) => Number(r[i]);
    if (num(0) === 1) {
      const wait = num(1);
      const subject = subjects[num(2) - 1];
      return { refused: true, waitMs: wait === -1 ? Infinity : wait, reason: refusalReason(subject, String(r[3]) as LimitKind, tokens, subject.limits.maxParallel ?? 0), report: reportOf(r, 4) };
    }
    const debits = subjects.map((_, i) => num(9 + i));
    const admitted: RedisAdmission = { tokens: Math.max(tokens, ...debits), report: reportOf(r, 3), done: false, subjects, member, minuteStep: num(1), dayStep: num(2), debits };
    return admitted;
  }

  private degradedAdmit(subjects: readonly LimitSubject[], tokens: number, requestId: string, upTo: number, e: Error): Admission | Refusal {
    this.link.down(e);
    if (this.opts.failure === "closed") {
      throw new GatewayError("not_ready", "rate limits cannot be checked right now: Redis is unavailable (limits.redis_failure: closed)", { retryAfterSeconds: 1 });
    }
    const share = this.instances;
    const r = this.fallback.admit(share > 1 ? subjects.map((s) => ({ ...s, limits: shareOf(s.limits, share) })) : subjects, tokens, requestId, upTo);
    if (r.refused) return r;
    const admitted: RedisAdmission = { tokens: r.tokens, report: r.report, done: false, subjects, member: requestId, minuteStep: -1, dayStep: -1, debits: [], local: r };
    return admitted;
  }

  /** Renews this instance's presence and counts the instances alive (for the fallback's share). */
  private async beat(): Promise<void> {
    if (!this.link.ready) return;
    try {
      const now = Date.now();
      const [, , count] = await this.link.transaction([
        ["ZADD", INSTANCES_KEY, now + 3 * HEARTBEAT_MS, this.opts.instanceId],
        ["ZREMRANGEBYSCORE", INSTANCES_KEY, "-inf", now],
        ["ZCARD", INSTANCES_KEY],
        ["PEXPIRE", INSTANCES_KEY, 6 * HEARTBEAT_MS],
      ]);
      this.instances = Math.max(1, typeof count === "number" ? count : 1);
    } catch {
      // the next admission says whether Redis is down
    }
  }
}

/** A subject's windows (one hash) and its concurrency slots (a sorted set). */
function keysOf(s: LimitSubject): [string, string] {
  const base = `${PREFIX}${s.scope}:${s.id}`;
  return [base, `${base}:p`];
}

/** A limit divided among `n` instances (at least 1 each). */
function shareOf(l: LimitSet, n: number): LimitSet {
  const part = (v: number | null) => (v === null ? null : Math.max(1, Math.floor(v / n)));
  return { rpm: part(l.rpm), tpm: part(l.tpm), rpd: part(l.rpd), maxParallel: part(l.maxParallel) };
}

function reportOf(r: Array<number | string>, at: number): LimitReport {
  const out: LimitReport = {};
  const state = (i: number): LimitState | undefined => (Number(r[i]) === -1 ? undefined : { limit: Number(r[i]), remaining: Number(r[i + 1]), resetMs: Number(r[i + 2]) });
  const requests = state(at);
  const tokens = state(at + 3);
  if (requests) out.requests = requests;
  if (tokens) out.tokens = tokens;
  return out;
}

/**
 * Rate and concurrency limits counted in Redis, so every instance sharing it enforces one
 * global limit. The same sliding windows as the in-process limiter (window.ts: 60 steps per
 * period) live in Redis hashes, one field per step plus their running sum, and one operation
 * checks every limit of every subject of a request and counts it, or refuses it: atomic, with
 * the time taken from Redis's own clock so instances agree on the windows. Concurrency slots are
 * members of a sorted set scored by a lease's end: a slot held by an instance that died is
 * freed when its lease ends. Ending a request (true-up, refund, freeing the slot) is a second
 * operation, not waited for. Both run through the Redis link (src/redis/link.ts), which sends
 * every operation of an event-loop turn in one call.
 *
 * When Redis does not answer (`limits.redis_failure`): `open` counts in this process instead,
 * each limit divided by the number of instances last seen alive (each instance renews its
 * presence every 5 s); `closed` refuses with 503. The link logs the change and exposes it
 * (`degraded`), and Redis is used again as soon as it answers.
 */
import { GatewayError } from "../core/errors.js";
import type { LimitSet, LimitSubject } from "../policy/limit-subjects.js";
import type { RedisLink, RedisOpSet } from "../redis/link.js";
import { OWED_MARK_MS, OwedCounts } from "../redis/owed.js";
import { LocalLimiter, refusalReason, type LimitKind, type Admission, type LimitReport, type LimitState, type Limiter, type Refusal } from "./limiter.js";

const PREFIX = "switchboard:rl:";
const INSTANCES_KEY = "switchboard:instances";
const HEARTBEAT_MS = 5000;

/**
 * The windows of one subject live in one hash, `switchboard:rl:<scope>:<id>`: per window (`m`
 * requests per minute, `t` tokens per minute, `d` requests per day) a field per step (`m123`,
 * its count), `msum` (the counts still in the window), `mlo` (the oldest step that may hold a
 * count) and `mhi` (the newest step counted). One HMGET reads every window a request needs and
 * one HSET writes them back: steps that have left are dropped and taken off the sum only when the
 * window's start passes them, and per-step counts are read only to tell a refused request when it
 * would fit. Lua in Redis is slow per table and per call, so the operations keep both few.
 */
const WINDOWS_LUA = `
local STEPS, MINUTE, DAY = 60, 60000, 86400000
local NAMES = { m = { 'msum', 'mlo', 'mhi' }, t = { 'tsum', 'tlo', 'thi' }, d = { 'dsum', 'dlo', 'dhi' } }
-- Drops the steps of w that have left the window (at most once per step of the window).
local function evict(key, w)
  local s, p, gone = w.s, w.p, {}
  for k = w.lo, math.min(w.hi, s - STEPS) do gone[#gone + 1] = p .. k end
  if #gone > 0 then
    local c = redis.call('HMGET', key, unpack(gone))
    for j = 1, #c do w.sum = w.sum - tonumber(c[j] or '0') end
    redis.call('HDEL', key, unpack(gone))
  end
  if w.hi <= s - STEPS then w.sum, w.hi = 0, -1 end
  w.lo, w.fresh = s - STEPS + 1, false
  redis.call('HSET', key, w.n[1], w.sum, w.n[2], w.lo, w.n[3], w.hi)
end
-- Opens the wanted windows (requests per minute, tokens per minute, requests per day) of one
-- subject's hash with one HMGET. Each window is one table built whole (Lua resizes a table that grows).
local function open(key, wm, wt, wd)
  local sm, sd = math.floor(now / 1000), math.floor(now / 1440000)
  local fm, ft, fd
  local f = {}
  if wm then fm = 'm' .. sm; f[#f + 1] = 'msum'; f[#f + 1] = 'mlo'; f[#f + 1] = 'mhi'; f[#f + 1] = fm end
  if wt then ft = 't' .. sm; f[#f + 1] = 'tsum'; f[#f + 1] = 'tlo'; f[#f + 1] = 'thi'; f[#f + 1] = ft end
  if wd then fd = 'd' .. sd; f[#f + 1] = 'dsum'; f[#f + 1] = 'dlo'; f[#f + 1] = 'dhi'; f[#f + 1] = fd end
  if #f == 0 then return nil, nil, nil end
  local v = redis.call('HMGET', key, unpack(f))
  local j = 0
  local function make(p, field, period, s)
    local w = { p = p, n = NAMES[p], f = field, period = period, step = period / STEPS, s = s, sum = tonumber(v[j + 1] or '0'), lo = tonumber(v[j + 2] or s), hi = tonumber(v[j + 3] or '-1'), cur = tonumber(v[j + 4] or '0'), fresh = v[j + 2] == false, dirty = false, moved = false }
    j = j + 4
    if w.lo <= s - STEPS then evict(key, w) end
    return w
  end
  local m, t, d
  if wm then m = make('m', fm, MINUTE, sm) end
  if wt then t = make('t', ft, MINUTE, sm) end
  if wd then d = make('d', fd, DAY, sd) end
  return m, t, d
end
-- The count of step k of w (read only when it is not the current step).
local function countAt(key, w, k)
  if k == w.s then return w.cur end
  return tonumber(redis.call('HGET', key, w.p .. k) or '0')
end
local function add(w, n)
  if n <= 0 then return end
  w.cur, w.sum, w.dirty = w.cur + n, w.sum + n, true
  if w.hi ~= w.s then w.hi, w.moved = w.s, true end
end
-- Takes n back from step k of w, if k is still in the window.
local function take(key, w, k, n)
  if k <= w.s - STEPS or k > w.s then return end
  local c = countAt(key, w, k)
  local left = math.max(0, c - n)
  w.sum = w.sum - (c - left)
  if k == w.s then w.cur, w.dirty = left, true; return end
  if left > 0 then redis.call('HSET', key, w.p .. k, left, w.n[1], w.sum) else
    redis.call('HDEL', key, w.p .. k)
    redis.call('HSET', key, w.n[1], w.sum)
  end
end
-- Writes back what changed in the windows of one hash (one HSET); renews its expiry when a window counted in a new step.
local function save(key, m, t, d)
  local f, moved, keep = {}, false, 0
  for i = 1, 3 do
    local w = (i == 1 and m) or (i == 2 and t) or (i == 3 and d)
    if w then
      if w.period + w.step > keep then keep = w.period + w.step end
      if w.dirty then
        f[#f + 1] = w.f; f[#f + 1] = w.cur; f[#f + 1] = w.n[1]; f[#f + 1] = w.sum
        if w.moved then moved = true; f[#f + 1] = w.n[3]; f[#f + 1] = w.hi end
        if w.fresh then f[#f + 1] = w.n[2]; f[#f + 1] = w.lo end
      end
    end
  end
  if #f > 0 then redis.call('HSET', key, unpack(f)) end
  if moved then redis.call('PEXPIRE', key, keep) end
end
local function waitFor(key, w, cost, limit)
  if cost > limit then return -1 end
  local over = w.sum + cost - limit
  if over <= 0 then return 0 end
  for k = w.s - STEPS + 1, w.s do
    over = over - countAt(key, w, k)
    if over <= 0 then return (k + STEPS) * w.step - now end
  end
  return w.period
end
local function emptyIn(key, w)
  if w.sum <= 0 then return 0 end
  for k = math.min(w.hi, w.s), w.s - STEPS + 1, -1 do
    if countAt(key, w, k) > 0 then return (k + STEPS) * w.step - now end
  end
  return 0
end
`;

/**
 * KEYS from k: per subject its windows' hash and its slots (2 keys each).
 * ARGV from a: tokens, member, lease ms, up-to tokens, the number of subjects, then per subject
 * rpm, tpm, rpd, max_parallel (-1: none).
 * Returns {0, minute step, day step, report…, tokens counted per subject…} or
 * {1, wait ms (-1: never), subject index, kind, report…};
 * the report is requests limit, remaining, reset ms, tokens limit, remaining, reset ms (-1: none).
 */
const ADMIT_LUA = `
local tokens, member, lease, upto, n = tonumber(ARGV[a + 1]), ARGV[a + 2], tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
local subs = {}
local worst, worstAt, worstKind = 0, 0, ''
local function refuse(ms, i, kind)
  if ms == -1 then
    if worst ~= -1 then worst, worstAt, worstKind = -1, i, kind end
  elseif worst ~= -1 and ms > worst then worst, worstAt, worstKind = ms, i, kind end
end
for i = 1, n do
  local at, key = a + 5 + (i - 1) * 4, KEYS[k + (i - 1) * 2]
  local rpm, tpm, rpd, maxp = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local m, t, d = open(key, rpm >= 0, tpm >= 0, rpd >= 0)
  local sub = { key = key, rpm = rpm, tpm = tpm, rpd = rpd, maxp = maxp, m = m, t = t, d = d, debit = 0 }
  if m then refuse(waitFor(key, m, 1, rpm), i, 'rpm') end
  if d then refuse(waitFor(key, d, 1, rpd), i, 'rpd') end
  if t then refuse(waitFor(key, t, tokens, tpm), i, 'tpm') end
  if maxp >= 0 then
    local slots = KEYS[k + (i - 1) * 2 + 1]
    redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
    if redis.call('ZCARD', slots) + 1 > maxp then refuse(1000, i, 'parallel') end
  end
  subs[i] = sub
end
local function report()
  local rl, rr, rs, tl, tr, ts = -1, -1, -1, -1, -1, -1
  for i = 1, n do
    local sub = subs[i]
    if sub.m then
      local left = math.max(0, sub.rpm - sub.m.sum)
      if rl == -1 or left < rr then rl, rr, rs = sub.rpm, left, emptyIn(sub.key, sub.m) end
    end
    if sub.d then
      local left = math.max(0, sub.rpd - sub.d.sum)
      if rl == -1 or left < rr then rl, rr, rs = sub.rpd, left, emptyIn(sub.key, sub.d) end
    end
    if sub.t then
      local left = math.max(0, sub.tpm - sub.t.sum)
      if tl == -1 or left < tr then tl, tr, ts = sub.tpm, left, emptyIn(sub.key, sub.t) end
    end
  end
  return rl, rr, rs, tl, tr, ts
end
if worst ~= 0 then
  return { 1, worst, worstAt, worstKind, report() }
end
local mstep, dstep = -1, -1
local out = { 0, 0, 0 }
for i = 1, n do
  local sub = subs[i]
  if sub.m then add(sub.m, 1); mstep = sub.m.s end
  if sub.d then add(sub.d, 1); dstep = sub.d.s end
  if sub.t then
    sub.debit = tokens + math.min(upto, math.max(0, sub.tpm - sub.t.sum - tokens))
    add(sub.t, sub.debit)
    mstep = sub.t.s
  end
  save(sub.key, sub.m, sub.t, sub.d)
  if sub.maxp >= 0 then
    local slots = KEYS[k + (i - 1) * 2 + 1]
    redis.call('ZADD', slots, now + lease, member)
    redis.call('PEXPIRE', slots, lease)
  end
end
out[2], out[3] = mstep, dstep
local rl, rr, rs, tl, tr, ts = report()
out[4], out[5], out[6], out[7], out[8], out[9] = rl, rr, rs, tl, tr, ts
for i = 1, n do out[9 + i] = subs[i].debit end
return out
`;

/**
 * KEYS from k as for admission. ARGV from a: refund (1/0), actual, member, minute step, day
 * step, the number of subjects, then per subject rpm, tpm, rpd, max_parallel (-1: none) and the
 * tokens counted for it.
 */
const FINISH_LUA = `
local refund, actual, member = ARGV[a + 1] == '1', tonumber(ARGV[a + 2]), ARGV[a + 3]
local mstep, dstep, n = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
for i = 1, n do
  local at, key = a + 6 + (i - 1) * 5, KEYS[k + (i - 1) * 2]
  local rpm, tpm, rpd, maxp, estimate = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5])
  if maxp >= 0 then redis.call('ZREM', KEYS[k + (i - 1) * 2 + 1], member) end
  if refund then
    local m, t, d = open(key, rpm >= 0, tpm >= 0, rpd >= 0)
    if m then take(key, m, mstep, 1) end
    if d then take(key, d, dstep, 1) end
    if t then take(key, t, mstep, estimate) end
    save(key, m, t, d)
  elseif tpm >= 0 and actual ~= estimate then
    local _, t = open(key, false, true, false)
    if actual > estimate then add(t, actual - estimate) else take(key, t, mstep, estimate - actual) end
    save(key, nil, t, nil)
  end
end
return 0
`;

/**
 * The token true-ups of the requests of one subject that ended in the same turn, merged. KEYS
 * from k: the subject's hash. ARGV from a: tokens to add now, the number of steps to give back
 * to, then per step: the step and the tokens given back.
 */
const ADJUST_LUA = `
local more, n = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
local key = KEYS[k]
local _, t = open(key, false, true, false)
add(t, more)
for i = 1, n do take(key, t, tonumber(ARGV[a + 1 + i * 2]), tonumber(ARGV[a + 2 + i * 2])) end
save(key, nil, t, nil)
return 0
`;

/**
 * Requests and tokens owed by an instance that counted alone while Redis did not answer
 * (redis/owed.ts), counted now in the subject's windows. KEYS from k: the subject's hash, the
 * sum's mark. ARGV from a: how long the mark is kept, requests, tokens, then whether the subject
 * has each window (rpm, tpm, rpd: 1/0). Returns 1 (counted now) or 0 (counted before).
 */
const OWE_LUA = `
if not redis.call('SET', KEYS[k + 1], 1, 'NX', 'PX', ARGV[a + 1]) then return 0 end
local key, nreq, ntok = KEYS[k], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
local m, t, d = open(key, ARGV[a + 4] == '1' and nreq > 0, ARGV[a + 5] == '1' and ntok > 0, ARGV[a + 6] == '1' and nreq > 0)
if m then add(m, nreq) end
if t then add(t, ntok) end
if d then add(d, nreq) end
save(key, m, t, d)
return 1
`;

/** The limiter's operations, run by the Redis link (src/redis/link.ts). */
export const LIMIT_OPS: RedisOpSet = {
  prelude: WINDOWS_LUA,
  ops: [
    { name: "limits.admit", lua: ADMIT_LUA },
    { name: "limits.finish", lua: FINISH_LUA },
    { name: "limits.adjust", lua: ADJUST_LUA },
    { name: "limits.owe", lua: OWE_LUA },
  ],
};

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

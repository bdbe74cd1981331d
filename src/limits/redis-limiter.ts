/**
 * Rate and concurrency limits counted in Redis, so every instance sharing it enforces one
 * global limit. The same sliding windows as the in-process limiter (window.ts: 60 steps per
 * period) live in Redis hashes, one field per step, and one Lua script checks every limit of
 * every subject of a request and counts it, or refuses it: one round trip, atomic, with the
 * time taken from Redis's own clock so instances agree on the windows. Concurrency slots are
 * members of a sorted set scored by a lease's end: a slot held by an instance that died is
 * freed when its lease ends. Ending a request (true-up, refund, freeing the slot) is a second
 * script, sent without waiting for it.
 *
 * When Redis does not answer (`limits.redis_failure`): `open` counts in this process instead,
 * each limit divided by the number of instances last seen alive (each instance renews its
 * presence every 5 s); `closed` refuses with 503. Either way the state is logged and exposed
 * (`degraded`), and Redis is used again as soon as it answers.
 */
import { Redis } from "ioredis";
import { GatewayError } from "../core/errors.js";
import type { LimitSet, LimitSubject } from "../policy/limit-subjects.js";
import { LocalLimiter, refusalReason, type LimitKind, type Admission, type LimitReport, type LimitState, type Limiter, type Refusal } from "./limiter.js";

const PREFIX = "switchboard:rl:";
const INSTANCES_KEY = "switchboard:instances";
/** A Redis that has not answered the admission within this long counts as down for that request. */
const ADMIT_TIMEOUT_MS = 250;
const HEARTBEAT_MS = 5000;

/** The window helpers shared by both scripts. */
const WINDOWS_LUA = `
local STEPS = 60
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function load(key, period)
  local step = period / STEPS
  local s = math.floor(now / step)
  local flat = redis.call('HGETALL', key)
  local counts, sum = {}, 0
  for j = 1, #flat, 2 do
    local k, c = tonumber(flat[j]), tonumber(flat[j + 1])
    if k <= s - STEPS then redis.call('HDEL', key, flat[j]) else counts[k] = c; sum = sum + c end
  end
  return { key = key, period = period, step = step, s = s, counts = counts, sum = sum }
end
local function take(key, field, n)
  local v = tonumber(redis.call('HGET', key, field) or '0')
  local left = v - n
  if left > 0 then redis.call('HSET', key, field, left) else redis.call('HDEL', key, field) end
end
`;

/**
 * KEYS: per subject its minute, day and token windows and its slots (4 keys each).
 * ARGV: tokens, member, lease ms, up-to tokens, then per subject rpm, tpm, rpd, max_parallel (-1: none).
 * Returns {0, minute step, day step, report…, tokens counted per subject…} or
 * {1, wait ms (-1: never), subject index, kind, report…};
 * the report is requests limit, remaining, reset ms, tokens limit, remaining, reset ms (-1: none).
 */
const ADMIT_LUA = `${WINDOWS_LUA}
local tokens, member, lease, upto = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 4
local subjects = {}
local worst, worstAt, worstKind = 0, 0, ''
local function waitFor(w, cost, limit)
  if cost > limit then return -1 end
  local over = w.sum + cost - limit
  if over <= 0 then return 0 end
  for k = w.s - STEPS + 1, w.s do
    over = over - (w.counts[k] or 0)
    if over <= 0 then return (k + STEPS) * w.step - now end
  end
  return w.period
end
local function refuse(ms, i, kind)
  if ms == -1 then
    if worst ~= -1 then worst, worstAt, worstKind = -1, i, kind end
  elseif worst ~= -1 and ms > worst then worst, worstAt, worstKind = ms, i, kind end
end
for i = 1, n do
  local base = (i - 1) * 4
  local rpm, tpm, rpd, maxp = tonumber(ARGV[5 + base]), tonumber(ARGV[6 + base]), tonumber(ARGV[7 + base]), tonumber(ARGV[8 + base])
  local sub = { rpm = rpm, tpm = tpm, rpd = rpd, maxp = maxp, debit = 0 }
  if rpm >= 0 then sub.m = load(KEYS[base + 1], 60000); refuse(waitFor(sub.m, 1, rpm), i, 'rpm') end
  if rpd >= 0 then sub.d = load(KEYS[base + 2], 86400000); refuse(waitFor(sub.d, 1, rpd), i, 'rpd') end
  if tpm >= 0 then sub.t = load(KEYS[base + 3], 60000); refuse(waitFor(sub.t, tokens, tpm), i, 'tpm') end
  if maxp >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[base + 4], '-inf', now)
    sub.inflight = redis.call('ZCARD', KEYS[base + 4])
    if sub.inflight + 1 > maxp then refuse(1000, i, 'parallel') end
  end
  subjects[i] = sub
end
local function emptyIn(w)
  for k = w.s, w.s - STEPS + 1, -1 do
    if (w.counts[k] or 0) > 0 then return (k + STEPS) * w.step - now end
  end
  return 0
end
local function report()
  local rl, rr, rs, tl, tr, ts = -1, -1, -1, -1, -1, -1
  for i = 1, n do
    local sub = subjects[i]
    for _, pair in ipairs({ { sub.m, sub.rpm }, { sub.d, sub.rpd } }) do
      local w, limit = pair[1], pair[2]
      if w then
        local left = math.max(0, limit - w.sum)
        if rl == -1 or left < rr then rl, rr, rs = limit, left, emptyIn(w) end
      end
    end
    if sub.t then
      local left = math.max(0, sub.tpm - sub.t.sum)
      if tl == -1 or left < tr then tl, tr, ts = sub.tpm, left, emptyIn(sub.t) end
    end
  end
  return rl, rr, rs, tl, tr, ts
end
if worst ~= 0 then
  return { 1, worst, worstAt, worstKind, report() }
end
local mstep, dstep = -1, -1
local debits = {}
for i = 1, n do
  local sub, base = subjects[i], (i - 1) * 4
  local function add(w, cost)
    redis.call('HINCRBY', w.key, w.s, cost)
    redis.call('PEXPIRE', w.key, w.period + w.step)
    w.counts[w.s] = (w.counts[w.s] or 0) + cost
    w.sum = w.sum + cost
  end
  if sub.m then add(sub.m, 1); mstep = sub.m.s end
  if sub.d then add(sub.d, 1); dstep = sub.d.s end
  if sub.t then
    sub.debit = tokens + math.min(upto, math.max(0, sub.tpm - sub.t.sum - tokens))
    add(sub.t, sub.debit)
    mstep = sub.t.s
  end
  -- Every request in flight holds a slot, limited or not: a max_parallel set meanwhile sees them.
  redis.call('ZADD', KEYS[base + 4], now + lease, member)
  redis.call('PEXPIRE', KEYS[base + 4], lease)
  debits[i] = sub.debit
end
local out = { 0, mstep, dstep, report() }
for i = 1, n do out[#out + 1] = debits[i] end
return out
`;

/**
 * KEYS as for admission. ARGV: refund (1/0), actual, member, minute step, day step, then per
 * subject rpm, tpm, rpd, max_parallel flags (-1: none) and the tokens counted for it.
 */
const FINISH_LUA = `${WINDOWS_LUA}
local refund, actual, member = ARGV[1] == '1', tonumber(ARGV[2]), ARGV[3]
local mstep, dstep = tonumber(ARGV[4]), tonumber(ARGV[5])
local mnow = math.floor(now / 1000)
for i = 1, #KEYS / 4 do
  local base, at = (i - 1) * 4, 6 + (i - 1) * 5
  local rpm, tpm, rpd = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local estimate = tonumber(ARGV[at + 4])
  redis.call('ZREM', KEYS[base + 4], member)
  if refund then
    if rpm >= 0 and mstep > mnow - STEPS then take(KEYS[base + 1], mstep, 1) end
    if rpd >= 0 and dstep > math.floor(now / 1440000) - STEPS then take(KEYS[base + 2], dstep, 1) end
    if tpm >= 0 and mstep > mnow - STEPS then take(KEYS[base + 3], mstep, estimate) end
  elseif tpm >= 0 and actual ~= estimate then
    if actual > estimate then
      redis.call('HINCRBY', KEYS[base + 3], mnow, actual - estimate)
      redis.call('PEXPIRE', KEYS[base + 3], 61000)
    elseif mstep > mnow - STEPS then
      take(KEYS[base + 3], mstep, estimate - actual)
    end
  end
end
return 0
`;

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

type ScriptRedis = Redis & {
  switchboardAdmit(...args: Array<string | number>): Promise<Array<number | string>>;
  switchboardFinish(...args: Array<string | number>): Promise<number>;
};

export type RedisFailurePolicy = "open" | "closed";

export class RedisLimiter implements Limiter {
  private readonly redis: ScriptRedis;
  private readonly fallback: LocalLimiter;
  private readonly instanceId: string;
  private instances = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Redis did not answer the last time it was asked, or its connection is down. */
  degraded = false;
  private closing = false;

  constructor(
    url: string,
    private readonly opts: { failure: RedisFailurePolicy; leaseMs: number; instanceId: string; log: (line: string) => void },
  ) {
    this.instanceId = opts.instanceId;
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, retryStrategy: (n) => Math.min(100 * n, 1000) });
    redis.on("error", () => {});
    redis.on("ready", () => this.up());
    // A lost connection is known at once, not only when a limited request next finds it: /readyz
    // and the gauge follow it.
    redis.on("close", () => {
      if (!this.closing) this.down(new Error("connection lost"));
    });
    redis.defineCommand("switchboardAdmit", { lua: ADMIT_LUA });
    redis.defineCommand("switchboardFinish", { lua: FINISH_LUA });
    this.redis = redis as ScriptRedis;
    this.fallback = new LocalLimiter();
  }

  /** Connects (at most 2 s; a Redis that does not answer is the failure policy's business) and starts the presence heartbeat. */
  async start(): Promise<void> {
    const connected = this.redis.connect().then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([connected, new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    if (!ok) this.down(new Error("not reachable at start"));
    else await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Redis's state, for /readyz. */
  status(): { state: "connected" | "degraded"; failure_policy: RedisFailurePolicy; instances: number } {
    return { state: this.degraded ? "degraded" : "connected", failure_policy: this.opts.failure, instances: this.instances };
  }

  admit(subjects: readonly LimitSubject[], tokens: number, requestId: string, upTo = 0): Promise<Admission | Refusal> {
    if (this.redis.status !== "ready") return Promise.resolve(this.degradedAdmit(subjects, tokens, requestId, upTo, new Error(`connection ${this.redis.status}`)));
    const keys: string[] = [];
    const args: Array<string | number> = [];
    for (const s of subjects) {
      const base = `${PREFIX}${s.scope}:${s.id}:`;
      keys.push(`${base}m`, `${base}d`, `${base}t`, `${base}p`);
      const l = s.limits;
      args.push(l.rpm ?? -1, l.tpm ?? -1, l.rpd ?? -1, l.maxParallel ?? -1);
    }
    const call = this.redis.switchboardAdmit(keys.length, ...keys, tokens, requestId, this.opts.leaseMs, upTo, ...args);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ADMIT_TIMEOUT_MS} ms`)), ADMIT_TIMEOUT_MS);
    });
    return Promise.race([call, timeout]).then(
      (r) => {
        clearTimeout(timer);
        if (this.degraded) this.up();
        return this.fromScript(r, subjects, tokens, requestId);
      },
      (e: Error) => {
        clearTimeout(timer);
        call.catch(() => {}); // a late answer (or failure) of a request already given up on
        return this.degradedAdmit(subjects, tokens, requestId, upTo, e);
      },
    );
  }

  finish(admission: Admission, actualTokens: number | null): void {
    const a = admission as RedisAdmission;
    if (a.done) return;
    a.done = true;
    if (a.local) {
      this.fallback.finish(a.local, actualTokens);
      return;
    }
    const keys: string[] = [];
    const flags: number[] = [];
    a.subjects.forEach((s, i) => {
      const base = `${PREFIX}${s.scope}:${s.id}:`;
      keys.push(`${base}m`, `${base}d`, `${base}t`, `${base}p`);
      flags.push(s.limits.rpm ?? -1, s.limits.tpm ?? -1, s.limits.rpd ?? -1, s.limits.maxParallel ?? -1, a.debits[i] ?? 0);
    });
    const refund = actualTokens === null;
    this.redis.switchboardFinish(keys.length, ...keys, refund ? 1 : 0, actualTokens ?? 0, a.member, a.minuteStep, a.dayStep, ...flags).catch((e: Error) => this.down(e)); // the slot's lease ends it; the windows forget it within their period
    if (!refund) a.tokens = actualTokens;
  }

  close(): void {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    void this.redis
      .zrem(INSTANCES_KEY, this.instanceId)
      .catch(() => {})
      .finally(() => this.redis.disconnect());
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
    this.down(e);
    if (this.opts.failure === "closed") {
      throw new GatewayError("not_ready", "rate limits cannot be checked right now: Redis is unavailable (limits.redis_failure: closed)", { retryAfterSeconds: 1 });
    }
    const share = this.instances;
    const r = this.fallback.admit(share > 1 ? subjects.map((s) => ({ ...s, limits: shareOf(s.limits, share) })) : subjects, tokens, requestId, upTo);
    if (r.refused) return r;
    const admitted: RedisAdmission = { tokens: r.tokens, report: r.report, done: false, subjects, member: requestId, minuteStep: -1, dayStep: -1, debits: [], local: r };
    return admitted;
  }

  private down(e: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.opts.log(
      `redis: rate limits degraded (${e.message}): ${this.opts.failure === "open" ? `counting in this process, each limit shared among the ${this.instances} instance(s) last seen` : "refusing limited requests with 503"} until Redis answers`,
    );
  }

  private up(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.opts.log("redis: rate limits counted in Redis again");
  }

  /** Renews this instance's presence and counts the instances alive (for the fallback's share). */
  private async beat(): Promise<void> {
    if (this.redis.status !== "ready") return;
    try {
      const now = Date.now();
      const [, , count] = (await this.redis
        .multi()
        .zadd(INSTANCES_KEY, now + 3 * HEARTBEAT_MS, this.instanceId)
        .zremrangebyscore(INSTANCES_KEY, "-inf", now)
        .zcard(INSTANCES_KEY)
        .pexpire(INSTANCES_KEY, 6 * HEARTBEAT_MS)
        .exec()) as Array<[Error | null, unknown]>;
      this.instances = Math.max(1, Number(count?.[1] ?? 1));
    } catch {
      // the next admission says whether Redis is down
    }
  }
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

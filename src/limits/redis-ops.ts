/**
 * The rate limiter's operations in Redis (run by the Redis link, src/redis/link.ts): the sliding
 * windows of a subject kept in one hash, the atomic check of every limit of a request, the end of
 * a request (true-up, refund, freeing its slot), merged true-ups, and counts owed after Redis did
 * not answer. The limiter that calls them is redis-limiter.ts.
 */
import type { RedisOpSet } from "../redis/link.js";

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

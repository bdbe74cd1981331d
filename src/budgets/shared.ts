/**
 * Budget spend and reservations shared by every instance through Redis, so N instances spend a
 * budget as one. Per assignment and period, one Redis hash holds `spend` and `reserved` (integer
 * micro-USD). One script checks every assignment of a request and reserves on all of them, or
 * refuses; another settles (reserved back, actual cost spent) and tells which alert thresholds
 * this settlement crossed first, across all instances, so each alert is sent once.
 *
 * The ledger stays the truth: a hash that does not exist yet (a new period, or a Redis that lost
 * its data) is seeded with the assignment's spend summed from the usage ledger before use.
 * The local book keeps the last values Redis returned, for the remaining-budget header and for
 * alerts. When Redis does not answer, `limits.redis_failure` decides, as for rate limits: `open`
 * judges by this instance's book, `closed` refuses with 503.
 */
import type { Kysely } from "kysely";
import { Redis } from "ioredis";
import { GatewayError } from "../core/errors.js";
import { ledgerSpend } from "../store/repos/budgets.js";
import type { Database } from "../store/schema.js";
import type { Assignment, BudgetBook, Reservation } from "./book.js";

const PREFIX = "switchboard:budget:";
/** A Redis that has not answered within this long counts as down for that request. */
const TIMEOUT_MS = 250;
/** Kept this long past the period's end (or, for budgets that never reset, since last use). */
const KEEP_MS = 86_400_000;
const NEVER_RESETS_KEEP_MS = 30 * 86_400_000;

/**
 * KEYS: one hash per assignment. ARGV: micros, then per assignment: limit, enforce (1/0),
 * max per request (-1: none), keep ms. Returns {0, spend, reserved, …} (after reserving),
 * {1, i, spend, reserved} (does not fit), or {2, i} (not seeded yet).
 */
const RESERVE_LUA = `
local micros = tonumber(ARGV[1])
local n = #KEYS
for i = 1, n do
  if redis.call('HEXISTS', KEYS[i], 'spend') == 0 then return { 2, i } end
end
local spends, reserveds = {}, {}
for i = 1, n do
  local at = 2 + (i - 1) * 4
  local limit, enforce, maxreq = tonumber(ARGV[at]), ARGV[at + 1] == '1', tonumber(ARGV[at + 2])
  local spend = tonumber(redis.call('HGET', KEYS[i], 'spend') or '0')
  local reserved = tonumber(redis.call('HGET', KEYS[i], 'reserved') or '0')
  spends[i], reserveds[i] = spend, reserved
  if enforce then
    if maxreq >= 0 and micros > maxreq then return { 1, i, spend, reserved } end
    if spend >= limit or micros > limit - spend - reserved then return { 1, i, spend, reserved } end
  end
end
local out = { 0 }
for i = 1, n do
  local at = 2 + (i - 1) * 4
  if ARGV[at + 1] == '1' and micros > 0 then reserveds[i] = redis.call('HINCRBY', KEYS[i], 'reserved', micros) end
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[at + 3]))
  out[#out + 1] = spends[i]
  out[#out + 1] = reserveds[i]
end
return out
`;

/**
 * KEYS: one hash per assignment. ARGV: actual, then per assignment: reserved micros, limit,
 * keep ms, the number of thresholds, the thresholds. Returns per assignment: spend, and the
 * number then the thresholds this settlement crossed first.
 */
const SETTLE_LUA = `
local actual = tonumber(ARGV[1])
local at = 2
local out = {}
for i = 1, #KEYS do
  local micros, limit, keep, k = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local reserved = tonumber(redis.call('HGET', KEYS[i], 'reserved') or '0')
  redis.call('HSET', KEYS[i], 'reserved', math.max(0, reserved - micros))
  local spend = redis.call('HINCRBY', KEYS[i], 'spend', actual)
  redis.call('PEXPIRE', KEYS[i], keep)
  out[#out + 1] = spend
  local crossed = {}
  for j = 1, k do
    local t = tonumber(ARGV[at + 3 + j])
    if limit > 0 and spend * 100 >= t * limit and redis.call('HSETNX', KEYS[i], 'alert:' .. t, 1) == 1 then crossed[#crossed + 1] = t end
  end
  out[#out + 1] = #crossed
  for _, t in ipairs(crossed) do out[#out + 1] = t end
  at = at + 4 + k
end
return out
`;

type ScriptRedis = Redis & {
  switchboardReserve(...args: Array<string | number>): Promise<number[]>;
  switchboardSettle(...args: Array<string | number>): Promise<number[]>;
};

interface SharedReservation extends Reservation {
  /** Reserved in Redis (false: judged by the local book while Redis did not answer). */
  shared: boolean;
}

export class SharedBudgets {
  private readonly redis: ScriptRedis;
  private closing = false;
  /** Redis did not answer the last time it was asked, or its connection is down. */
  degraded = false;

  constructor(
    url: string,
    private readonly db: Kysely<Database>,
    private readonly book: BudgetBook,
    private readonly opts: { failure: "open" | "closed"; log: (line: string) => void },
  ) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true, retryStrategy: (n) => Math.min(100 * n, 1000) });
    redis.on("error", () => {});
    redis.on("ready", () => this.up());
    redis.on("close", () => {
      if (!this.closing) this.down(new Error("connection lost"));
    });
    redis.defineCommand("switchboardReserve", { lua: RESERVE_LUA });
    redis.defineCommand("switchboardSettle", { lua: SETTLE_LUA });
    this.redis = redis as ScriptRedis;
  }

  async start(): Promise<void> {
    const ok = await Promise.race([
      this.redis.connect().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref()),
    ]);
    if (!ok) this.down(new Error("not reachable at start"));
  }

  close(): void {
    this.closing = true;
    this.redis.disconnect();
  }

  /** Reserves `micros` on every assignment, in Redis for all instances; refuses as the book does. */
  async reserve(list: Assignment[], micros: number): Promise<Reservation> {
    if (this.redis.status !== "ready") return this.locally(list, micros, new Error(`connection ${this.redis.status}`));
    const keys = list.map((a) => keyOf(a));
    const args: Array<string | number> = [micros];
    for (const a of list) args.push(a.budget.limitMicros, a.budget.mode === "enforce" ? 1 : 0, a.budget.maxRequestMicros ?? -1, keepMs(a));
    for (let attempt = 0; attempt < 3; attempt++) {
      let r: number[];
      try {
        r = await withTimeout(this.redis.switchboardReserve(keys.length, ...keys, ...args));
      } catch (e) {
        return this.locally(list, micros, e as Error);
      }
      if (this.degraded) this.up();
      const code = Number(r[0]);
      if (code === 2) {
        await this.seed(list[Number(r[1]) - 1]);
        continue;
      }
      if (code === 1) {
        const a = list[Number(r[1]) - 1];
        a.spendMicros = Number(r[2]);
        a.reservedMicros = Number(r[3]);
        // The book words the refusal as it always does, from Redis's figures.
        this.book.reserve([a], micros);
        throw new GatewayError("budget_exceeded", `budget '${a.budget.id}' cannot cover this request`);
      }
      list.forEach((a, i) => {
        a.spendMicros = Number(r[1 + i * 2]);
        a.reservedMicros = Number(r[2 + i * 2]);
      });
      const reservation: SharedReservation = { entries: list.map((assignment) => ({ assignment, micros: assignment.budget.mode === "enforce" ? micros : 0 })), settled: false, shared: true };
      return reservation;
    }
    throw new GatewayError("internal_error", "budget spend could not be read from Redis");
  }

  /** Settles in Redis (not waited for); the local book follows what Redis answers. */
  settle(reservation: Reservation, actualMicros: number): void {
    const r = reservation as SharedReservation;
    if (r.settled) return;
    if (!r.shared) {
      this.book.settle(r, actualMicros);
      return;
    }
    r.settled = true;
    const keys: string[] = [];
    const args: Array<string | number> = [actualMicros];
    for (const { assignment: a, micros } of r.entries) {
      keys.push(keyOf(a));
      a.reservedMicros = Math.max(0, a.reservedMicros - micros);
      a.spendMicros += actualMicros;
      args.push(micros, a.budget.limitMicros, keepMs(a), a.budget.thresholds.length, ...a.budget.thresholds);
    }
    this.redis.switchboardSettle(keys.length, ...keys, ...args).then(
      (out) => {
        let at = 0;
        for (const { assignment: a } of r.entries) {
          a.spendMicros = Number(out[at++]);
          const n = Number(out[at++]);
          for (let j = 0; j < n; j++) this.book.announceAlert(a, Number(out[at++]));
        }
      },
      (e: Error) => this.down(e), // the reservation's hash expires with its period; the ledger has the cost
    );
  }

  /** Seeds an assignment's hash with its spend summed from the ledger (only if no other instance did meanwhile). */
  private async seed(a: Assignment): Promise<void> {
    const spend = await ledgerSpend(this.db, a.subjectType, a.subjectId, a.periodStart);
    const key = keyOf(a);
    await withTimeout(this.redis.multi().hsetnx(key, "spend", spend).hsetnx(key, "reserved", 0).pexpire(key, keepMs(a)).exec());
  }

  private locally(list: Assignment[], micros: number, e: Error): Reservation {
    this.down(e);
    if (this.opts.failure === "closed") {
      throw new GatewayError("not_ready", "budgets cannot be checked right now: Redis is unavailable (limits.redis_failure: closed)", { retryAfterSeconds: 1 });
    }
    const r: SharedReservation = { ...this.book.reserve(list, micros), shared: false };
    return r;
  }

  private down(e: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.opts.log(`redis: budgets degraded (${e.message}): ${this.opts.failure === "open" ? "judged by this instance's own book" : "refusing budgeted requests with 503"} until Redis answers`);
  }

  private up(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.opts.log("redis: budgets shared through Redis again");
  }
}

function keyOf(a: Assignment): string {
  return `${PREFIX}${a.id}:${a.periodStart.getTime()}`;
}

function keepMs(a: Assignment): number {
  return a.periodEnd ? Math.max(KEEP_MS, a.periodEnd.getTime() - Date.now() + KEEP_MS) : NEVER_RESETS_KEEP_MS;
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    }),
  ]);
}

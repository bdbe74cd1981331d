/**
 * Budget spend and reservations shared by every instance through Redis, so N instances spend a
 * budget as one. Per assignment and period, one Redis hash holds `spend` and `reserved` (integer
 * micro-USD). One operation checks every assignment of a request and reserves on all of them, or
 * refuses; another settles (reserved back, actual cost spent; the requests of an assignment that end in the same turn together) and tells which alert thresholds
 * this settlement crossed first, across all instances, so each alert is sent once.
 *
 * The ledger stays the truth: a hash that does not exist yet (a new period, or a Redis that lost
 * its data) is seeded with the assignment's spend summed from the usage ledger before use.
 * The local book keeps the last values Redis returned, for the remaining-budget header and for
 * alerts. When Redis does not answer, `limits.redis_failure` decides, as for rate limits: `open`
 * judges by this instance's book, each instance counting each request as many times as there
 * are instances (a share of what is left each), `closed` refuses with 503.
 *
 * What an instance spends while it judges alone is owed to Redis (`redis/owed.ts`): summed per
 * assignment and added to the spend there once Redis answers, ahead of the first reservations
 * judged then, once per sum.
 */
import type { Kysely } from "kysely";
import { GatewayError } from "../core/errors.js";
import { ledgerSpend } from "../store/repos/budgets.js";
import type { Database } from "../store/schema.js";
import { ANSWER_TIMEOUT_MS, EPOCH_KEY, type RedisLink, type RedisOpSet } from "../redis/link.js";
import { OWED_MARK_MS, OwedCounts } from "../redis/owed.js";
import type { Assignment, BudgetBook, Reservation } from "./book.js";

const PREFIX = "switchboard:budget:";
/** Kept this long past the period's end (or, for budgets that never reset, since last use). */
const KEEP_MS = 86_400_000;
const NEVER_RESETS_KEEP_MS = 30 * 86_400_000;

/**
 * KEYS from k: one hash per assignment. ARGV from a: micros, the number of assignments, then
 * per assignment: limit, enforce (1/0), max per request (-1: none). Returns {0, spend, reserved,
 * …} (after reserving), {1, i, spend, reserved} (does not fit), or {2, i} (not seeded yet). The
 * hash's expiry was set when it was seeded.
 */
const RESERVE_LUA = `
local micros, n = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
local out = { 0 }
for i = 1, n do
  local v = redis.call('HMGET', KEYS[k + i - 1], 'spend', 'reserved')
  if not v[1] then return { 2, i } end
  out[i * 2], out[i * 2 + 1] = tonumber(v[1]), tonumber(v[2] or '0')
end
for i = 1, n do
  local at = a + 2 + (i - 1) * 3
  local limit, maxreq = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 3])
  local spend, reserved = out[i * 2], out[i * 2 + 1]
  if ARGV[at + 2] == '1' then
    if maxreq >= 0 and micros > maxreq then return { 1, i, spend, reserved } end
    if spend >= limit or micros > limit - spend - reserved then return { 1, i, spend, reserved } end
  end
end
for i = 1, n do
  if ARGV[a + 2 + (i - 1) * 3 + 2] == '1' and micros > 0 then out[i * 2 + 1] = redis.call('HINCRBY', KEYS[k + i - 1], 'reserved', micros) end
end
return out
`;

/**
 * The settlements of one assignment's requests that ended in the same turn, merged. KEYS from k:
 * the assignment's hash, the epoch key. ARGV from a: the actual cost, the micros reserved, the
 * limit, keep ms (0: the expiry set at seeding holds), the epoch the micros were reserved in (""
 * if unknown), the number of thresholds, the thresholds. The reservation is given back only if
 * Redis still holds the data it was made in: a hash seeded again since never held it, and giving
 * it back there would give back other requests' reservations. Returns the spend, then the
 * thresholds this settlement crossed first (across all instances); {-1} when the hash is gone.
 */
const SETTLE_LUA = `
local key = KEYS[k]
-- A hash that is gone (Redis lost its data, or the period's hash expired) is not recreated with
-- this settlement alone: the next reservation seeds it from the ledger, which has this cost.
if redis.call('EXISTS', key) == 0 then return { -1 } end
local actual, micros, limit, keep, epoch, c = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), ARGV[a + 5], tonumber(ARGV[a + 6])
if micros > 0 and (epoch == '' or redis.call('GET', KEYS[k + 1]) == epoch) and redis.call('HINCRBY', key, 'reserved', -micros) < 0 then redis.call('HSET', key, 'reserved', 0) end
local spend = redis.call('HINCRBY', key, 'spend', actual)
if keep > 0 then redis.call('PEXPIRE', key, keep) end
local out = { spend }
for j = 1, c do
  local t = tonumber(ARGV[a + 6 + j])
  if limit > 0 and spend * 100 >= t * limit and redis.call('HSETNX', key, 'alert:' .. t, 1) == 1 then out[#out + 1] = t end
end
return out
`;

/**
 * Spend owed by an instance that judged alone while Redis did not answer (redis/owed.ts). KEYS
 * from k: the assignment's hash, the sum's mark, the epoch key. ARGV from a: the sum, keep ms (0:
 * the expiry set at seeding holds), how long the mark is kept, the epoch the sum is owed to (""
 * if the instance never learnt it). Returns 1 (counted now), 0 (counted before), -1 (the hash is
 * gone) or -2 (Redis lost the data the sum is owed to): in either of the last two the hash is, or
 * will be, seeded from the ledger, which has these costs, so adding them would count them twice.
 */
const OWE_LUA = `
local key = KEYS[k]
if ARGV[a + 4] ~= '' and redis.call('GET', KEYS[k + 2]) ~= ARGV[a + 4] then return -2 end
if redis.call('EXISTS', key) == 0 then return -1 end
if not redis.call('SET', KEYS[k + 1], 1, 'NX', 'PX', ARGV[a + 3]) then return 0 end
redis.call('HINCRBY', key, 'spend', tonumber(ARGV[a + 1]))
local keep = tonumber(ARGV[a + 2])
if keep > 0 then redis.call('PEXPIRE', key, keep) end
return 1
`;

/** The budgets' operations, run by the Redis link (src/redis/link.ts). */
export const BUDGET_OPS: RedisOpSet = {
  ops: [
    { name: "budgets.reserve", lua: RESERVE_LUA },
    { name: "budgets.settle", lua: SETTLE_LUA },
    { name: "budgets.owe", lua: OWE_LUA },
  ],
};

interface SharedReservation extends Reservation {
  /** Reserved in Redis (false: judged by the local book while Redis did not answer). */
  shared: boolean;
  /** The data Redis held when it made the reservation (`EPOCH_KEY`; "" if unknown). */
  epoch?: string;
}

export class SharedBudgets {
  /** Settlements of this turn, per epoch and assignment hash. */
  private readonly settling = new Map<string, { key: string; epoch: string; assignment: Assignment; micros: number; actual: number }>();
  /** Spend of requests judged by this instance alone, not yet counted in Redis. */
  readonly owed: OwedCounts<Assignment>;

  constructor(
    private readonly link: RedisLink,
    private readonly db: Kysely<Database>,
    private readonly book: BudgetBook,
    private readonly opts: { failure: "open" | "closed"; instances?: () => number },
  ) {
    link.beforeSend(() => this.sendSettlements());
    this.owed = new OwedCounts(link, (key, a, mark, [micros], epoch) =>
      link.call("budgets.owe", [key, mark, EPOCH_KEY], [micros, a.periodEnd ? 0 : keepMs(a), OWED_MARK_MS, epoch], undefined, { carry: false }),
    );
  }

  /** Reserves `micros` on every assignment, in Redis for all instances; refuses as the book does. */
  async reserve(list: Assignment[], micros: number): Promise<Reservation> {
    const keys = list.map((a) => keyOf(a));
    const args: Array<string | number> = [micros, list.length];
    for (const a of list) args.push(a.budget.limitMicros, a.budget.mode === "enforce" ? 1 : 0, a.budget.maxRequestMicros ?? -1);
    for (let attempt = 0; attempt < 3; attempt++) {
      let r: number[];
      try {
        r = (await this.link.call("budgets.reserve", keys, args, (late) => this.releaseLate(list, micros, late as number[]))) as number[];
      } catch (e) {
        return this.locally(list, micros, e as Error);
      }
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
      const reservation: SharedReservation = {
        entries: list.map((assignment) => ({ assignment, micros: assignment.budget.mode === "enforce" ? micros : 0 })),
        settled: false,
        shared: true,
        epoch: this.link.epoch ?? "", // the answer that made it told the link
      };
      return reservation;
    }
    throw new GatewayError("internal_error", "budget spend could not be read from Redis");
  }

  /** Settles in Redis (not waited for); the local book follows what Redis answers. */
  settle(reservation: Reservation, actualMicros: number): void {
    const r = reservation as SharedReservation;
    if (r.settled) return;
    if (r.extra) {
      // Held elsewhere than `r` (Redis, or this instance's book): given back there.
      for (const x of r.extra) this.settle(x, 0);
      r.extra = undefined;
    }
    if (!r.shared) {
      this.book.settle(r, actualMicros);
      if (actualMicros > 0) for (const { assignment } of r.entries) this.owed.add(keyOf(assignment), assignment, [actualMicros]);
      return;
    }
    r.settled = true;
    const epoch = r.epoch ?? "";
    for (const { assignment: a, micros } of r.entries) {
      a.reservedMicros = Math.max(0, a.reservedMicros - micros);
      a.spendMicros += actualMicros;
      const key = keyOf(a);
      const id = epoch + " " + key;
      let m = this.settling.get(id);
      if (!m) {
        m = { key, epoch, assignment: a, micros: 0, actual: 0 };
        this.settling.set(id, m);
        this.link.wake();
      }
      m.micros += micros;
      m.actual += actualMicros;
    }
  }

  /** Sends this turn's settlements, one operation per assignment (run by the link just before a batch leaves). */
  private sendSettlements(): void {
    if (this.settling.size === 0) return;
    for (const { key, epoch, assignment: a, micros, actual } of this.settling.values()) {
      // A budget that never resets is kept while it is used; a periodic one until a day after its period.
      const args = [actual, micros, a.budget.limitMicros, a.periodEnd ? 0 : keepMs(a), epoch, a.budget.thresholds.length, ...a.budget.thresholds];
      this.link.call("budgets.settle", [key, EPOCH_KEY], args).then(
        (answer) => {
          const out = answer as number[];
          if (Number(out[0]) === -1) return; // the hash was gone: seeded from the ledger next time
          a.spendMicros = Number(out[0]);
          for (let j = 1; j < out.length; j++) this.book.announceAlert(a, Number(out[j]));
        },
        () => {}, // the link marks Redis down; the reservation's hash expires with its period; the ledger has the cost
      );
    }
    this.settling.clear();
  }

  /**
   * A reservation Redis made after this instance had stopped waiting for it (the request went on
   * without it): given back at once, or it would hold part of the budget for the whole period.
   */
  private releaseLate(list: Assignment[], micros: number, answer: number[]): void {
    if (Number(answer[0]) !== 0 || micros <= 0) return;
    for (const a of list) {
      if (a.budget.mode !== "enforce") continue;
      this.link.call("budgets.settle", [keyOf(a), EPOCH_KEY], [0, micros, a.budget.limitMicros, 0, this.link.epoch ?? "", 0]).catch(() => {});
    }
  }

  /** Seeds an assignment's hash with its spend summed from the ledger (only if no other instance did meanwhile). */
  private async seed(a: Assignment): Promise<void> {
    const spend = await ledgerSpend(this.db, a.subjectType, a.subjectId, a.periodStart);
    const key = keyOf(a);
    await withTimeout(
      this.link.transaction([
        ["HSETNX", key, "spend", spend],
        ["HSETNX", key, "reserved", 0],
        ["PEXPIRE", key, keepMs(a)],
      ]),
    );
  }

  private locally(list: Assignment[], micros: number, e: Error): Reservation {
    this.link.down(e);
    if (this.opts.failure === "closed") {
      throw new GatewayError("not_ready", "budgets cannot be checked right now: Redis is unavailable (limits.redis_failure: closed)", { retryAfterSeconds: 1 });
    }
    // Each instance judges alone meanwhile: each holds a share of what is left, as rate limits
    // do, by reserving the request's cost once for every instance last seen alive.
    const r: SharedReservation = { ...this.book.reserve(list, micros * Math.max(1, this.opts.instances?.() ?? 1)), shared: false };
    return r;
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
      timer = setTimeout(() => reject(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
    }),
  ]);
}

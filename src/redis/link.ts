/**
 * The gateway's connection to Redis for the state every instance shares: rate-limit windows,
 * concurrency slots, budget spend and reservations. Each of those is a Lua operation (`RedisOp`)
 * run atomically inside Redis; every operation asked for in one turn of the event loop leaves in
 * one EVALSHA of one script, which runs them in the order they were asked for and answers all of
 * them at once. So a request waits for one round trip whatever it needs (its limit check and its
 * reservation travel together), and under load the cost of a call, in this process and in Redis,
 * is shared by every request of the turn instead of paid per operation.
 *
 * A batch that Redis does not answer within 250 ms (or a connection that is down) fails every
 * operation in it; their owners then follow `limits.redis_failure`. The ends of requests (what
 * the `beforeSend` functions add) are the exception while the connection is down: they were never
 * sent, so nothing of them ran, and they wait (up to 4,096 operations) to lead the first batch
 * once Redis is back. Otherwise a request that ended during a dropped connection would keep its
 * budget reservation in Redis and its cost would never count there. An end that was sent but not
 * answered is not sent again: Redis may have run it. A batch refused before it was written (Redis
 * stopped reading its connection) is the same as one that could not leave: its ends are carried.
 *
 * The script is loaded on every connection and run with EVALSHA; a Redis that lost it since (a
 * `SCRIPT FLUSH`) answers NOSCRIPT, and that batch is sent again with EVAL, which runs it (once:
 * a NOSCRIPT batch ran nothing). Batches already on their way meanwhile may then run before the
 * one sent again, so the ends it carries count a few milliseconds later than the starts of
 * those batches: the same as when an end on one instance and a start on another cross, and
 * each operation still runs exactly once. The link tracks whether Redis
 * answers (`degraded`), logs each change once and recovers by itself as soon as Redis answers.
 */
import { createHash, randomUUID } from "node:crypto";
import { parseRedisUrl } from "../config/redis-url.js";
import { NotSentError, RespConnection, type Arg, type Reply } from "./resp.js";

/**
 * One operation: a Lua function body that sees `now` (ms), `k` (the index in KEYS of its first
 * key) and `a` (its first argument is `ARGV[a + 1]`), and returns a table or a number. Offsets
 * instead of tables of its own: Lua in Redis pays about a microsecond per table.
 */
export interface RedisOp {
  name: string;
  lua: string;
}

/** Operations and the Lua helpers they share, as one module (the limiter's, the budgets'). */
export interface RedisOpSet {
  /** Lua defined once before the operations (helper functions; may use `now`). */
  prelude?: string;
  ops: readonly RedisOp[];
}

/**
 * Names the data this Redis holds: set by the first batch that finds it missing, so a Redis that
 * lost its data (restarted without persistence, flushed) soon has a new one, and every batch's
 * answer tells the link the current one. An operation can then tell what was counted against
 * data Redis has lost since (`owed.ts`).
 */
export const EPOCH_KEY = "switchboard:epoch";
const EPOCH_LUA = "if not redis.call('GET', KEYS[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return redis.call('GET', KEYS[1])";

/** A batch that has not been answered within this long counts as Redis not answering. */
export const ANSWER_TIMEOUT_MS = 250;
/** Ends of requests wait at most this long for a batch to ride with. */
const WAKE_MS = 2;
/** At most this many operations per batch; more leave in the next. */
const MAX_OPS = 512;
/** Ends of requests that Redis could not be sent (it was not reading) are sent again after this long, or with the next batch. */
const CARRY_RETRY_MS = 100;
/** At most this many ends of requests wait for a connection that is down; later ones are lost (the earlier are kept). */
const MAX_CARRIED_OPS = 4096;

/**
 * The script: KEYS[1] is `EPOCH_KEY`; ARGV[1] is the clock to use (-1: Redis's own, so every
 * instance agrees), ARGV[2] the number of operations, ARGV[3] the epoch to name the data with if
 * it has none; then per operation its index, number of keys and number of arguments, followed by
 * its arguments. The keys of all operations follow one another in KEYS from KEYS[2]. Each
 * operation runs protected: an error answers {'err', message} for that operation alone. After
 * the operations' answers comes the epoch.
 */
function script(sets: readonly RedisOpSet[]): string {
  const ops = sets.flatMap((s) => s.ops);
  const fns = ops.map((op, i) => `OPS[${i + 1}] = function(k, a)\n${op.lua}\nend`).join("\n");
  return `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
${sets.map((s) => s.prelude ?? "").join("\n")}
local OPS = {}
${fns}
local out = {}
local n = tonumber(ARGV[2])
local k, a = 2, 4
for o = 1, n do
  local op, nk, na = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local ok, r = pcall(OPS[op], k, a + 2)
  if ok then out[o] = r else out[o] = { 'err', tostring(r) } end
  k, a = k + nk, a + 3 + na
end
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[1], epoch)
end
out[n + 1] = epoch
return out
`;
}

/** What one operation answered: a number, a string, or a list of them. */
export type OpResult = unknown;

interface Settle {
  resolve: (r: OpResult) => void;
  reject: (e: Error) => void;
  late?: (r: OpResult) => void;
  /** Refused, not carried, when its batch could not leave (its owner sends it again itself). */
  noCarry?: true;
}

interface Pending {
  keys: string[];
  args: Array<string | number>;
  settle: Settle[];
}

export class RedisLink {
  private readonly conn: RespConnection;
  private readonly script: string;
  private readonly sha: string;
  private readonly index = new Map<string, number>();
  private pending: Pending | null = null;
  private closing = false;
  private readonly listeners: Array<(degraded: boolean) => void> = [];
  private readonly flushers: Array<() => void> = [];
  private waking: NodeJS.Timeout | undefined;
  /** One retry at a time for ends refused unsent (however many batches were refused meanwhile). */
  private carryRetry: NodeJS.Timeout | undefined;
  /** Ends of requests that could not leave while the connection was down, sent first once it is up. */
  private carried: Pending | null = null;
  /** The `beforeSend` functions are adding their operations (accepted even while the connection is down). */
  private flushing = false;
  /** Redis did not answer the last batch in time, or its connection is down. */
  degraded = false;
  /** The data Redis held at its last answer (`EPOCH_KEY`; read on every connection and with every batch); undefined before the first. */
  epoch: string | undefined;
  /** The epoch this link names the data with if Redis has none. */
  private readonly newEpoch = randomUUID();

  constructor(
    url: string,
    sets: readonly RedisOpSet[],
    private readonly opts: { log: (line: string) => void; describeFallback: () => string; clock?: () => number },
  ) {
    sets.flatMap((s) => s.ops).forEach((op, i) => this.index.set(op.name, i + 1));
    this.script = script(sets);
    this.sha = createHash("sha1").update(this.script).digest("hex");
    this.conn = new RespConnection(parseRedisUrl(url), {
      // Loaded on every connection, so EVALSHA finds it (a Redis that restarted has forgotten it).
      hello: [["SCRIPT", "LOAD", this.script]],
      onReady: () => {
        this.up();
        if (this.carried) this.wake();
        void this.readEpoch();
      },
      // A lost connection is known at once, not only when a request next finds it: /readyz and the gauge follow it.
      onDown: (e) => {
        if (!this.closing) this.down(e);
      },
    });
  }

  /** Connects (at most 2 s; a Redis that does not answer is the failure policy's business). */
  async start(): Promise<void> {
    const connected = this.conn.connect().then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([connected, new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    if (!ok && !this.closing) this.down(new Error("not reachable at start"));
    if (ok) await this.readEpoch();
  }

  /** Learns the data Redis holds (naming it if it has no name yet), as every batch's answer does too. */
  private readEpoch(): Promise<void> {
    return this.conn.send(["EVAL", EPOCH_LUA, 1, EPOCH_KEY, this.newEpoch]).then(
      (r) => {
        if (typeof r === "string") this.epoch = r;
      },
      () => {}, // the next batch's answer tells it
    );
  }

  /** Whether a call can be sent now (a call on a connection that is down fails at once). */
  get ready(): boolean {
    return this.conn.status === "ready";
  }

  /** Told of every change of `degraded`. */
  onChange(f: (degraded: boolean) => void): void {
    this.listeners.push(f);
  }

  /**
   * Runs operation `name` on `keys` with `args`, in the batch of this turn. Resolves with what the
   * operation returned; rejects when Redis does not answer the batch in time, or the operation
   * failed in Redis. `late` hears what Redis answered after the link gave up on the batch: the
   * operation ran although its caller went on without it, and may need undoing.
   */
  call(name: string, keys: readonly string[], args: ReadonlyArray<string | number>, late?: (r: OpResult) => void, opts?: { carry: false }): Promise<OpResult> {
    const op = this.index.get(name);
    if (op === undefined) return Promise.reject(new Error(`unknown Redis operation '${name}'`));
    if (!this.ready && !this.flushing) return Promise.reject(new Error(`connection ${this.conn.status}`));
    let p = this.pending;
    if (!p || p.settle.length >= MAX_OPS) p = this.open();
    for (const k of keys) p.keys.push(k);
    p.args.push(op, keys.length, args.length);
    for (const v of args) p.args.push(v);
    return new Promise((resolve, reject) => {
      const entry: Settle = late ? { resolve, reject, late } : { resolve, reject };
      if (opts?.carry === false) entry.noCarry = true;
      p.settle.push(entry);
    });
  }

  /**
   * Registers `f` to run just before each batch leaves, so that it may add operations it
   * collected during the turn: the ends of several requests on the same counters, merged into one.
   */
  beforeSend(f: () => void): void {
    this.flushers.push(f);
  }

  /**
   * Makes sure a batch leaves soon for what a `beforeSend` function will add: with the next batch
   * a request opens, or on its own after at most 2 ms. Ends of requests ride along with the
   * starts of the next ones instead of costing a call of their own.
   */
  wake(): void {
    if (this.pending || this.waking || this.closing) return;
    this.waking = setTimeout(() => {
      this.waking = undefined;
      if (!this.pending) this.open();
    }, WAKE_MS);
    this.waking.unref();
  }

  /** Runs a plain command outside the batches (rare paths: presence, seeding). */
  command(args: readonly Arg[]): Promise<Reply> {
    return this.conn.send(args);
  }

  /** Runs commands as one MULTI/EXEC transaction; resolves with their answers. */
  transaction(commands: readonly Arg[][]): Promise<Reply[]> {
    return this.conn.transaction(commands);
  }

  close(): void {
    this.closing = true;
    clearTimeout(this.waking);
    clearTimeout(this.carryRetry);
    this.conn.close();
  }

  /** Marks Redis as not answering (logged once until it answers again). */
  down(e: Error): void {
    if (this.degraded) return;
    this.degraded = true;
    this.opts.log(`redis: not answering (${e.message}): ${this.opts.describeFallback()} until Redis answers`);
    for (const f of this.listeners) f(true);
  }

  private up(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.opts.log("redis: answering again: limits and budgets are shared through Redis again");
    for (const f of this.listeners) f(false);
  }

  private open(): Pending {
    const batch: Pending = (this.pending = { keys: [], args: [], settle: [] });
    setImmediate(() => {
      if (this.pending === batch) this.pending = null;
      this.send(batch);
    });
    return batch;
  }

  /**
   * Keeps ends of requests for the first batch after the connection is back, the oldest first,
   * up to MAX_CARRIED_OPS; fails the newer ones beyond that, and those whose owner sends them
   * again itself.
   */
  private carry(ends: Pending, e: Error): void {
    if (ends.settle.length === 0) return;
    if (this.closing) {
      for (const s of ends.settle) s.reject(e);
      return;
    }
    let room = MAX_CARRIED_OPS - (this.carried?.settle.length ?? 0);
    const kept = filtered(ends, (s) => {
      if (s.noCarry || room <= 0) {
        s.reject(e);
        return false;
      }
      room--;
      return true;
    });
    if (kept.settle.length) this.carried = this.carried ? joined(this.carried, kept) : kept;
  }

  private send(queued: Pending): void {
    // What the `beforeSend` functions add goes first: requests that ended in this turn are
    // accounted before the requests that started in it are judged.
    const front: Pending = (this.pending = { keys: [], args: [], settle: [] });
    this.flushing = true;
    try {
      for (const f of this.flushers) f();
    } finally {
      this.flushing = false;
    }
    if (this.pending === front) this.pending = null;
    if (!this.ready) {
      const e = new Error(`connection ${this.conn.status}`);
      this.carry(front, e);
      if (!this.closing) this.down(e);
      for (const s of queued.settle) s.reject(e);
      return;
    }
    const ends = this.carried ? joined(this.carried, front) : front;
    this.carried = null;
    const batch = joined(ends, queued);
    const { settle } = batch;
    if (settle.length === 0) return;
    const fail = (e: Error) => {
      if (!this.closing) this.down(e);
      for (const s of settle) s.reject(e);
    };
    const now = this.opts.clock ? Math.floor(this.opts.clock()) : -1;
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      fail(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    this.evaluate(batch, now).then(
      (out) => {
        clearTimeout(timer);
        if (answered) {
          // Given up on: its callers already followed the failure policy; what ran is undone by those that asked.
          for (let i = 0; i < settle.length; i++) {
            const r = out[i];
            if (!(Array.isArray(r) && r[0] === "err")) settle[i].late?.(r);
          }
          return;
        }
        answered = true;
        this.up();
        for (let i = 0; i < settle.length; i++) {
          const r = out[i];
          if (Array.isArray(r) && r[0] === "err") settle[i].reject(new Error(`Redis operation failed: ${String(r[1])}`));
          else settle[i].resolve(r);
        }
      },
      (e: Error) => {
        clearTimeout(timer);
        if (answered) return;
        answered = true;
        if (e instanceof NotSentError) {
          // Never written (Redis stopped reading, or the connection went down): nothing of it ran,
          // so its ends of requests wait for the next batch, as while the connection is down.
          if (!this.closing) this.down(e);
          this.carry(ends, e);
          for (const s of queued.settle) s.reject(e);
          // Tried again in a while even if no request comes meanwhile (a reconnection wakes it too).
          if (this.carried && !this.closing && !this.carryRetry) {
            this.carryRetry = setTimeout(() => {
              this.carryRetry = undefined;
              this.wake();
            }, CARRY_RETRY_MS);
            this.carryRetry.unref();
          }
          return;
        }
        fail(e);
      },
    );
  }

  /** Runs a batch with EVALSHA; with EVAL when Redis does not know the script (it was flushed since the connection loaded it). */
  private async evaluate(batch: Pending, now: number): Promise<Reply[]> {
    const command: Arg[] = ["EVALSHA", this.sha, batch.keys.length + 1, EPOCH_KEY];
    for (const k of batch.keys) command.push(k);
    command.push(now, batch.settle.length, this.newEpoch);
    for (const v of batch.args) command.push(v);
    let out: Reply;
    try {
      out = await this.conn.send(command);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith("NOSCRIPT")) throw e;
      command[0] = "EVAL";
      command[1] = this.script;
      out = await this.conn.send(command);
    }
    if (!Array.isArray(out)) throw new Error("unexpected answer from the batch script");
    const epoch = out[batch.settle.length];
    if (typeof epoch === "string") this.epoch = epoch;
    return out;
  }
}

/** The operations of `p` that `keep` keeps, in order (`p` itself when it keeps them all). */
function filtered(p: Pending, keep: (s: Settle) => boolean): Pending {
  const out: Pending = { keys: [], args: [], settle: [] };
  let k = 0;
  let a = 0;
  for (const s of p.settle) {
    const nk = Number(p.args[a + 1]);
    const end = a + 3 + Number(p.args[a + 2]);
    if (keep(s)) {
      for (let i = k; i < k + nk; i++) out.keys.push(p.keys[i]);
      for (let i = a; i < end; i++) out.args.push(p.args[i]);
      out.settle.push(s);
    }
    k += nk;
    a = end;
  }
  return out.settle.length === p.settle.length ? p : out;
}

/** `first`'s operations, then `then`'s, as one batch (either itself when the other is empty). */
function joined(first: Pending, then: Pending): Pending {
  if (first.settle.length === 0) return then;
  if (then.settle.length === 0) return first;
  return { keys: first.keys.concat(then.keys), args: first.args.concat(then.args), settle: first.settle.concat(then.settle) };
}

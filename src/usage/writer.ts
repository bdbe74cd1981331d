/**
 * The batched usage writer. `record()` only appends the row to a bounded in-memory queue;
 * batches go to the database off the hot path, one multi-row idempotent INSERT per batch, on a
 * timer and whenever a batch fills up.
 *
 * On its own it is an in-memory `UsageSink` (rows are lost if the process dies). The durable
 * ledger (`openUsageLedger`, durable.ts) drives the same writer through `enqueue()` and
 * `WriterHooks`: every queued row carries a tag (its spool segment), the writer reports rows
 * leaving the queue with `settled(tag, n)`, and pulls rows kept only on disk with `refill()`.
 *
 * Failure handling:
 * - database unreachable (or any other transient error): the rows stay queued, the attempt is
 *   counted in `stats.failedFlushes`, and background retries back off exponentially;
 * - queue full: `record()` drops and counts the row in `stats.dropped` (never silent, never
 *   thrown); `enqueue()` returns false and lets the caller keep the row elsewhere;
 * - a row the database rejects for its data (SQLSTATE class 22/23) is isolated by retrying the
 *   batch row by row, then dropped and counted, so one bad row cannot block the ledger.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { checkRecord, insertUsageLines, isPermanentRowError, MAX_ROWS_PER_INSERT, usageLine } from "./ledger.js";
import type { UsageRecord, UsageSink } from "./types.js";

export interface UsageWriterOptions {
  /** Rows per INSERT; a full batch is written at once (default 200, at most 2000). */
  batchSize?: number;
  /** Interval of the flush timer (default 200 ms); also the first retry delay. */
  flushIntervalMs?: number;
  /** Most rows held in memory, written or not; beyond that rows are dropped (default 100000). */
  maxQueue?: number;
  /**
   * Most characters of serialised rows held in memory (default 128 Mi): rows with stored content
   * are up to ~64 KiB each, so the row count alone would not bound memory. Past it, as past
   * `maxQueue`, `enqueue()` refuses (the durable ledger keeps the row on disk only).
   */
  maxQueueChars?: number;
  /** Upper bound of the retry backoff while the database fails (default 10000 ms). */
  maxRetryDelayMs?: number;
  /** Told about every failed write (`permanent`: a row was rejected and dropped). For logs. */
  onError?: (err: unknown, info: { rows: number; permanent: boolean }) => void;
}

export interface UsageWriterStats {
  /** Rows in memory, not yet written. */
  queued: number;
  /** Rows inserted (a duplicate of an existing (request_id, attempt) is not counted). */
  written: number;
  /** Rows lost: queue full, recorded after close(), or rejected by the database. */
  dropped: number;
  /** Write attempts that failed and left their rows queued. */
  failedFlushes: number;
}

/** How an owner that keeps rows outside the queue (the spool) plugs into the writer. */
export interface WriterHooks<Tag> {
  /** `rows` rows queued with `tag` left the queue (inserted, already stored, or rejected), oldest first. */
  settled(tag: Tag, rows: number): void;
  /** True while rows wait outside the queue. Drives the timer when the queue is empty. */
  pending(): boolean;
  /**
   * Moves up to `room` waiting rows into the queue with `enqueue()`. Resolves to the number moved;
   * 0 when nothing (more) waits, or nothing before `until` (a mark from `mark()`, set by `flush()`).
   */
  refill(room: number, until: unknown): Promise<number>;
  /** A mark of "everything waiting now", for `flush()` to stop at (so it ends under load). */
  mark(): unknown;
}

interface Batch<Tag> {
  /**
   * Each row serialised as JSON. The queue holds flat strings, not row objects: rows wait here
   * up to a flush interval, and a string is far cheaper for the garbage collector to keep.
   */
  rows: string[];
  /** Characters of `rows`, in all. */
  chars: number;
  /** Run-length tags of `rows`: `counts[i]` consecutive rows carry `tags[i]`. */
  tags: Tag[];
  counts: number[];
}

/** Background drains move at most this many batches' worth of refilled rows before yielding the lock. */
const REFILL_BATCHES_PER_DRAIN = 20;

export class UsageWriter<Tag = null> implements UsageSink {
  /** Live counters (read them, don't write them); exported as metrics by the caller. */
  readonly stats: UsageWriterStats;

  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxQueueChars: number;
  /** Characters of the rows queued now. */
  private queuedChars = 0;
  private readonly maxRetryDelayMs: number;
  private readonly onError: NonNullable<UsageWriterOptions["onError"]>;
  private readonly hooks: WriterHooks<Tag> | undefined;

  /** Sealed batches, oldest first. Only the drain removes from the front. */
  private readonly batches: Batch<Tag>[] = [];
  /** The batch being filled by `record()` / `enqueue()`. */
  private tail: Batch<Tag> = newBatch();
  /** Serialises drains (background and explicit) so rows are written in order, once. */
  private lock: Promise<void> = Promise.resolve();
  private backgroundBusy = false;
  private kickScheduled = false;
  private consecutiveFailures = 0;
  private nextAttemptAt = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  /**
   * `hooks` and `stats` are for the durable ledger: its stats object (a superset) is updated in
   * place. Without hooks, `Tag` is `null` and `record()` is the whole interface.
   */
  constructor(
    private readonly db: Kysely<Database>,
    opts: UsageWriterOptions = {},
    hooks?: WriterHooks<Tag>,
    stats?: UsageWriterStats,
  ) {
    this.batchSize = positiveInt("batchSize", opts.batchSize ?? 200);
    if (this.batchSize > MAX_ROWS_PER_INSERT) {
      throw new RangeError(`batchSize must be at most ${MAX_ROWS_PER_INSERT}, got ${this.batchSize}`);
    }
    this.flushIntervalMs = positiveInt("flushIntervalMs", opts.flushIntervalMs ?? 200);
    this.maxQueue = positiveInt("maxQueue", opts.maxQueue ?? 100_000);
    this.maxQueueChars = positiveInt("maxQueueChars", opts.maxQueueChars ?? 128 * 1024 * 1024);
    this.maxRetryDelayMs = positiveInt("maxRetryDelayMs", opts.maxRetryDelayMs ?? 10_000);
    this.onError = opts.onError ?? (() => {});
    this.hooks = hooks;
    this.stats = stats ?? { queued: 0, written: 0, dropped: 0, failedFlushes: 0 };
    this.timer = setInterval(this.onTick, this.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * Queues one row. O(1), synchronous; drops (and counts) when the queue is full. Throws a
   * TypeError for a malformed row (no request id, attempt or creation time).
   */
  record(row: UsageRecord): void {
    checkRecord(row);
    if (this.closed || !this.enqueue(usageLine(row), null as Tag)) this.stats.dropped++;
  }

  /** Queues one row, serialised as JSON, with its tag; false (nothing queued) when the queue is full. O(1). */
  enqueue(row: string, tag: Tag): boolean {
    const stats = this.stats;
    if (stats.queued >= this.maxQueue || (stats.queued > 0 && this.queuedChars + row.length > this.maxQueueChars)) return false;
    const tail = this.tail;
    tail.rows.push(row);
    tail.chars += row.length;
    this.queuedChars += row.length;
    const last = tail.tags.length - 1;
    if (last >= 0 && tail.tags[last] === tag) tail.counts[last]++;
    else {
      tail.tags.push(tag);
      tail.counts.push(1);
    }
    stats.queued++;
    if (tail.rows.length >= this.batchSize) {
      this.batches.push(tail);
      this.tail = newBatch();
      this.kick();
    }
    return true;
  }

  /** Rows that fit in the queue now (none while its characters are at their bound). */
  room(): number {
    if (this.stats.queued > 0 && this.queuedChars >= this.maxQueueChars) return 0;
    return Math.max(0, this.maxQueue - this.stats.queued);
  }

  /**
   * Writes every row queued when the call starts (and, with hooks, every row waiting outside the
   * queue at that moment). Rejects with the database error when a write fails; the unwritten
   * rows stay queued (or waiting) for the next attempt.
   */
  flush(): Promise<void> {
    const until = this.hooks?.mark();
    return this.exclusive(async () => {
      await this.drain(true, until, Infinity);
    });
  }

  /** Stops the timer and flushes. Rows recorded afterwards are dropped. Rejects like `flush()`. */
  async close(): Promise<void> {
    this.stop();
    await this.flush();
  }

  /** Stops the timer and refuses later `record()`s, without flushing. */
  stop(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** Schedules a background drain now (e.g. rows started waiting on disk), unless backing off. */
  wake(): void {
    this.kick();
  }

  private readonly onTick = (): void => {
    if (Date.now() < this.nextAttemptAt) return;
    if (this.stats.queued > 0 || this.hooks?.pending()) this.background(true);
  };

  private readonly onKick = (): void => {
    this.kickScheduled = false;
    if (Date.now() >= this.nextAttemptAt) this.background(false);
  };

  /** Schedules a background drain soon (a full batch is waiting), outside the caller's stack. */
  private kick(): void {
    if (this.kickScheduled || this.backgroundBusy || this.closed) return;
    this.kickScheduled = true;
    setImmediate(this.onKick);
  }

  /** Drains in the background; only the timer writes a partly filled batch (`sealTail`). */
  private background(sealTail: boolean): void {
    if (this.backgroundBusy) return;
    this.backgroundBusy = true;
    let more = false;
    this.exclusive(async () => {
      more = await this.drain(sealTail, undefined, REFILL_BATCHES_PER_DRAIN);
    }).then(
      () => {
        this.backgroundBusy = false;
        // More full batches arrived meanwhile, or refilling stopped at its round limit: go again
        // (after any waiting flush()).
        if (this.batches.length > 0 || more) this.kick();
      },
      () => {
        this.backgroundBusy = false; // already counted and reported; the timer retries
      },
    );
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes the batches present now (and the tail if asked), oldest first; then, with hooks,
   * moves waiting rows into the queue and writes them, up to `refills` rounds. Resolves to true
   * when it stopped at the round limit with rows still waiting. Throws on a transient failure.
   */
  private async drain(sealTail: boolean, until: unknown, refills: number): Promise<boolean> {
    if (sealTail) this.sealTail();
    for (let n = this.batches.length; n > 0 && this.batches.length > 0; n--) {
      await this.writeHead();
    }
    const hooks = this.hooks;
    if (!hooks) return false;
    for (let round = 0; round < refills; round++) {
      const room = Math.min(this.room(), this.batchSize);
      if (room === 0 || (await hooks.refill(room, until)) === 0) return false;
      this.sealTail();
      while (this.batches.length > 0) await this.writeHead();
    }
    return hooks.pending();
  }

  private sealTail(): void {
    if (this.tail.rows.length > 0) {
      this.batches.push(this.tail);
      this.tail = newBatch();
    }
  }

  private async writeHead(): Promise<void> {
    const batch = this.batches[0];
    try {
      const inserted = await insertUsageLines(this.db, batch.rows);
      this.stats.written += inserted;
      this.stats.queued -= batch.rows.length;
      this.queuedChars -= batch.chars;
      this.batches.shift();
      this.settleAll(batch);
    } catch (err) {
      if (!isPermanentRowError(err)) throw this.failed(err, batch.rows.length);
      await this.writeRowByRow(batch);
      this.batches.shift();
    }
    this.consecutiveFailures = 0;
    this.nextAttemptAt = 0;
  }

  /** Isolates rejected rows: each is dropped and counted; a transient error stops (rows kept). */
  private async writeRowByRow(batch: Batch<Tag>): Promise<void> {
    while (batch.rows.length > 0) {
      try {
        this.stats.written += await insertUsageLines(this.db, [batch.rows[0]]);
      } catch (err) {
        if (!isPermanentRowError(err)) throw this.failed(err, batch.rows.length);
        this.stats.dropped++;
        this.report(err, 1, true);
      }
      const gone = batch.rows.shift()!;
      batch.chars -= gone.length;
      this.queuedChars -= gone.length;
      this.stats.queued--;
      this.settleFirst(batch);
    }
  }

  private settleAll(batch: Batch<Tag>): void {
    const hooks = this.hooks;
    if (!hooks) return;
    for (let i = 0; i < batch.tags.length; i++) hooks.settled(batch.tags[i], batch.counts[i]);
  }

  private settleFirst(batch: Batch<Tag>): void {
    const tag = batch.tags[0];
    if (--batch.counts[0] === 0) {
      batch.tags.shift();
      batch.counts.shift();
    }
    this.hooks?.settled(tag, 1);
  }

  /** Counts a failed write and pushes the next background attempt back (exponential backoff). */
  private failed(err: unknown, rows: number): unknown {
    this.stats.failedFlushes++;
    this.consecutiveFailures++;
    const delay = this.flushIntervalMs * 2 ** Math.min(this.consecutiveFailures - 1, 30);
    this.nextAttemptAt = Date.now() + Math.min(this.maxRetryDelayMs, delay);
    this.report(err, rows, false);
    return err;
  }

  private report(err: unknown, rows: number, permanent: boolean): void {
    try {
      this.onError(err, { rows, permanent });
    } catch {
      // a failing logger must not break the writer's bookkeeping
    }
  }
}

function newBatch<Tag>(): Batch<Tag> {
  return { rows: [], chars: 0, tags: [], counts: [] };
}

export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

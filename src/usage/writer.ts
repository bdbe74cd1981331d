/**
 * The batched usage writer: the gateway's `UsageSink`. `record()` only appends the row to a
 * bounded in-memory queue; batches go to the database off the hot path, one multi-row
 * idempotent INSERT per batch, on a timer and whenever a batch fills up.
 *
 * Failure handling:
 * - database unreachable (or any other transient error): the rows stay queued, the attempt is
 *   counted in `stats.failedFlushes`, and background retries back off exponentially;
 * - queue full: the new row is dropped and counted in `stats.dropped` (never silent, never thrown);
 * - a row the database rejects for its data (SQLSTATE class 22/23) is isolated by retrying the
 *   batch row by row, then dropped and counted, so one bad row cannot block the ledger.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { insertUsageRecords, isPermanentRowError, MAX_ROWS_PER_INSERT } from "./ledger.js";
import type { UsageRecord, UsageSink } from "./types.js";

export interface UsageWriterOptions {
  /** Rows per INSERT; a full batch is written at once (default 200, at most 2000). */
  batchSize?: number;
  /** Interval of the flush timer (default 200 ms); also the first retry delay. */
  flushIntervalMs?: number;
  /** Most rows held in memory, written or not; beyond that rows are dropped (default 100000). */
  maxQueue?: number;
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

export class UsageWriter implements UsageSink {
  /** Live counters (read them, don't write them); exported as metrics by the caller. */
  readonly stats: UsageWriterStats = { queued: 0, written: 0, dropped: 0, failedFlushes: 0 };

  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxRetryDelayMs: number;
  private readonly onError: NonNullable<UsageWriterOptions["onError"]>;

  /** Sealed batches, oldest first. Only the drain removes from the front. */
  private readonly batches: UsageRecord[][] = [];
  /** The batch being filled by `record()`. */
  private tail: UsageRecord[] = [];
  /** Serialises drains (background and explicit) so rows are written in order, once. */
  private lock: Promise<void> = Promise.resolve();
  private backgroundBusy = false;
  private kickScheduled = false;
  private consecutiveFailures = 0;
  private nextAttemptAt = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    opts: UsageWriterOptions = {},
  ) {
    this.batchSize = positiveInt("batchSize", opts.batchSize ?? 200);
    if (this.batchSize > MAX_ROWS_PER_INSERT) {
      throw new RangeError(`batchSize must be at most ${MAX_ROWS_PER_INSERT}, got ${this.batchSize}`);
    }
    this.flushIntervalMs = positiveInt("flushIntervalMs", opts.flushIntervalMs ?? 200);
    this.maxQueue = positiveInt("maxQueue", opts.maxQueue ?? 100_000);
    this.maxRetryDelayMs = positiveInt("maxRetryDelayMs", opts.maxRetryDelayMs ?? 10_000);
    this.onError = opts.onError ?? (() => {});
    this.timer = setInterval(this.onTick, this.flushIntervalMs);
    this.timer.unref();
  }

  /** Queues one row. O(1), synchronous, never throws; drops (and counts) when the queue is full. */
  record(row: UsageRecord): void {
    const stats = this.stats;
    if (stats.queued >= this.maxQueue || this.closed) {
      stats.dropped++;
      return;
    }
    const tail = this.tail;
    tail.push(row);
    stats.queued++;
    if (tail.length >= this.batchSize) {
      this.batches.push(tail);
      this.tail = [];
      this.kick();
    }
  }

  /**
   * Writes every row queued when the call starts. Rejects with the database error when a write
   * fails; the unwritten rows stay queued for the next attempt.
   */
  flush(): Promise<void> {
    return this.exclusive(() => this.drain(true));
  }

  /** Stops the timer and flushes. Rows recorded afterwards are dropped. Rejects like `flush()`. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
  }

  private readonly onTick = (): void => {
    if (this.stats.queued > 0 && Date.now() >= this.nextAttemptAt) this.background(true);
  };

  private readonly onKick = (): void => {
    this.kickScheduled = false;
    if (Date.now() >= this.nextAttemptAt) this.background(false);
  };

  /** Schedules a background drain soon (a full batch is waiting), outside the caller's stack. */
  private kick(): void {
    if (this.kickScheduled || this.backgroundBusy) return;
    this.kickScheduled = true;
    setImmediate(this.onKick);
  }

  /** Drains in the background; only the timer writes a partly filled batch (`sealTail`). */
  private background(sealTail: boolean): void {
    if (this.backgroundBusy) return;
    this.backgroundBusy = true;
    this.exclusive(() => this.drain(sealTail))
      .then(
        () => {
          this.backgroundBusy = false;
          // More full batches arrived meanwhile: go again (after any waiting flush()).
          if (this.batches.length > 0) this.kick();
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

  /** Writes the batches present now (and the tail if asked), oldest first. Throws on a transient failure. */
  private async drain(sealTail: boolean): Promise<void> {
    if (sealTail && this.tail.length > 0) {
      this.batches.push(this.tail);
      this.tail = [];
    }
    for (let n = this.batches.length; n > 0 && this.batches.length > 0; n--) {
      await this.writeHead();
    }
  }

  private async writeHead(): Promise<void> {
    const batch = this.batches[0]!;
    try {
      const inserted = await insertUsageRecords(this.db, batch);
      this.stats.written += inserted;
      this.stats.queued -= batch.length;
    } catch (err) {
      if (!isPermanentRowError(err)) throw this.failed(err, batch.length);
      await this.writeRowByRow(batch);
    }
    this.batches.shift();
    this.consecutiveFailures = 0;
    this.nextAttemptAt = 0;
  }

  /** Isolates rejected rows: each is dropped and counted; a transient error stops (rows kept). */
  private async writeRowByRow(batch: UsageRecord[]): Promise<void> {
    while (batch.length > 0) {
      try {
        this.stats.written += await insertUsageRecords(this.db, [batch[0]!]);
      } catch (err) {
        if (!isPermanentRowError(err)) throw this.failed(err, batch.length);
        this.stats.dropped++;
        this.report(err, 1, true);
      }
      batch.shift();
      this.stats.queued--;
    }
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

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The crash-proof usage ledger: the gateway's `UsageSink`. See docs/ledger.md.
 *
 * `record(row)` appends the row as one JSON line to the spool (one synchronous write(2), so a
 * completed response implies a row in the page cache) and queues it in memory for the batched
 * database writer. When the memory queue is full (the database is down or slow), rows are kept
 * only on disk and read back from their segment once the writer has room again. A segment file
 * is deleted when every row in it has been settled (inserted, found already stored, or rejected).
 * Segments left by an earlier process are replayed in the background on start, idempotently
 * (INSERT ... ON CONFLICT (request_id, attempt) DO NOTHING), then deleted.
 */
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import { checkRecord, usageLine } from "./ledger.js";
import { SegmentReader } from "./spool-reader.js";
import { Spool, type Segment } from "./spool.js";
import type { UsageRecord, UsageSink } from "./types.js";
import { positiveInt, UsageWriter, type UsageWriterStats, type WriterHooks } from "./writer.js";

export interface UsageLedgerOptions {
  db: Kysely<Database>;
  /** The gateway's data dir; segments live in `<dataDir>/spool/`. */
  dataDir: string;
  /** Rows per INSERT (default 200, at most 2000). */
  batchSize?: number;
  /** Interval of the flush timer (default 200 ms); also the first retry delay. */
  flushIntervalMs?: number;
  /** Most rows held in memory (default 100000). Beyond it rows wait on disk only; none is dropped. */
  maxQueue?: number;
  /** Upper bound of the retry backoff while the database fails (default 10000 ms). */
  maxRetryDelayMs?: number;
  /** fsync(2) each row: survives power loss, not only a crash (default false; costs ~ms a row). */
  fsync?: boolean;
  /** Rotate a segment at this size (default 8 MiB). */
  segmentBytes?: number;
  /** Longest time `close()` tries to flush before leaving the rest to the next start (default 5000 ms). */
  closeTimeoutMs?: number;
  /**
   * Told about every failure, for logs. `where`: "database" (a write failed; rows kept unless
   * `permanent`), "spool" (the disk refused a row: kept in memory only, or dropped if
   * `permanent`), "replay" (a segment could not be read or deleted).
   */
  onError?: (err: unknown, info: { rows: number; permanent: boolean; where: "database" | "spool" | "replay" }) => void;
}

export interface UsageLedgerStats extends UsageWriterStats {
  /** Rows recorded by this process and held on disk only (the memory queue was full), not yet read back. */
  spooledRows: number;
  /** Rows of earlier processes' segments read back and settled (inserted or already stored). */
  replayed: number;
  /** Lines in segments that were not usage rows (a write cut short by a crash), skipped. */
  tornLines: number;
  /** Rows the disk refused: kept in memory only if there was room (else also counted in `dropped`). */
  spoolFailures: number;
  /** Segment files in the spool directory. */
  spoolFiles: number;
  /** Segments of earlier processes not yet replayed and deleted. */
  leftoverSegments: number;
}

export interface UsageLedger extends UsageSink {
  /** Live counters (read them, don't write them); export them as metrics. */
  readonly stats: UsageLedgerStats;
  /** `<dataDir>/spool`. */
  readonly spoolDir: string;
  /**
   * Writes every row recorded before the call (from memory and from disk) and every leftover row
   * waiting now. Rejects with the database error when a write fails; nothing is lost by that.
   */
  flush(): Promise<void>;
  /**
   * Flushes as far as `closeTimeoutMs` allows, then closes the spool. Rows not written stay on
   * disk for the next start. Always resolves; later `record()`s are dropped and counted.
   */
  close(): Promise<void>;
}

/** Opens the spool in `<dataDir>/spool/` and starts replaying what an earlier process left there. */
// eslint-disable-next-line @typescript-eslint/require-await -- async so that a bad option or a spool that cannot be opened reaches the caller as a rejection
export async function openUsageLedger(opts: UsageLedgerOptions): Promise<UsageLedger> {
  return new DurableUsageLedger(opts);
}

interface Range {
  seg: Segment;
  /** Offset of the range's first row. */
  from: number;
  /** Rows in the range; -1 while unknown (a leftover segment). */
  rows: number;
  rowsRead: number;
  reader: SegmentReader | null;
}

/** Where `flush()` stops reading disk-only rows: the last range and its size when it was called. */
interface Mark {
  range: Range | null;
  bytes: number;
}

const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
const RESCAN_MS = 30_000;

class DurableUsageLedger implements UsageLedger, WriterHooks<Segment | null> {
  readonly stats: UsageLedgerStats;
  readonly spoolDir: string;

  private readonly spool: Spool;
  private readonly writer: UsageWriter<Segment | null>;
  private readonly onError: NonNullable<UsageLedgerOptions["onError"]>;
  private readonly closeTimeoutMs: number;
  /** Rows kept on disk only, in order: leftover segments first, then this process's overflow. */
  private readonly ranges: Range[] = [];
  /** Rows go to disk only (the memory queue was full) until the reader catches up. */
  private overflow = false;
  /** Queued rows the disk refused: lost if the process dies or close() cannot write them. */
  private memoryOnly = 0;
  private leftoverSegments = 0;
  private readonly knownLeftovers = new Set<string>();
  private rescanTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private shutDown = false;
  private closing: Promise<void> | null = null;

  constructor(opts: UsageLedgerOptions) {
    this.onError = opts.onError ?? (() => {});
    this.closeTimeoutMs = positiveInt("closeTimeoutMs", opts.closeTimeoutMs ?? 5000);
    const segmentBytes = positiveInt("segmentBytes", opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
    this.spoolDir = join(opts.dataDir, "spool");
    const stats = { queued: 0, written: 0, dropped: 0, failedFlushes: 0, spooledRows: 0, replayed: 0, tornLines: 0, spoolFailures: 0 };
    this.stats = Object.defineProperties(stats, {
      spoolFiles: { enumerable: true, get: () => this.spool.files },
      leftoverSegments: { enumerable: true, get: () => this.leftoverSegments },
    }) as UsageLedgerStats;
    this.writer = new UsageWriter<Segment | null>(
      opts.db,
      {
        batchSize: opts.batchSize,
        flushIntervalMs: opts.flushIntervalMs,
        maxQueue: opts.maxQueue,
        maxRetryDelayMs: opts.maxRetryDelayMs,
        onError: (err, info) => this.report(err, { ...info, where: "database" }),
      },
      this,
      this.stats,
    );
    try {
      this.spool = new Spool({ dir: this.spoolDir, segmentBytes, fsync: opts.fsync ?? false, onSeal: (seg) => this.maybeDelete(seg) });
    } catch (err) {
      this.writer.stop();
      throw err;
    }
    this.scan();
    this.openSegment();
    if (this.ranges.length > 0) this.writer.wake();
  }

  record(row: UsageRecord): void {
    if (this.closed) {
      this.stats.dropped++;
      return;
    }
    checkRecord(row);
    const line = usageLine(row);
    let seg: Segment;
    try {
      seg = this.spool.append(line + "\n");
    } catch (err) {
      this.spoolFailed(line, err);
      return;
    }
    if (this.overflow || !this.writer.enqueue(line, seg)) this.keepOnDisk(seg);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  // ---------------------------------------------------------------- writer hooks

  settled(seg: Segment | null, rows: number): void {
    if (seg === null) {
      this.memoryOnly -= rows;
      return;
    }
    seg.settled += rows;
    if (seg.leftover) this.stats.replayed += rows;
    // (`<`, not `!==`: a line whose fsync failed is on disk but not counted, and may be read back.)
    if (seg.rows < 0 || seg.settled < seg.rows) return;
    if (seg === this.spool.active) {
      // The writer has drained the active segment: seal it (which deletes it), start a new one.
      this.spool.seal();
      this.openSegment();
    } else {
      this.maybeDelete(seg);
    }
  }

  pending(): boolean {
    return this.ranges.length > 0 && !this.shutDown;
  }

  mark(): Mark {
    const last = this.ranges[this.ranges.length - 1] ?? null;
    return { range: last, bytes: last ? last.seg.bytes : 0 };
  }

  /** Moves up to `room` disk-only rows into the writer's queue, oldest range first. */
  async refill(room: number, until: unknown): Promise<number> {
    const mark = until as Mark | undefined;
    let moved = 0;
    while (moved === 0 && this.ranges.length > 0 && !this.shutDown) {
      const r = this.ranges[0];
      if (mark && (mark.range === null || !this.ranges.includes(mark.range))) return 0; // flushed up to the mark
      const end = mark?.range === r ? Math.min(r.seg.bytes, mark.bytes) : r.seg.bytes;
      const reader = (r.reader ??= new SegmentReader(r.seg.path, r.from));
      let lines;
      try {
        lines = await reader.lines(end, room);
      } catch (err) {
        await this.unreadable(r, err);
        continue;
      }
      if (this.shutDown || this.ranges[0] !== r) return moved;
      for (const entry of lines) {
        if (entry.line === null) {
          reader.pos = entry.end;
          this.stats.tornLines++;
          continue;
        }
        // No room (record() took it meanwhile, or the queue's characters are at their bound): read it again later.
        if (!this.writer.enqueue(entry.line, r.seg)) return moved;
        reader.pos = entry.end;
        moved++;
        r.rowsRead++;
        if (!r.seg.leftover) this.stats.spooledRows--;
      }
      if (lines.length > 0) continue;
      if (reader.pos < end) {
        // No complete line before `end`: the torn tail of a sealed segment (ours end on a line boundary).
        if (!r.seg.sealed || end < r.seg.bytes) return moved;
        this.stats.tornLines++;
        reader.pos = end;
      }
      if (reader.pos < r.seg.bytes) {
        if (mark?.range === r) return moved; // reached the flush mark
        continue; // the active segment grew meanwhile
      }
      if (!(await this.rangeCaughtUp(r))) return moved;
    }
    return moved;
  }

  // ---------------------------------------------------------------- internals

  /** `seg` (the active segment) holds a row that did not fit in memory. */
  private keepOnDisk(seg: Segment): void {
    this.overflow = true;
    const last = this.ranges[this.ranges.length - 1];
    if (last && last.seg === seg) last.rows++;
    else this.ranges.push({ seg, from: this.spool.lastOffset, rows: 1, rowsRead: 0, reader: null });
    this.stats.spooledRows++;
  }

  /** The reader reached the segment's end. False when the range must stay (cannot happen: defensive). */
  private async rangeCaughtUp(r: Range): Promise<boolean> {
    if (!r.seg.sealed && (r.seg !== this.spool.active || this.ranges[this.ranges.length - 1] !== r)) return false;
    // Sealed and read to its end, or the active segment with no newer rows: back to memory mode.
    this.dropRange(r);
    await r.reader?.close();
    return true;
  }

  /**
   * A segment could not be read. Ours (deleted behind our back): its unread rows are lost and
   * counted. A leftover: given up on for this run and left on disk for an operator (or the next
   * start) — never deleted unread.
   */
  private async unreadable(r: Range, err: unknown): Promise<void> {
    this.ranges.splice(this.ranges.indexOf(r), 1);
    if (this.ranges.length === 0) this.overflow = false;
    await r.reader?.close();
    if (r.seg.leftover) {
      this.leftoverSegments--;
      this.report(err, { rows: 0, permanent: false, where: "replay" });
      return;
    }
    const lost = r.rows - r.rowsRead;
    this.stats.spooledRows -= lost;
    this.stats.dropped += lost;
    r.seg.settled += lost;
    this.report(err, { rows: lost, permanent: true, where: "replay" });
    this.maybeDelete(r.seg);
  }

  private dropRange(r: Range): void {
    this.ranges.splice(this.ranges.indexOf(r), 1);
    if (this.ranges.length === 0) this.overflow = false;
    if (r.seg.leftover) {
      r.seg.rows = r.rowsRead; // now known
      this.maybeDelete(r.seg);
    }
  }

  private spoolFailed(line: string, err: unknown): void {
    this.stats.spoolFailures++;
    const kept = this.writer.enqueue(line, null);
    if (kept) this.memoryOnly++;
    else this.stats.dropped++;
    this.report(err, { rows: 1, permanent: !kept, where: "spool" });
  }

  /** Deletes a sealed segment whose rows have all settled. */
  private maybeDelete(seg: Segment): void {
    if (!seg.sealed || seg.deleted || seg.rows < 0 || seg.settled < seg.rows) return;
    try {
      this.spool.remove(seg);
    } catch (err) {
      this.report(err, { rows: 0, permanent: false, where: "replay" });
    }
    if (seg.leftover) this.leftoverSegments--;
  }

  private openSegment(): void {
    if (this.closed) return;
    try {
      this.spool.open();
    } catch (err) {
      // The next record() tries again (and counts the row if the disk still refuses).
      this.report(err, { rows: 0, permanent: false, where: "spool" });
    }
  }

  /** Finds segments of processes that are gone and queues them for replay, before our own ranges. */
  private scan(): void {
    let found;
    try {
      found = this.spool.scanLeftovers(this.knownLeftovers);
    } catch (err) {
      this.report(err, { rows: 0, permanent: false, where: "replay" });
      return;
    }
    const at = this.ranges.findIndex((r) => !r.seg.leftover);
    const added: Range[] = found.leftovers.map((seg) => ({ seg, from: 0, rows: -1, rowsRead: 0, reader: null }));
    for (const seg of found.leftovers) this.knownLeftovers.add(seg.name);
    this.ranges.splice(at < 0 ? this.ranges.length : at, 0, ...added);
    this.leftoverSegments += added.length;
    // Segments of a live process sharing the directory: look again later, once it may be gone.
    if (found.busy.length > 0 && !this.rescanTimer && !this.closed) {
      this.rescanTimer = setInterval(() => {
        this.scan();
        if (this.ranges.length > 0) this.writer.wake();
      }, RESCAN_MS);
      this.rescanTimer.unref();
    } else if (found.busy.length === 0 && this.rescanTimer) {
      clearInterval(this.rescanTimer);
      this.rescanTimer = null;
    }
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.writer.stop();
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.writer.flush().then(
        () => true,
        () => false, // reported by the writer
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.closeTimeoutMs))),
    ]);
    clearTimeout(timer);
    this.shutDown = true;
    this.spool.close(); // seals the active segment: deleted now if all of it was written
    await Promise.all(this.ranges.map((r) => r.reader?.close() ?? Promise.resolve()));
    if (!flushed) {
      // Rows on disk wait for the next start; rows the disk refused are lost.
      this.stats.dropped += this.memoryOnly;
      this.memoryOnly = 0;
    }
  }

  private report(err: unknown, info: Parameters<NonNullable<UsageLedgerOptions["onError"]>>[1]): void {
    try {
      this.onError(err, info);
    } catch {
      // a failing logger must not break the ledger's bookkeeping
    }
  }
}

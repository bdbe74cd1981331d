/**
 * The usage spool: append-only segment files in `<dataDir>/spool/`, one JSON line per usage row,
 * written with one synchronous `write(2)` per row on an open descriptor. A row is in the page
 * cache when `append()` returns, so it survives a crash (or `kill -9`) of the process; surviving
 * power loss takes `fsync: true` (one fsync(2) per row, and one of the directory per new file).
 *
 * A segment is named `u-<instance>-<pid>-<seq>.jsonl`: `instance` is unique to one spool object
 * (start time in base 36 + random), so segments of earlier processes (and of other, dead
 * processes sharing the directory) are told apart from ours. This module only keeps files and
 * counts; which rows are settled, and when a file may go, is decided by the ledger (durable.ts).
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface Segment {
  readonly name: string;
  readonly path: string;
  /** Bytes in the file. Ours: everything written (ends on a line boundary unless a write failed). */
  bytes: number;
  /** Rows in the file; -1 while unknown (a leftover segment not yet read to its end). */
  rows: number;
  /** Rows that left the writer's queue for good (inserted, already stored, or rejected). */
  settled: number;
  /** No more appends; the file is deleted once `settled === rows`. */
  sealed: boolean;
  /** Written by an earlier (or another, dead) process: replayed, then deleted. */
  readonly leftover: boolean;
  deleted: boolean;
}

export interface SpoolOptions {
  /** The spool directory (created if missing). */
  dir: string;
  /** Rotate the active segment once it holds this many bytes. */
  segmentBytes: number;
  /** fsync(2) every append (and the directory on each new file): survives power loss, costs ~ms a row. */
  fsync: boolean;
  /** Called after a segment is sealed (by size, after a failed write, or explicitly). */
  onSeal?: (seg: Segment) => void;
}

const SEGMENT_NAME = /^u-([0-9a-z]+)-(\d+)-(\d+)\.jsonl$/;

/** Instances with an open spool in this process: their files are never leftovers. */
const liveInstances = new Set<string>();

export class Spool {
  readonly dir: string;
  readonly instance: string;
  /** The segment appends go to; null after a seal until the next append (or `open()`). */
  active: Segment | null = null;
  /** Offset in `active` at which the last successful append started. */
  lastOffset = 0;
  /** Segment files present (ours and leftovers not yet deleted). */
  files = 0;

  private fd = -1;
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: SpoolOptions) {
    this.dir = opts.dir;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 }); // rows name keys, users and teams
    this.instance = Date.now().toString(36).padStart(9, "0") + randomBytes(2).toString("hex");
    liveInstances.add(this.instance);
  }

  /**
   * Segments left by processes that are gone, oldest first; the others (a live process sharing
   * the directory) are returned in `busy` and left alone. Each returned segment counts in `files`.
   */
  scanLeftovers(exclude: ReadonlySet<string> = new Set()): { leftovers: Segment[]; busy: string[] } {
    const leftovers: Segment[] = [];
    const busy: string[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      const m = SEGMENT_NAME.exec(name);
      if (!m || exclude.has(name)) continue;
      const [, instance, pid] = m as unknown as [string, string, string];
      if (instance === this.instance) continue;
      if (ownerAlive(instance, Number(pid))) {
        busy.push(name);
        continue;
      }
      const path = join(this.dir, name);
      let bytes: number;
      try {
        bytes = statSync(path).size;
      } catch {
        continue; // deleted meanwhile
      }
      leftovers.push({ name, path, bytes, rows: -1, settled: 0, sealed: true, leftover: true, deleted: false });
      this.files++;
    }
    return { leftovers, busy };
  }

  /**
   * Appends one line (which must end with "\n") to the active segment, opening one if needed.
   * Returns the segment; `lastOffset` is where the line starts. Throws when the disk refuses: the
   * segment is then sealed (a torn line may end it) and the next append starts a new one.
   */
  append(line: string): Segment {
    const seg = this.active ?? this.open();
    const start = seg.bytes;
    try {
      let done = writeSync(this.fd, line);
      const size = Buffer.byteLength(line);
      if (done < size) {
        // Short write (rare on a regular file): finish the line from its bytes.
        const buf = Buffer.from(line);
        while (done < size) done += writeSync(this.fd, buf, done);
      }
      if (this.opts.fsync) fsyncSync(this.fd);
      seg.bytes = start + done;
    } catch (err) {
      seg.bytes = safeSize(seg.path, start);
      this.seal();
      throw err;
    }
    seg.rows++;
    this.lastOffset = start;
    if (seg.bytes >= this.opts.segmentBytes) this.seal();
    return seg;
  }

  /** Opens a new active segment (sealing the current one). */
  open(): Segment {
    if (this.closed) throw new Error("usage spool is closed");
    if (this.active) this.seal();
    const name = `u-${this.instance}-${process.pid}-${String(++this.seq).padStart(8, "0")}.jsonl`;
    const path = join(this.dir, name);
    this.fd = openSync(path, "a", 0o600);
    this.files++;
    if (this.opts.fsync) fsyncDir(this.dir);
    const seg: Segment = { name, path, bytes: 0, rows: 0, settled: 0, sealed: false, leftover: false, deleted: false };
    this.active = seg;
    return seg;
  }

  /** Seals the active segment: no more appends, its descriptor is closed. */
  seal(): void {
    const seg = this.active;
    if (!seg) return;
    this.active = null;
    seg.sealed = true;
    const fd = this.fd;
    this.fd = -1;
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing left to release
    }
    this.opts.onSeal?.(seg);
  }

  /** Deletes a sealed segment's file. Throws what unlink(2) throws, except "already gone". */
  remove(seg: Segment): void {
    if (seg.deleted) return;
    seg.deleted = true;
    this.files--;
    try {
      unlinkSync(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  /** Seals the active segment and releases the instance name. Files stay. */
  close(): void {
    this.seal();
    this.closed = true;
    liveInstances.delete(this.instance);
  }
}

/** True when the process that wrote a segment may still be appending to it. */
function ownerAlive(instance: string, pid: number): boolean {
  if (liveInstances.has(instance)) return true;
  if (pid === process.pid) return false; // an earlier process that had our pid (e.g. a restarted container)
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

function safeSize(path: string, fallback: number): number {
  try {
    return statSync(path).size;
  } catch {
    return fallback;
  }
}

function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory; the data itself is still synced per append
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Reading spool segments back: complete JSON lines from a byte offset, parsed into usage rows.
 * Used to replay segments left by an earlier process and to load rows that were kept only on
 * disk while the in-memory queue was full.
 */
import { open, type FileHandle } from "node:fs/promises";
import type { UsageRecord } from "./types.js";

export interface SpoolLine {
  /** The line's text (a usage row as JSON), or null when it is not one (cut short by a crash, or damaged). */
  line: string | null;
  /** File offset just past the line's "\n". */
  end: number;
}

const NEWLINE = 0x0a;

/** Reads one segment forward from `pos`, a window of the file at a time. */
export class SegmentReader {
  /** The next byte not yet consumed; the caller advances it past the lines it used. */
  pos: number;
  private fh: FileHandle | null = null;
  private buf: Buffer = Buffer.alloc(0);
  /** File offset of buf[0]; buf holds [bufStart, bufStart + buf.length). */
  private bufStart = 0;

  constructor(
    readonly path: string,
    from: number,
    private readonly windowBytes = 1 << 20,
  ) {
    this.pos = from;
  }

  /**
   * Up to `max` complete lines between `pos` and `end` (without consuming them). An empty result
   * with `pos < end` means the bytes before `end` hold no complete line (a torn tail, if the file
   * ends there). Throws what the file system throws (e.g. the file was deleted).
   */
  async lines(end: number, max: number): Promise<SpoolLine[]> {
    const out: SpoolLine[] = [];
    if (this.pos >= end || max <= 0) return out;
    let want = this.windowBytes;
    for (;;) {
      const from = this.pos - this.bufStart;
      const bufEnd = Math.min(end, this.bufStart + this.buf.length);
      let at = from;
      if (this.pos >= this.bufStart && this.pos < bufEnd) {
        const limit = bufEnd - this.bufStart;
        while (out.length < max && at < limit) {
          const nl = this.buf.indexOf(NEWLINE, at);
          if (nl < 0 || nl >= limit) break;
          const text = this.buf.toString("utf8", at, nl);
          out.push({ line: parseSpoolLine(text) ? text : null, end: this.bufStart + nl + 1 });
          at = nl + 1;
        }
        if (out.length > 0) return out;
        if (bufEnd >= end) return out; // no newline before `end`
        want = Math.max(want, (bufEnd - this.pos) * 2); // one line longer than the window
      }
      await this.fill(Math.min(end - this.pos, want));
      if (this.buf.length === 0) return out; // the file is shorter than expected
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => undefined);
  }

  private async fill(length: number): Promise<void> {
    this.fh ??= await open(this.path, "r");
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, this.pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.buf = buf.subarray(0, got);
    this.bufStart = this.pos;
  }
}

/** One spool line back to a row; null when it is not a complete, plausible usage row. */
export function parseSpoolLine(text: string): UsageRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.requestId !== "string" || !Number.isInteger(r.attempt) || typeof r.createdAt !== "string") return null;
  const createdAt = new Date(r.createdAt);
  if (Number.isNaN(createdAt.getTime())) return null;
  if (typeof r.cost !== "object" || r.cost === null) return null;
  return { ...(r as unknown as UsageRecord), createdAt };
}

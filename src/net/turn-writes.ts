/**
 * Socket writes gathered over one turn of the event loop and made back to back at its end.
 *
 * A write to a loopback or same-host peer (a local model server, a client on the same machine)
 * wakes the process that reads it, and waking a sleeping process on another core costs more than
 * the write itself (on a virtual machine most of all). Written one at a time, between the pieces
 * of work a turn does for each request, every write wakes the peer afresh; written together at
 * the end of the turn, the first wakes it and the rest find it awake. On the benchmark this took
 * the gateway's CPU per request at saturation from ~0.090 to ~0.070 ms (non-stream) and from
 * ~0.128 to ~0.105 ms (stream) (docs/performance.md, "Fifth round").
 *
 * Each connection holds one `TurnWriter`, which owns the bytes queued for its socket. Everything
 * that writes to, ends, destroys or gives away that socket goes through the writer, and each of
 * those makes the queued bytes first: the order of a socket's bytes holds by construction, with
 * nothing for a caller to remember. One `setImmediate` per turn flushes every writer that queued
 * something in it.
 */
import type { Socket } from "node:net";

/** Writers that queued bytes this turn, in the order they first did. */
let dirty: TurnWriter[] = [];
let spare: TurnWriter[] = [];
let scheduled = false;

function flushDirty(): void {
  scheduled = false; // a write queued by a socket's callback below gets a turn end of its own
  const list = dirty;
  dirty = spare;
  for (let i = 0; i < list.length; i++) list[i].turnEnded();
  list.length = 0;
  spare = list;
}

/** Makes every writer's queued bytes now (tests; the scheduler does it at the end of each turn). */
export function flushAllTurnWriters(): void {
  if (dirty.length) flushDirty();
}

/** The pending writes of one socket, made at the end of the current turn of the event loop. */
export class TurnWriter {
  /** Chunks queued this turn (the array is kept and reused). */
  private readonly chunks: Array<string | Buffer> = [];
  /** Length of the queued chunks (characters for strings: a cheap bound, not exact bytes). */
  queued = 0;
  private listed = false;

  constructor(readonly socket: Socket) {}

  /** Bytes written or queued but not taken by the kernel yet: the socket's buffer and this queue. */
  get unsent(): number {
    return this.socket.writableLength + this.queued;
  }

  /** Queues `chunk`, written when the current turn of the event loop ends. */
  write(chunk: string | Buffer): void {
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (this.listed) return;
    this.listed = true;
    dirty.push(this);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushDirty);
    }
  }

  /** Writes `chunk` now, after what is queued; the socket's answer (false: its buffer is full). */
  writeNow(chunk: string | Buffer): boolean {
    if (this.queued) this.flush();
    return this.socket.write(chunk);
  }

  /** @internal The scheduler's flush at the end of the turn. */
  turnEnded(): void {
    this.listed = false;
    this.flush();
  }

  /** Makes the queued writes now, in order (the writer stays in this turn's list). A destroyed socket's queue is dropped. */
  flush(): void {
    const n = this.chunks.length;
    if (n === 0) return;
    const s = this.socket;
    if (!s.destroyed) for (let i = 0; i < n; i++) s.write(this.chunks[i]);
    this.chunks.length = 0;
    this.queued = 0;
  }

  /** Ends the socket after the queued writes. */
  end(): void {
    this.flush();
    this.socket.end();
  }

  /** Destroys the socket after making the queued writes (what is complete still leaves). */
  destroy(): void {
    this.flush();
    this.socket.destroy();
  }

  /** The socket, its queued writes made, for someone else to write to from now on. */
  handOver(): Socket {
    this.flush();
    return this.socket;
  }
}

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
 * Order is kept per socket as long as every write to that socket between two flushes goes
 * through here, or `flushTurnWrites()` is called before a write (or an end, destroy or hand-over)
 * that does not. A socket destroyed before the flush gets nothing.
 */
import type { Socket } from "node:net";

let sockets: Socket[] = [];
let chunks: Array<string | Buffer> = [];
let scheduled = false;

/** Queues `chunk` for `socket`, written when the current turn of the event loop ends. */
export function writeAtTurnEnd(socket: Socket, chunk: string | Buffer): void {
  sockets.push(socket);
  chunks.push(chunk);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushTurnWrites);
  }
}

/** Makes the queued writes now, in the order they were queued. */
export function flushTurnWrites(): void {
  scheduled = false; // a write queued by a socket's callback below gets a turn end of its own
  if (sockets.length === 0) return;
  const s = sockets;
  const c = chunks;
  sockets = [];
  chunks = [];
  for (let i = 0; i < s.length; i++) if (!s[i]!.destroyed) s[i]!.write(c[i]!);
}

/**
 * One keep-alive connection of an upstream pool (client.ts): its socket, the request written on
 * it, and the response read from the socket's buffers into the exchange that asked for it
 * (status, framing headers, then body pieces; content-length, chunked, or until close).
 */
import net from "node:net";
import tls from "node:tls";
import { TurnWriter } from "../turn-writes.js";
import type { ExchangeHandler } from "./transport.js";
import { ClientError, framing, parseStatusLine, ResponseHead, type ClientRequest } from "./http1.js";

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
/**
 * Most informational (1xx) responses accepted before the final one. Node's client and undici
 * take any number (each one even restarts undici's headers timeout); a server that sends more
 * than a few is broken or hostile.
 */
export const MAX_INFORMATIONAL = 10;
/** Idle connections are closed this long before the server's announced keep-alive timeout. */
const KEEP_ALIVE_MARGIN_MS = 1000;

/** One request waiting for, or holding, a connection. `settled` once it completed or failed. */
export interface Slot {
  req: ClientRequest;
  /** The request as written to the socket. */
  wire: string;
  handler: ExchangeHandler;
  conn: UpstreamConnection | null;
  settled: boolean;
}

/** What a connection needs of the pool that owns it (OriginPool). */
export interface ConnectionOwner {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly tls: tls.ConnectionOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
  /** The exchange is over; `reusable` when the connection can carry another. */
  release(conn: UpstreamConnection, reusable: boolean): void;
  /** The connection closed, for whatever reason. */
  forget(conn: UpstreamConnection): void;
  /** The connection has died: it must not be handed out again. */
  unidle(conn: UpstreamConnection): void;
  /**
   * The upstream broke the framing of a response (or sent bytes nobody asked for): its other
   * idle connections are closed too, as it may be confused.
   */
  dropIdle(): void;
}

export function settleError(slot: Slot, err: Error): void {
  if (slot.settled) return;
  slot.settled = true;
  slot.handler.onError(err);
}

const enum Phase {
  Head,
  /** A body of known length: `remaining` bytes left. */
  Length,
  /** Chunked: see ChunkState. */
  Chunked,
  /** The body runs until the server closes the connection. */
  UntilClose,
  /** The response has been read to its end (set while the last bytes are being handled). */
  Done,
  Idle,
}

const enum ChunkState {
  Size,
  Data,
  DataEnd,
  Trailers,
}

const enum Timer {
  None,
  Connect,
  Headers,
  Body,
}

/** One socket to the origin and the response being read on it. */
export class UpstreamConnection {
  /** Epoch ms until which this idle connection may be reused. */
  idleUntil = 0;
  private readonly socket: net.Socket;
  /** The socket's writes made at the end of the turn (turn-writes.ts). */
  private readonly out: TurnWriter;
  private slot: Slot | null = null;
  private connected = false;
  private gone = false;
  private phase = Phase.Idle;
  private head: Buffer | null = null;
  private remaining = 0;
  private chunk = ChunkState.Size;
  private line = "";
  private keepAlive = true;
  private keepAliveLimit = 0;
  private noBody = false;
  /** Informational responses skipped for the exchange in flight. */
  private informational = 0;
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private timerKind = Timer.None;

  constructor(private readonly pool: ConnectionOwner) {
    const s = pool.secure
      ? tls.connect({
          host: pool.host,
          port: pool.port,
          servername: net.isIP(pool.host) ? undefined : pool.host,
          ALPNProtocols: ["http/1.1"],
          ...pool.tls,
        })
      : net.connect({ host: pool.host, port: pool.port });
    this.socket = s;
    this.out = new TurnWriter(s);
    s.setNoDelay(true);
    s.setKeepAlive(true, 60_000);
    s.once(pool.secure ? "secureConnect" : "connect", () => this.onConnected());
    s.on("data", (b: Buffer) => this.onBytes(b));
    s.on("end", () => this.onEnd());
    s.on("error", (e: Error) => this.fail(e));
    s.on("close", () => this.onClose());
    if (pool.connectTimeoutMs > 0) this.arm(Timer.Connect, pool.connectTimeoutMs);
  }

  start(slot: Slot): void {
    this.slot = slot;
    slot.conn = this;
    this.phase = Phase.Head;
    this.noBody = slot.req.method === "HEAD";
    this.informational = 0;
    this.keepAlive = true;
    if (this.connected) this.write();
  }

  /** Ends the exchange in flight (if any) with `err` and closes the connection. */
  fail(err: Error): void {
    const slot = this.slot;
    this.slot = null;
    this.destroy();
    if (slot) settleError(slot, err);
  }

  destroy(): void {
    this.disarm();
    this.phase = Phase.Idle;
    this.pool.unidle(this);
    this.socket.destroy();
  }

  // --- socket events

  private onConnected(): void {
    this.connected = true;
    this.disarm();
    if (this.slot) this.write();
  }

  private onEnd(): void {
    if (this.phase === Phase.UntilClose) return this.complete(false);
    if (this.phase === Phase.Done) return; // the last bytes are being handled
    if (this.slot) this.fail(new ClientError("UPSTREAM_CLOSED", "upstream closed the connection before the response was complete"));
    else this.destroy();
  }

  private onClose(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.slot) this.fail(new ClientError("UPSTREAM_CLOSED", "upstream connection closed before the response was complete"));
    this.pool.forget(this);
  }

  // --- writing

  private write(): void {
    const slot = this.slot!;
    this.out.write(slot.wire); // with the turn's other writes (turn-writes.ts)
    if (slot.req.headersTimeout > 0) this.arm(Timer.Headers, slot.req.headersTimeout);
  }

  // --- reading

  private onBytes(buf: Buffer): void {
    if (this.phase === Phase.Idle) {
      // Nothing was asked: bytes here mean the connection is out of step.
      this.pool.dropIdle();
      return this.fail(new ClientError("UPSTREAM_BAD_RESPONSE", "upstream sent data with no request pending"));
    }
    const slot = this.slot;
    let i = 0;
    if (this.phase === Phase.Head) i = this.readHead(buf);
    if (this.phase === Phase.Length) i = this.readLength(buf, i);
    else if (this.phase === Phase.Chunked) i = this.readChunked(buf, i);
    else if (this.phase === Phase.UntilClose && i < buf.length) {
      this.deliver(i === 0 ? buf : buf.subarray(i));
      i = buf.length;
    }
    if (this.slot !== slot || i < 0) return; // failed or aborted on the way
    if (this.phase === Phase.Done) {
      const clean = i === buf.length;
      if (!clean) this.pool.dropIdle(); // bytes past the response: the upstream is out of step
      this.complete(clean);
    } else if (this.phase !== Phase.Head && !this.paused && slot!.req.bodyTimeout > 0) this.rearmBody();
  }

  /** Reads status line and headers (skipping 1xx responses); the offset of the body, or -1 (more bytes needed, or failed). */
  private readHead(bytes: Buffer): number {
    let buf = bytes;
    let from = 0;
    /** Bytes of `buf` that came before `bytes` (a head split over several reads). */
    let before = 0;
    if (this.head) {
      before = this.head.length;
      from = Math.max(0, before - 3);
      buf = Buffer.concat([this.head, bytes]);
      this.head = null;
    }
    for (let skipped = 0; ;) {
      const end = buf.indexOf("\r\n\r\n", from, "latin1");
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) return this.bad(`upstream response headers exceed ${MAX_HEAD_BYTES} bytes`);
        if (buf.length) this.head = buf;
        return -1;
      }
      const text = buf.toString("latin1", 0, end);
      const status = parseStatusLine(text);
      // The bytes are not quoted: they may be what an out-of-step upstream meant for another caller.
      if (status < 0) return this.bad("upstream sent an invalid status line");
      if (status === 101) return this.bad("upstream switched protocols, which was not asked for");
      if (status >= 200) return this.startBody(text, status) ? skipped + end + 4 - before : -1;
      // Informational (100 Continue, 103 Early Hints): the real response follows.
      if (++this.informational > MAX_INFORMATIONAL) return this.bad(`upstream sent more than ${MAX_INFORMATIONAL} informational (1xx) responses`);
      skipped += end + 4;
      buf = buf.subarray(end + 4);
      from = 0;
    }
  }

  /** Sets up reading the body the headers announce; false if the exchange ended on the way. */
  private startBody(text: string, status: number): boolean {
    const lineEnd = text.indexOf("\r\n");
    const block = lineEnd < 0 ? "" : text.slice(lineEnd + 2);
    const f = framing(block, text.charCodeAt(7) === 49 /* HTTP/1.1 */);
    if (typeof f === "string") return this.bad(f) > 0;
    this.keepAlive = f.keepAlive;
    this.keepAliveLimit = f.keepAliveMs === undefined ? this.pool.keepAliveMs : Math.min(this.pool.keepAliveMs, f.keepAliveMs - KEEP_ALIVE_MARGIN_MS);
    if (this.noBody || status === 204 || status === 304 || f.length === 0) {
      this.phase = Phase.Done;
    } else if (f.chunked) {
      this.phase = Phase.Chunked;
      this.chunk = ChunkState.Size;
      this.line = "";
    } else if (f.length > 0) {
      this.phase = Phase.Length;
      this.remaining = f.length;
    } else {
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    }
    this.disarm();
    const slot = this.slot!;
    slot.handler.onHeaders(new ResponseHead(status, block), () => this.resumeFor(slot));
    return this.slot === slot;
  }

  private readLength(buf: Buffer, i: number): number {
    const n = Math.min(this.remaining, buf.length - i);
    if (n <= 0) return i;
    this.remaining -= n;
    if (this.remaining === 0) this.phase = Phase.Done;
    this.deliver(i === 0 && n === buf.length ? buf : buf.subarray(i, i + n));
    return i + n;
  }

  private readChunked(buf: Buffer, i: number): number {
    const slot = this.slot;
    while (i < buf.length && this.phase === Phase.Chunked) {
      if (this.chunk === ChunkState.Data) {
        const n = Math.min(this.remaining, buf.length - i);
        this.remaining -= n;
        if (this.remaining === 0) this.chunk = ChunkState.DataEnd;
        this.deliver(buf.subarray(i, i + n));
        if (this.slot !== slot) return -1;
        i += n;
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl < 0) {
        this.line += buf.toString("latin1", i, buf.length);
        if (this.line.length > MAX_LINE_BYTES) return this.bad("upstream sent a malformed chunked body: a line is too long");
        return buf.length;
      }
      let line = this.line + buf.toString("latin1", i, nl);
      this.line = "";
      i = nl + 1;
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (this.chunk === ChunkState.Size) {
        const semi = line.indexOf(";");
        const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return this.bad("upstream sent a malformed chunked body: invalid chunk size");
        this.remaining = parseInt(hex, 16);
        this.chunk = this.remaining === 0 ? ChunkState.Trailers : ChunkState.Data;
      } else if (this.chunk === ChunkState.DataEnd) {
        if (line !== "") return this.bad("upstream sent a malformed chunked body: chunk data is not followed by a line break");
        this.chunk = ChunkState.Size;
      } else if (line === "") {
        this.phase = Phase.Done; // the blank line after the (ignored) trailers
      }
    }
    return i;
  }

  /** Fails the exchange with a malformed-response error (closing the origin's idle connections too); -1 for the readers. */
  private bad(why: string): number {
    this.pool.dropIdle();
    this.fail(new ClientError("UPSTREAM_BAD_RESPONSE", why));
    return -1;
  }

  private deliver(chunk: Buffer): void {
    if (!this.slot!.handler.onData(chunk) && !this.paused && this.slot) {
      this.paused = true;
      this.socket.pause();
      this.disarm();
    }
  }

  private resumeFor(slot: Slot): void {
    if (this.slot !== slot || !this.paused) return;
    this.paused = false;
    this.socket.resume();
    if (slot.req.bodyTimeout > 0) this.rearmBody();
  }

  /** The response has been read to its end; `clean` when nothing followed it on the socket. */
  private complete(clean: boolean): void {
    const slot = this.slot!;
    this.slot = null;
    slot.conn = null;
    this.phase = Phase.Idle;
    this.disarm();
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    // Reuse only when the whole request is on the wire and the server allowed it.
    const ok = clean && this.keepAlive && this.keepAliveLimit > 0 && this.socket.writableLength === 0;
    this.idleUntil = Date.now() + this.keepAliveLimit;
    slot.settled = true;
    this.pool.release(this, ok);
    slot.handler.onComplete();
  }

  // --- timers: one at a time per connection

  private arm(kind: Timer, ms: number): void {
    this.disarm();
    this.timerKind = kind;
    this.timer = setTimeout(() => this.onTimeout(kind, ms), ms);
  }

  private rearmBody(): void {
    if (this.timerKind === Timer.Body && this.timer) this.timer.refresh();
    else this.arm(Timer.Body, this.slot!.req.bodyTimeout);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerKind = Timer.None;
  }

  private onTimeout(kind: Timer, ms: number): void {
    this.timer = null;
    this.timerKind = Timer.None;
    if (kind === Timer.Connect) this.fail(new ClientError("UPSTREAM_CONNECT_TIMEOUT", `connecting to upstream timed out after ${ms} ms`));
    else if (kind === Timer.Headers) this.fail(new ClientError("UPSTREAM_HEADERS_TIMEOUT", `upstream sent no response headers within ${ms} ms`));
    else this.fail(new ClientError("UPSTREAM_BODY_TIMEOUT", `upstream sent nothing for ${ms} ms while sending the body`));
  }
}

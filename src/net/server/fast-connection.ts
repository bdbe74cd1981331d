/**
 * One connection of the gateway's HTTP/1.1 edge (fast-server.ts): requests read off its socket
 * in order, each served through a FastReply, pipelined bytes kept within bounds, and the
 * hand-over to Node's server at a request boundary.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { TurnWriter } from "../turn-writes.js";
import { GatewayError } from "../../core/errors.js";
import { FastReply } from "./fast-reply.js";
import { parseHead, type Head } from "./http-head.js";
import type { Inbound } from "../reply.js";
import type { FastHttp } from "./fast-server.js";

/** Node's own limit for a request head (`--max-http-header-size`). */
const MAX_HEAD_BYTES = 16 * 1024;
/**
 * Bytes a client may send ahead (pipelined, not yet served) before the connection is no longer
 * read; Node's own server stops reading at a similar point.
 */
const MAX_AHEAD_BYTES = 1024 * 1024;
/**
 * Answers written and not yet taken by the client (the socket's buffer and the turn's queue)
 * past which the next request waits until the socket drains.
 */
const MAX_UNSENT_BYTES = 256 * 1024;
const CRLFCRLF = Buffer.from("\r\n\r\n");

export class InboundConnection<E> {
  /** The socket's writer: every write, end, destroy and hand-over goes through it (turn-writes.ts). */
  readonly out: TurnWriter;
  /** Bytes received and not consumed yet. */
  private buf: Buffer | null = null;
  /** The request being read (head parsed, body incomplete) or served. */
  private head: Head | null = null;
  private endpoint: E | undefined;
  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  /** Chunks that arrived (pipelined) while a request was served, taken in order once it is done. */
  private ahead: Buffer[] = [];
  private aheadBytes = 0;
  private reply: FastReply | null = null;
  /** Header lines Node's server would keep for this connection (read when it is accepted, as Node does). */
  private readonly maxHeaders: number;
  /** This connection stopped reading the socket (a bound below was reached). */
  private paused = false;
  /** Reading is stopped until the socket's buffer drains (the client is not reading its answers). */
  private waiting = false;
  private pumping = false;
  /** Requests dispatched so far (tells the pump whether a step started one). */
  private dispatched = 0;
  /** The client asked to close: end after the current response. */
  private closeAfter = false;
  /** The connection is being ended: nothing more is read from it. */
  private closing = false;
  private gone = false;
  lastActive = Date.now();
  /** When the first byte of a request not yet complete arrived (0: none pending). */
  partialSince = 0;

  private readonly onData = (chunk: Buffer) => this.data(chunk);
  private readonly onEnd = () => this.clientEnded();
  private readonly onClose = () => this.closed();
  private readonly onError = () => {};
  private readonly onResponded = () => this.responded();
  private readonly onPump = () => this.pump();
  private readonly onDrain = () => this.drained();

  constructor(
    private readonly owner: FastHttp<E>,
    readonly socket: Socket,
  ) {
    this.out = new TurnWriter(socket);
    this.maxHeaders = owner.maxHeaders();
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    socket.on("error", this.onError);
  }

  /** A request is being served, or its answers wait for the client to read them. */
  get busy(): boolean {
    return this.reply !== null || this.waiting;
  }

  get idle(): boolean {
    return this.reply === null && this.head === null && this.buf === null && this.ahead.length === 0;
  }

  /** The head has been read; the body is still arriving. */
  get readingBody(): boolean {
    return this.head !== null && this.reply === null;
  }

  private data(chunk: Buffer): void {
    if (this.closing) return;
    if (this.closeAfter) return this.afterClose(chunk);
    if (this.reply || this.waiting || this.ahead.length) {
      // Pipelined bytes: kept (as a list, not copied per read) for after the current response;
      // past the bound, the socket is not read until they have been taken.
      this.ahead.push(chunk);
      this.aheadBytes += chunk.length;
      if (this.aheadBytes + (this.buf?.length ?? 0) > MAX_AHEAD_BYTES) this.pause();
      return;
    }
    this.take(chunk);
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  /** Consumes received bytes while no request is being served. */
  private take(chunk: Buffer): void {
    if (this.head) {
      this.bodyParts.push(chunk);
      this.bodyBytes += chunk.length;
      if (this.bodyBytes >= this.head.contentLength) this.bodyComplete();
      return;
    }
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.next();
  }

  /** Reads the next request from `buf`, if it is complete. */
  private next(): void {
    const buf = this.buf;
    if (!buf || this.reply || this.head || this.gone || this.waiting) return;
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0 || end > MAX_HEAD_BYTES) {
      if (end > MAX_HEAD_BYTES || buf.length > MAX_HEAD_BYTES) return this.handOver(); // Node answers 431
      if (!this.partialSince) this.partialSince = Date.now();
      return;
    }
    const head = parseHead(buf.toString("latin1", 0, end), this.maxHeaders);
    const endpoint = head && head.contentLength <= this.owner.o.maxBodyBytes ? this.owner.o.route(head.method, head.url) : undefined;
    if (!head || endpoint === undefined) return this.handOver();
    if (!this.partialSince) this.partialSince = Date.now();
    this.head = head;
    this.endpoint = endpoint;
    const start = end + 4;
    const available = buf.length - start;
    if (available >= head.contentLength) {
      const stop = start + head.contentLength;
      this.bodyParts = [buf.subarray(start, stop)];
      this.bodyBytes = head.contentLength;
      this.buf = stop < buf.length ? buf.subarray(stop) : null;
      this.dispatch();
    } else {
      this.bodyParts = available > 0 ? [buf.subarray(start)] : [];
      this.bodyBytes = available;
      this.buf = null;
    }
  }

  private bodyComplete(): void {
    const need = this.head!.contentLength;
    const all = this.bodyParts.length === 1 ? this.bodyParts[0] : Buffer.concat(this.bodyParts, this.bodyBytes);
    if (all.length > need) {
      this.buf = all.subarray(need);
      this.bodyParts = [all.subarray(0, need)];
    } else this.bodyParts = [all];
    this.bodyBytes = need;
    this.dispatch();
  }

  private dispatch(): void {
    const head = this.head!;
    const body = this.bodyParts.length === 0 ? EMPTY : this.bodyParts[0];
    this.bodyParts = [];
    this.partialSince = 0;
    this.dispatched++;
    if (head.close) this.closeAfter = true;
    const reply = new FastReply(this.out, this.onResponded, this.closeAfter || this.owner.draining, this.owner.keepAliveLines);
    this.reply = reply;
    this.owner.o.handle(this.endpoint!, new FastInbound(head.headers, this.socket.remoteAddress, body), reply);
    if (this.closeAfter && this.buf) this.afterClose(this.buf);
  }

  /**
   * Bytes after a request that asked to close, as Node's parser takes them: line ends are
   * skipped; anything else is refused with a 400 (unless the response has begun) and the
   * connection is dropped, cancelling the request.
   */
  private afterClose(bytes: Buffer): void {
    this.buf = null;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 13 || b === 10) continue;
      if (this.closing) return; // the response is complete and the connection ending
      this.closing = true;
      if (this.reply && !this.reply.headersSent) this.out.write(BAD_REQUEST);
      this.out.destroy();
      return;
    }
  }

  /** The current response has ended (or failed): serve what came next, or close. */
  private responded(): void {
    this.reply = null;
    this.head = null;
    this.endpoint = undefined;
    this.lastActive = Date.now();
    if (this.gone) return;
    if (this.closeAfter || this.owner.draining) {
      this.closing = true;
      return this.out.end(); // the response first
    }
    // A client that does not read its answers is not read either: the next request waits until
    // the answers written so far have left (a comparison per response on the common path).
    if (this.out.unsent > MAX_UNSENT_BYTES) {
      this.out.flush();
      if (this.socket.writableNeedDrain) {
        this.waiting = true;
        this.pause();
        this.socket.once("drain", this.onDrain);
        return;
      }
    }
    this.schedulePump();
  }

  private drained(): void {
    this.waiting = false;
    if (this.gone) return;
    if (this.owner.draining) return this.closeIdle();
    this.schedulePump();
  }

  /** Closes a connection with no request open (shutdown); nothing more is read from it. */
  closeIdle(): void {
    this.closing = true;
    this.out.flush(); // the last response may still be queued
    // A response still in the socket's buffer (larger than the kernel took) is finished first.
    if (this.socket.writableLength > 0) this.out.end();
    else this.out.destroy();
  }

  private schedulePump(): void {
    if (this.pumping || (!this.buf && !this.ahead.length && !this.paused)) return;
    this.pumping = true;
    queueMicrotask(this.onPump); // not from inside the previous handler's call stack
  }

  /** Serves what was received meanwhile, in order, until a request is being served again. */
  private pump(): void {
    this.pumping = false;
    const n = this.dispatched;
    if (this.buf && !this.head) this.next();
    while (this.dispatched === n && !this.reply && !this.waiting && !this.gone && this.ahead.length) {
      const chunk = this.ahead.shift()!;
      this.aheadBytes -= chunk.length;
      this.take(chunk);
    }
    if (this.paused && !this.gone && !this.waiting && this.aheadBytes + (this.buf?.length ?? 0) <= MAX_AHEAD_BYTES) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private handOver(): void {
    if (this.gone) return;
    this.gone = true;
    const s = this.socket;
    s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("close", this.onClose);
    s.off("error", this.onError);
    // Every byte received and not consumed goes back, in order.
    const rest = this.buf ? [this.buf, ...this.ahead] : this.ahead;
    this.buf = null;
    this.ahead = [];
    this.aheadBytes = 0;
    this.owner.handOver(this, rest.length === 0 ? null : rest.length === 1 ? rest[0] : Buffer.concat(rest));
  }

  private clientEnded(): void {
    // A client that shuts its side while a request is open has gone, as Node's server (without
    // `httpAllowHalfOpen`) treats it: the request is cancelled, the upstream call with it. A
    // response completed this turn still goes out (before a pipelined one is cancelled).
    if (this.reply || this.head) this.out.destroy();
    else this.out.end();
  }

  private closed(): void {
    this.gone = true;
    this.owner.forget(this);
    const r = this.reply;
    this.reply = null;
    r?.connectionClosed();
  }
}

const EMPTY = Buffer.alloc(0);
/** Node's own answer to bytes its parser refuses. */
const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

class FastInbound implements Inbound {
  constructor(
    readonly headers: IncomingHttpHeaders,
    readonly remoteAddress: string | undefined,
    private readonly raw: Buffer,
  ) {}

  body(maxBytes: number): Promise<Buffer> {
    if (this.raw.length > maxBytes) return Promise.reject(new GatewayError("request_too_large", `request body exceeds the limit of ${maxBytes} bytes`));
    return Promise.resolve(this.raw);
  }
}

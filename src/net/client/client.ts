/**
 * The gateway's HTTP/1.1 client for upstream calls: one keep-alive connection pool per origin
 * (http or https), at most one request in flight per connection, a queue when every connection
 * is busy, and the connect / first-byte / idle timeouts of a call.
 *
 * It exists because the general-purpose clients cost more CPU per request than the rest of the
 * gateway's own work: a request here is one string written to the socket, and a response is
 * parsed straight from the socket's buffers into the exchange that asked for it (status, framing
 * headers, then body pieces), with the full header list parsed only when someone reads it. This
 * file holds the pools; one connection and its reading are in ./connection.ts.
 *
 * Responses may be framed by content-length, chunked transfer coding, or the end of the
 * connection; 1xx informational responses are skipped; a connection is reused only when the
 * response said it may be and was read to its end, and never past the server's keep-alive hint.
 */
import type tls from "node:tls";
import { UpstreamConnection, settleError, type ConnectionOwner, type Slot } from "./connection.js";
import { ClientError, serialize, type ClientRequest } from "./http1.js";
import type { ExchangeHandler } from "./transport.js";

export type { ExchangeHandler } from "./transport.js";

export interface PoolOptions {
  connectTimeoutMs: number;
  /** Most connections open at once; further requests wait in order. Default 256. */
  connections?: number;
  /** Longest an idle connection is kept. Default 30 s, shortened by a server's keep-alive hint. */
  keepAliveMs?: number;
  /** Extra TLS options for https origins (a private CA, client certificates). */
  tls?: tls.ConnectionOptions;
}

/** Keep-alive connections to one origin. */
export class OriginPool implements ConnectionOwner {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** The Host header. */
  readonly authority: string;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly tls: tls.ConnectionOptions | undefined;
  private readonly max: number;
  /** Idle connections, the most recently used last (it is reused first). */
  private readonly idle: UpstreamConnection[] = [];
  private readonly queue: Slot[] = [];
  /** Every connection open or opening. */
  readonly conns = new Set<UpstreamConnection>();
  private closing: (() => void) | null = null;
  private closingDone: Promise<void> | null = null;
  private closed = false;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(origin: string, o: PoolOptions) {
    const u = new URL(origin);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`unsupported protocol ${u.protocol} in ${origin}`);
    this.secure = u.protocol === "https:";
    this.host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    this.port = u.port ? Number(u.port) : this.secure ? 443 : 80;
    this.authority = u.host;
    this.connectTimeoutMs = o.connectTimeoutMs;
    this.keepAliveMs = o.keepAliveMs ?? 30_000;
    this.max = o.connections ?? 256;
    this.tls = o.tls;
  }

  /** Connections open or opening now (for tests and metrics). */
  get connections(): number {
    return this.conns.size;
  }

  dispatch(req: ClientRequest, handler: ExchangeHandler): void {
    const slot: Slot = { req, wire: "", handler, conn: null, settled: false };
    handler.onConnect((err) => this.abort(slot, err));
    if (slot.settled) return;
    if (this.closed) return settleError(slot, new ClientError("UPSTREAM_POOL_CLOSED", "the upstream connection pool is closed"));
    const wire = serialize(req, this.authority);
    if (wire instanceof ClientError) return settleError(slot, wire);
    slot.wire = wire;
    const now = Date.now();
    let conn: UpstreamConnection | undefined;
    while ((conn = this.idle.pop())) {
      if (conn.idleUntil > now) return conn.start(slot);
      conn.destroy();
    }
    if (this.conns.size < this.max) {
      this.openFor(slot);
    } else {
      this.queue.push(slot);
    }
  }

  /** Waits for the requests in flight, then closes every connection. New requests fail. */
  close(): Promise<void> {
    if (this.closingDone) return this.closingDone;
    this.closed = true;
    this.closeIdle();
    if (this.conns.size === 0 && this.queue.length === 0) return (this.closingDone = Promise.resolve());
    return (this.closingDone = new Promise((resolve) => (this.closing = resolve)));
  }

  /** Fails the requests in flight and closes every connection now. */
  destroy(): void {
    this.closed = true;
    const err = new ClientError("UPSTREAM_POOL_CLOSED", "the upstream connection pool was destroyed");
    for (const slot of this.queue.splice(0)) settleError(slot, err);
    this.closeIdle();
    for (const c of [...this.conns]) c.fail(err);
  }

  // --- used by Connection

  /** A connection finished its exchange; `reusable` when it can carry another. */
  release(conn: UpstreamConnection, reusable: boolean): void {
    if (!reusable || this.closed) {
      conn.destroy();
      return;
    }
    const next = this.nextQueued();
    if (next) return conn.start(next);
    this.idle.push(conn);
    this.sweeper ??= setInterval(() => this.sweep(), 1000).unref();
  }

  /** A connection closed, for whatever reason. */
  forget(conn: UpstreamConnection): void {
    this.conns.delete(conn);
    this.unidle(conn);
    const next = this.nextQueued();
    if (next) this.openFor(next);
    this.checkClosed();
  }

  /** A connection that has died must not be handed out again, even before its socket reports `close`. */
  unidle(conn: UpstreamConnection): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Opens a new connection for `slot`; a connect that throws (bad TLS options) fails the request only. */
  private openFor(slot: Slot): void {
    let conn: UpstreamConnection;
    try {
      conn = new UpstreamConnection(this);
    } catch (e) {
      settleError(slot, e as Error);
      return;
    }
    this.conns.add(conn);
    conn.start(slot);
  }

  private nextQueued(): Slot | undefined {
    let s: Slot | undefined;
    while ((s = this.queue.shift())) if (!s.settled) return s;
    return undefined;
  }

  private abort(slot: Slot, err: Error): void {
    if (slot.settled) return;
    if (slot.conn) return slot.conn.fail(err); // reports err to the handler
    const i = this.queue.indexOf(slot);
    if (i >= 0) this.queue.splice(i, 1);
    settleError(slot, err);
    this.checkClosed();
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.idle.slice()) if (c.idleUntil <= now) c.destroy();
    if (this.idle.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** Closes the idle connections (after a framing anomaly on one of them, and on close). */
  dropIdle(): void {
    this.closeIdle();
  }

  private closeIdle(): void {
    for (const c of this.idle.splice(0)) c.destroy();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private checkClosed(): void {
    if (this.closed && this.closing && this.conns.size === 0 && this.queue.length === 0) {
      this.closing();
      this.closing = null;
    }
  }
}

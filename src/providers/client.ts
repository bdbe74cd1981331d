/**
 * The gateway's HTTP/1.1 client for upstream calls: one keep-alive connection pool per origin
 * (http or https), at most one request in flight per connection, a queue when every connection
 * is busy, and the connect / first-byte / idle timeouts of a call.
 *
 * It exists because the general-purpose clients cost more CPU per request than the rest of the
 * gateway's own work: a request here is one string written to the socket, and a response is
 * parsed straight from the socket's buffers into the exchange that asked for it (status, framing
 * headers, then body pieces), with the full header list parsed only when someone reads it.
 *
 * Responses may be framed by content-length, chunked transfer coding, or the end of the
 * connection; 1xx informational responses are skipped; a connection is reused only when the
 * response said it may be and was read to its end, and never past the server's keep-alive hint.
 */
import net from "node:net";
import tls from "node:tls";

/** What a pool reports one exchange's progress to (UpstreamExchange is the one in use). */
export interface ExchangeHandler {
  /** Called first, with a function that stops the exchange at any point. */
  onConnect(abort: (err: Error) => void): void;
  /** The status line and headers arrived; `resume` restarts reading after onData returned false. */
  onHeaders(statusCode: number, head: ResponseHead, resume: () => void): void;
  /** A piece of the body; return false to stop reading from the socket until `resume()`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** The exchange failed (after at most one onHeaders); nothing else is called afterwards. */
  onError(err: Error): void;
}

export interface ClientRequest {
  method: string;
  /** The path and query, starting with "/". */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Longest wait for the response's status line after the request was written; 0: none. */
  headersTimeout: number;
  /** Longest silence while reading the body; 0: none. */
  bodyTimeout: number;
}

export interface PoolOptions {
  connectTimeoutMs: number;
  /** Most connections open at once; further requests wait in order. Default 256. */
  connections?: number;
  /** Longest an idle connection is kept. Default 30 s, shortened by a server's keep-alive hint. */
  keepAliveMs?: number;
  /** Extra TLS options for https origins (a private CA, client certificates). */
  tls?: tls.ConnectionOptions;
}

export type ClientErrorCode =
  | "UPSTREAM_CONNECT_TIMEOUT"
  | "UPSTREAM_HEADERS_TIMEOUT"
  | "UPSTREAM_BODY_TIMEOUT"
  | "UPSTREAM_CLOSED"
  | "UPSTREAM_BAD_RESPONSE"
  | "UPSTREAM_INVALID_REQUEST"
  | "UPSTREAM_POOL_CLOSED";

export class ClientError extends Error {
  constructor(readonly code: ClientErrorCode, message: string) {
    super(message);
    this.name = "ClientError";
  }
}

type Headers = Record<string, string | string[]>;

/** A response's status and headers; the header list is parsed on first use (most calls never read it). */
export class ResponseHead {
  private parsed: Headers | null = null;

  /** `block`: the header lines (latin1), after the status line, without the blank line. */
  constructor(readonly statusCode: number, private readonly block: string) {}

  get headers(): Headers {
    return (this.parsed ??= parseHeaderBlock(this.block));
  }
}

/** Header lines into a record of lower-case names; repeated names become arrays. */
function parseHeaderBlock(block: string): Headers {
  const out: Headers = Object.create(null) as Headers; // a "__proto__" header is just a header
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    // Not trimmed: a name with spaces around it is not a valid field name (and framing ignores it too).
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
/** A request target is visible ASCII only (spaces and control characters would break the request line). */
const BAD_PATH = /[^\x21-\x7e]/;
/** Headers the client sets itself; a caller's value for them is dropped. */
const OWN_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te"]);
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
/** Idle connections are closed this long before the server's announced keep-alive timeout. */
const KEEP_ALIVE_MARGIN_MS = 1000;

/** One request waiting for, or holding, a connection. `settled` once it completed or failed. */
interface Slot {
  req: ClientRequest;
  /** The request as written to the socket. */
  wire: string;
  handler: ExchangeHandler;
  conn: Connection | null;
  settled: boolean;
}

/** Keep-alive connections to one origin. */
export class OriginPool {
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
  private readonly idle: Connection[] = [];
  private readonly queue: Slot[] = [];
  /** Every connection open or opening. */
  readonly conns = new Set<Connection>();
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
    let conn: Connection | undefined;
    while ((conn = this.idle.pop())) {
      if (conn.idleUntil > now && conn.usable) return conn.start(slot);
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
  release(conn: Connection, reusable: boolean): void {
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
  forget(conn: Connection): void {
    this.conns.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const next = this.nextQueued();
    if (next) this.openFor(next);
    this.checkClosed();
  }

  /** A connection that has died must not be handed out again, even before its socket reports `close`. */
  unidle(conn: Connection): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Opens a new connection for `slot`; a connect that throws (bad TLS options) fails the request only. */
  private openFor(slot: Slot): void {
    let conn: Connection;
    try {
      conn = new Connection(this);
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

function settleError(slot: Slot, err: Error): void {
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
class Connection {
  /** Epoch ms until which this idle connection may be reused. */
  idleUntil = 0;
  private readonly socket: net.Socket;
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
  private paused = false;
  private timer: NodeJS.Timeout | null = null;
  private timerKind = Timer.None;

  constructor(private readonly pool: OriginPool) {
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
    s.setNoDelay(true);
    s.setKeepAlive(true, 60_000);
    s.once(pool.secure ? "secureConnect" : "connect", () => this.onConnected());
    s.on("data", (b: Buffer) => this.onBytes(b));
    s.on("end", () => this.onEnd());
    s.on("error", (e) => this.fail(e));
    s.on("close", () => this.onClose());
    if (pool.connectTimeoutMs > 0) this.arm(Timer.Connect, pool.connectTimeoutMs);
  }

  /** The socket is still open for reading and writing. */
  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  start(slot: Slot): void {
    this.slot = slot;
    slot.conn = this;
    this.phase = Phase.Head;
    this.noBody = slot.req.method === "HEAD";
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
    this.socket.write(slot.wire);
    if (slot.req.headersTimeout > 0) this.arm(Timer.Headers, slot.req.headersTimeout);
  }

  // --- reading

  private onBytes(buf: Buffer): void {
    if (this.phase === Phase.Idle) {
      // Nothing was asked: bytes here mean the connection is out of step.
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
    if (this.phase === Phase.Done) this.complete(i === buf.length); // bytes past the response: the connection is out of step
    else if (this.phase !== Phase.Head && !this.paused && slot!.req.bodyTimeout > 0) this.rearmBody();
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
    for (let skipped = 0; ; ) {
      const end = buf.indexOf("\r\n\r\n", from, "latin1");
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) return this.bad(`upstream response headers exceed ${MAX_HEAD_BYTES} bytes`);
        if (buf.length) this.head = buf;
        return -1;
      }
      const text = buf.toString("latin1", 0, end);
      const status = parseStatusLine(text);
      if (status < 0) return this.bad(`upstream sent an invalid status line: ${JSON.stringify(text.slice(0, 60))}`);
      if (status === 101) return this.bad("upstream switched protocols, which was not asked for");
      if (status >= 200) return this.startBody(text, status) ? skipped + end + 4 - before : -1;
      // Informational (100 Continue, 103 Early Hints): the real response follows.
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
    slot.handler.onHeaders(status, new ResponseHead(status, block), () => this.resumeFor(slot));
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
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return this.bad(`upstream sent a malformed chunked body: invalid chunk size ${JSON.stringify(hex.slice(0, 20))}`);
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

  /** Fails the exchange with a malformed-response error; returns -1 for the readers. */
  private bad(why: string): number {
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

/** The request as it goes on the wire, or why it cannot be sent. */
function serialize(req: ClientRequest, authority: string): string | ClientError {
  if (!TOKEN.test(req.method)) return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request method ${JSON.stringify(req.method)}`);
  if (req.path.charCodeAt(0) !== 47 /* "/" */ || BAD_PATH.test(req.path)) {
    return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request path ${JSON.stringify(req.path.slice(0, 200))}`);
  }
  let out = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${authority}\r\n`;
  for (const name in req.headers) {
    const value = req.headers[name]!;
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request header ${JSON.stringify(name)}`);
    if (OWN_HEADERS.has(name.toLowerCase())) continue;
    out += name + ": " + value + "\r\n";
  }
  if (req.body !== undefined) return out + `content-length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`;
  return out + (req.method === "POST" || req.method === "PUT" || req.method === "PATCH" ? "content-length: 0\r\n\r\n" : "\r\n");
}

/** The status code of "HTTP/1.x NNN reason", or -1. */
function parseStatusLine(text: string): number {
  if (!text.startsWith("HTTP/1.") || text.charCodeAt(8) !== 32) return -1;
  const minor = text.charCodeAt(7);
  if (minor !== 48 && minor !== 49) return -1;
  const after = text.charCodeAt(12); // a space before the reason, the end of the line, or the end of the head
  if (text.length > 12 && after !== 32 && after !== 13) return -1;
  let status = 0;
  for (let k = 9; k < 12; k++) {
    const c = text.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    status = status * 10 + c;
  }
  return status >= 100 ? status : -1;
}

interface Framing {
  chunked: boolean;
  /** content-length, or -1 when absent. */
  length: number;
  keepAlive: boolean;
  /** The server's keep-alive timeout hint in ms. */
  keepAliveMs: number | undefined;
}

/** The headers that decide how the body is framed and whether the connection is reused, or an error. */
function framing(block: string, http11: boolean): Framing | string {
  const f: Framing = { chunked: false, length: -1, keepAlive: http11, keepAliveMs: undefined };
  let codings = "";
  let close = false;
  let start = 0;
  while (start < block.length) {
    let end = block.indexOf("\r\n", start);
    if (end < 0) end = block.length;
    const colon = block.indexOf(":", start);
    if (colon > start && colon < end) {
      const n = colon - start;
      // Only names of these lengths matter: content-length (14), transfer-encoding (17),
      // connection and keep-alive (10).
      if (n === 14 || n === 17 || n === 10) {
        const name = block.slice(start, colon).toLowerCase();
        const value = block.slice(colon + 1, end).trim().toLowerCase();
        if (name === "content-length") {
          if (!/^\d{1,15}$/.test(value) || (f.length >= 0 && f.length !== Number(value))) return `invalid content-length ${JSON.stringify(value)}`;
          f.length = Number(value);
        } else if (name === "transfer-encoding") {
          codings += (codings ? "," : "") + value; // repeated lines are one list
        } else if (name === "connection") {
          if (/(^|,)\s*close\s*(,|$)/.test(value)) close = true;
          else if (/(^|,)\s*keep-alive\s*(,|$)/.test(value)) f.keepAlive = true;
        } else if (name === "keep-alive") {
          const m = /timeout\s*=\s*(\d+)/.exec(value);
          if (m) f.keepAliveMs = Number(m[1]) * 1000;
        }
      }
    }
    start = end + 2;
  }
  if (codings) {
    // Only "chunked" (possibly with "identity") is understood; anything else would be delivered undecoded.
    const list = codings.split(",").map((c) => c.trim()).filter((c) => c && c !== "identity");
    if (list.length > 1 || (list.length === 1 && list[0] !== "chunked")) return `unsupported transfer-encoding ${JSON.stringify(codings)}`;
    f.chunked = list.length === 1;
    if (f.chunked && f.length >= 0) {
      // Both framings: transfer-encoding wins (RFC 9112 §6.3), and the connection is not trusted again.
      f.length = -1;
      close = true;
    }
  }
  if (close) f.keepAlive = false; // once "close" is said, a later "keep-alive" does not undo it
  return f;
}

/**
 * One connection to Redis speaking RESP2, for the link (link.ts): commands are written in the
 * order they are given, without waiting for earlier answers (pipelined), and answers are matched
 * to them in that order. It does only what the link needs, so a request pays for little more than
 * writing its bytes and reading the answer: no command objects, no per-argument buffers, and
 * answers decoded by one small parser.
 *
 * It connects (TLS for `rediss://`), authenticates, selects the database and runs the `hello`
 * commands (the link loads its script) before it counts as ready. When the connection drops,
 * every command waiting for an answer fails, and it connects again after 100 ms, 200 ms, … at
 * most 1 s apart, until `close()`. Memory stays bounded: an answer larger than 1 MiB drops the
 * connection, and a command is refused at once while more than 8 MiB wait to be written (Redis
 * not reading).
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { RedisTarget } from "../config/redis-url.js";

/** What Redis answered: integers as numbers, strings, nil as null, arrays, or an error reply. */
export type Reply = string | number | null | Reply[] | RedisReplyError;

/** An error reply (`-ERR …`, `-NOSCRIPT …`): a value inside an array, an exception at the top. */
export class RedisReplyError extends Error {}

/** A command refused before any of it was written (the connection is not ready, or Redis is not reading): Redis never saw it. */
export class NotSentError extends Error {}

export type Arg = string | number;

/** An answer larger than this drops the connection (the link's are under 100 KiB: 512 operations of a few numbers). */
const MAX_REPLY_BYTES = 1024 * 1024;
/** Commands are refused while more than this waits to be written. */
const MAX_UNWRITTEN_BYTES = 8 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 2000;

interface Waiting {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

export type RespStatus = "idle" | "connecting" | "ready" | "closed";

export class RespConnection {
  status: RespStatus = "idle";
  private socket: Socket | null = null;
  private readonly waiting: Waiting[] = [];
  private head = 0;
  /** The start of an answer that has not all arrived, the pieces that came after it, their length and how many bytes it needs at least. */
  private pendingBytes: Buffer | null = null;
  private pendingChunks: Buffer[] = [];
  private pendingLength = 0;
  private wanted = 0;
  private attempts = 0;
  private retry: NodeJS.Timeout | undefined;
  private closing = false;
  /** Fails the `connect()` under way (on `close()`). */
  private connecting: ((e: Error) => void) | undefined;

  constructor(
    private readonly target: RedisTarget,
    private readonly opts: {
      /**
       * Commands run on each new connection before it is ready, as a help only: an error answer
       * is ignored (the link loads its script here, and runs it with EVAL if Redis does not have it).
       */
      hello?: readonly Arg[][];
      onReady?: () => void;
      /** The connection dropped or could not be made ready; it connects again by itself. */
      onDown?: (e: Error) => void;
    } = {},
  ) {}

  /** Connects; resolves when ready, rejects when this attempt fails (later attempts follow by themselves). */
  connect(): Promise<void> {
    if (this.status === "ready") return Promise.resolve();
    this.closing = false;
    return this.open();
  }

  /** Sends one command; resolves with its answer (an error answer rejects). */
  send(args: readonly Arg[]): Promise<Reply> {
    if (this.status !== "ready") return Promise.reject(new NotSentError(`connection ${this.status}`));
    return this.write(encode(args), 1).then(top);
  }

  /** Sends the commands between MULTI and EXEC in one write; resolves with EXEC's answer. */
  async transaction(commands: readonly Arg[][]): Promise<Reply[]> {
    if (this.status !== "ready") throw new NotSentError(`connection ${this.status}`);
    let s = encode(["MULTI"]);
    for (const c of commands) s += encode(c);
    s += encode(["EXEC"]);
    const answers = this.write(s, commands.length + 2);
    const exec = top(await answers);
    if (!Array.isArray(exec)) throw new Error("transaction discarded");
    return exec;
  }

  close(): void {
    this.closing = true;
    clearTimeout(this.retry);
    this.status = "closed";
    this.socket?.destroy();
    this.socket = null;
    const e = new Error("connection closed");
    this.failAll(e);
    this.connecting?.(e);
    this.connecting = undefined;
  }

  /** Writes `s`, holding `count` commands; resolves with the last one's answer. */
  private write(s: string, count: number): Promise<Reply> {
    const socket = this.socket!;
    if (socket.writableLength > MAX_UNWRITTEN_BYTES) return Promise.reject(new NotSentError("Redis is not reading its connection"));
    return new Promise<Reply>((resolve, reject) => {
      // The answers before the last (MULTI's +OK, each +QUEUED) are read and dropped.
      for (let i = 1; i < count; i++) this.waiting.push(IGNORED);
      this.waiting.push({ resolve, reject });
      socket.write(s);
    });
  }

  private open(): Promise<void> {
    this.status = "connecting";
    const t = this.target;
    const socket = t.tls ? tlsConnect({ host: t.host, port: t.port, servername: isIp(t.host) ? undefined : t.host }) : netConnect({ host: t.host, port: t.port });
    this.socket = socket;
    this.pendingBytes = null;
    this.pendingChunks = [];
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    // Until it is ready: a server that accepts but does not answer the first commands counts as down too.
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`not ready in ${CONNECT_TIMEOUT_MS} ms`)));
    let lastError: Error | undefined;
    socket.on("error", (e: Error) => {
      lastError = e;
    });
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    return new Promise<void>((resolve, reject) => {
      this.connecting = reject;
      socket.on("close", () => {
        if (this.socket !== socket) return;
        this.socket = null;
        const e = lastError ?? new Error("connection lost");
        const wasReady = this.status === "ready";
        this.failAll(e);
        if (this.closing) return;
        this.status = "connecting";
        if (!wasReady) {
          this.connecting = undefined;
          reject(e);
        }
        this.opts.onDown?.(e);
        this.retry = setTimeout(() => void this.open().catch(() => {}), Math.min(100 * ++this.attempts, 1000));
        this.retry.unref();
      });
      socket.once(t.tls ? "secureConnect" : "connect", () => {
        // Each first command, and whether its error answer ends the attempt.
        const hello: Array<[Arg[], (e: RedisReplyError) => boolean]> = [];
        // A password for a Redis that has none is let pass, as common clients do (the URL may
        // carry one for a Redis that was given one later, or that had one removed).
        // A user without a password (`redis://app@host`) still signs in as that user (one with `nopass`), not as the default one.
        if (t.username !== undefined) hello.push([["AUTH", t.username, t.password ?? ""], () => true]);
        else if (t.password !== undefined) hello.push([["AUTH", t.password], (e) => !/without any password configured/i.test(e.message)]);
        if (t.db !== 0) hello.push([["SELECT", t.db], () => true]);
        for (const c of this.opts.hello ?? []) hello.push([c, () => false]);
        const answers = hello.map(([, fatal]) =>
          new Promise<Reply>((res, rej) => {
            this.waiting.push({ resolve: res, reject: rej });
          }).then((r) => {
            if (r instanceof RedisReplyError && fatal(r)) throw r;
            return r;
          }),
        );
        if (hello.length) socket.write(hello.map(([c]) => encode(c)).join(""));
        Promise.all(answers).then(
          () => {
            if (this.socket !== socket) return;
            socket.setTimeout(0);
            this.status = "ready";
            this.attempts = 0;
            this.connecting = undefined;
            resolve();
            this.opts.onReady?.();
          },
          (e: Error) => {
            lastError = e;
            socket.destroy();
          },
        );
      });
    });
  }

  private failAll(e: Error): void {
    const w = this.waiting.splice(this.head);
    this.waiting.length = 0;
    this.head = 0;
    for (const x of w) x.reject(e);
  }

  private read(chunk: Buffer): void {
    // An answer that has not all arrived waits for the bytes it needs before it is parsed again,
    // so a long answer costs one copy, not one per piece.
    if (this.pendingBytes) {
      this.pendingChunks.push(chunk);
      this.pendingLength += chunk.length;
      if (this.pendingLength > MAX_REPLY_BYTES) {
        this.socket?.destroy(new Error("an answer larger than 1 MiB"));
        return;
      }
      if (this.pendingLength < this.wanted) return;
    }
    const buf = this.pendingBytes ? Buffer.concat([this.pendingBytes, ...this.pendingChunks], this.pendingLength) : chunk;
    this.pendingChunks = [];
    let at = 0;
    for (;;) {
      let r: Reply | typeof INCOMPLETE;
      try {
        r = parse(buf, at);
      } catch (e) {
        this.socket?.destroy(e as Error);
        return;
      }
      if (r === INCOMPLETE) break;
      at = parsedTo();
      if (this.head >= this.waiting.length) {
        // An answer to nothing asked: the answers no longer match the commands.
        this.socket?.destroy(new Error("an answer from Redis to no command"));
        return;
      }
      const w = this.waiting[this.head++];
      if (this.head === this.waiting.length) {
        this.waiting.length = 0;
        this.head = 0;
      } else if (this.head > 1024) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      w.resolve(r);
      if (at === buf.length) break;
    }
    if (at === buf.length) {
      this.pendingBytes = null;
      return;
    }
    this.pendingBytes = buf.subarray(at);
    this.pendingLength = this.pendingBytes.length;
    this.wanted = wantedBytes() - at;
    if (this.pendingLength > MAX_REPLY_BYTES || this.wanted > MAX_REPLY_BYTES) this.socket?.destroy(new Error("an answer larger than 1 MiB"));
  }
}

const IGNORED: Waiting = { resolve: () => {}, reject: () => {} };

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/** An error answer at the top level becomes an exception. */
function top(r: Reply): Reply {
  if (r instanceof RedisReplyError) throw r;
  return r;
}

/** One command in RESP: an array of bulk strings. */
export function encode(args: readonly Arg[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const v = typeof a === "number" ? String(a) : a;
    s += `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
  }
  return s;
}

const CR = 13;

/** The end of the line starting at `at` (the index of its \r), or -1 if it has not all arrived. */
function lineEnd(b: Buffer, at: number): number {
  const i = b.indexOf(CR, at);
  return i === -1 || i + 1 >= b.length ? -1 : i;
}

function intAt(b: Buffer, from: number, to: number): number {
  let n = 0;
  let neg = false;
  let i = from;
  if (b[i] === 45) {
    neg = true;
    i++;
  }
  for (; i < to; i++) n = n * 10 + (b[i] - 48);
  return neg ? -n : n;
}

/** Returned by `parse` when the answer has not all arrived. */
export const INCOMPLETE: unique symbol = Symbol("incomplete");
/** Where `parse` stopped: the first byte after the answer it returned. */
let cursor = 0;
/** After INCOMPLETE: how long the buffer must be, at least, before parsing again can succeed. */
let wanted = 0;

/**
 * Parses one answer starting at `at`; the next starts at `parsedTo()` afterwards. Returns
 * INCOMPLETE when it has not all arrived. A cursor instead of a result object per value: an
 * answer of the link holds dozens of numbers.
 */
function incomplete(need: number): typeof INCOMPLETE {
  wanted = need;
  return INCOMPLETE;
}

export function parse(b: Buffer, at: number): Reply | typeof INCOMPLETE {
  if (at >= b.length) return incomplete(b.length + 1);
  const type = b[at];
  const end = lineEnd(b, at + 1);
  if (end === -1) return incomplete(b.length + 1);
  cursor = end + 2;
  switch (type) {
    case 58: // ':' integer
      return intAt(b, at + 1, end);
    case 43: // '+' simple string
      return b.toString("utf8", at + 1, end);
    case 45: // '-' error
      return new RedisReplyError(b.toString("utf8", at + 1, end));
    case 36: {
      // '$' bulk string
      const len = intAt(b, at + 1, end);
      if (len < 0) return null;
      const start = end + 2;
      if (start + len + 2 > b.length) return incomplete(start + len + 2);
      cursor = start + len + 2;
      return b.toString("utf8", start, start + len);
    }
    case 42: {
      // '*' array
      const n = intAt(b, at + 1, end);
      if (n < 0) return null;
      const out = new Array<Reply>(n);
      for (let i = 0; i < n; i++) {
        const r = parse(b, cursor);
        if (r === INCOMPLETE) return INCOMPLETE;
        out[i] = r;
      }
      return out;
    }
    default:
      throw new Error(`unexpected answer from Redis (type byte ${type})`);
  }
}

export function wantedBytes(): number {
  return wanted;
}

/** The first byte after the answer `parse` last returned. */
export function parsedTo(): number {
  return cursor;
}

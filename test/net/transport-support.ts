/**
 * Shared pieces of the transport tests: raw TCP/TLS servers that write exactly the bytes a test
 * wants, a transport per kind that is closed after each test, and `send()`, which runs one
 * request to its end and collects everything the exchange handler saw.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { afterEach } from "vitest";
import { createTransport } from "../../src/net/client/create-transport.js";
import type { ClientRequest, UpstreamHead } from "../../src/net/client/http1.js";
import type { ExchangeHandler, TransportKind, TransportOptions, UpstreamTransport } from "../../src/net/client/transport.js";

export const KINDS: TransportKind[] = ["fast", "undici"];

export const CERT = readFileSync(new URL("../fixtures/tls/localhost.crt", import.meta.url));
const KEY = readFileSync(new URL("../fixtures/tls/localhost.key", import.meta.url));

/** One request as the raw server read it. */
export interface Seen {
  head: string;
  body: string;
  /** Which connection (0, 1, ...) it came on. */
  conn: number;
}

export type Respond = (req: Seen, socket: net.Socket) => void;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export function onCleanup(f: () => unknown): void {
  cleanups.push(f);
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `value()` is `want` (or 2 s pass), and returns it: for counts a peer updates a little later. */
export async function settled<T>(value: () => T, want: T): Promise<T> {
  const end = Date.now() + 2000;
  while (value() !== want && Date.now() < end) await delay(10);
  return value();
}

/** A server that parses requests off the socket and lets the test write whatever it wants back. */
export async function rawServer(respond: Respond, opts: { secure?: boolean } = {}) {
  const seen: Seen[] = [];
  let conns = 0;
  let closed = 0;
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    const conn = conns++;
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    socket.on("data", (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.toString("latin1", 0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const req = { head, body: buf.toString("utf8", end + 4, end + 4 + len), conn };
        buf = buf.subarray(end + 4 + len);
        seen.push(req);
        respond(req, socket);
      }
    });
  };
  const server = opts.secure ? tls.createServer({ key: KEY, cert: CERT }, onSocket) : net.createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  cleanups.push(close);
  const origin = `${opts.secure ? "https" : "http"}://127.0.0.1:${port}`;
  return {
    port,
    origin,
    seen,
    sockets,
    close,
    /** Connections accepted so far. */
    get connections() {
      return conns;
    },
    /** Connections that have closed so far. */
    get closed() {
      return closed;
    },
  };
}

/** A transport of `kind`, destroyed after the test. */
export function transport(kind: TransportKind, o: Partial<TransportOptions> = {}): UpstreamTransport {
  const t = createTransport(kind, { connectTimeoutMs: 2000, tls: { ca: CERT }, ...o });
  cleanups.push(() => Promise.race([t.close(), delay(500)]));
  return t;
}

export const ok = (body: string, extra = "") => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

export interface Outcome {
  status: number;
  head: UpstreamHead | null;
  body: string;
  pieces: number;
  error: (Error & { code?: string }) | null;
}

export function request(req: Partial<ClientRequest> = {}): ClientRequest {
  return { method: "GET", path: "/", headers: {}, headersTimeout: 0, bodyTimeout: 0, ...req };
}

/** Runs one request to its end and collects everything the handler saw. */
export function send(
  t: UpstreamTransport,
  origin: string,
  req: Partial<ClientRequest> = {},
  hooks: { abort?: (abort: (e: Error) => void) => void; onData?: (chunk: Buffer, resume: () => void) => boolean; onHeaders?: () => void } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { status: 0, head: null, body: "", pieces: 0, error: null };
    const chunks: Buffer[] = [];
    let resume: () => void = () => {};
    let settled = 0;
    const h: ExchangeHandler = {
      onConnect: (abort) => hooks.abort?.(abort),
      onHeaders: (head, r) => {
        out.status = head.statusCode;
        out.head = head;
        resume = r;
        hooks.onHeaders?.();
      },
      onData: (c) => {
        chunks.push(Buffer.from(c));
        out.pieces++;
        return hooks.onData ? hooks.onData(c, resume) : true;
      },
      onComplete: () => {
        if (settled++) throw new Error("settled twice");
        out.body = Buffer.concat(chunks).toString("utf8");
        resolve(out);
      },
      onError: (e) => {
        if (settled++) throw new Error("settled twice");
        out.error = e;
        out.body = Buffer.concat(chunks).toString("utf8");
        resolve(out);
      },
    };
    t.request(origin, request(req), h);
  });
}

/**
 * Test servers for the HTTP edge: one route and handler served by either engine (`fast`: the
 * gateway's own HTTP/1.1 edge in front of Node's server; `node`: Node's server alone), or by a
 * plain `node:http` server (the reference the edge is compared with), each recording the
 * requests its handler saw; and a raw client that sends bytes in pieces.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { attachHttpEdge, type HttpEdge, type HttpEngine } from "../../src/net/server/edge.js";
import type { Inbound, Reply } from "../../src/net/reply.js";

export interface Seen {
  method: string;
  url: string;
  /** The whole body (Latin-1), or null while it has not arrived (or never did). */
  body: string | null;
}

export interface TestServer {
  port: number;
  /** Requests the handler saw, in order (method, target, body as Latin-1). */
  seen: Seen[];
  /** Server-side sockets, in accept order. */
  sockets: Socket[];
  /** Calls to a reply's onAbort (the client went away mid-request). */
  aborted: string[];
  close(): Promise<void>;
}

export interface ServeOptions {
  maxBodyBytes?: number;
  keepAliveTimeoutMs?: number;
  /** Answers POST /slow after this many ms (default 50). */
  slowMs?: number;
  /** The answer's body (default "ok"); the handler echoes the request body for /echo, and answers the number of headers it got for /headers. */
  answer?: string;
  /** Node's `server.maxHeadersCount` (default: Node's). */
  maxHeadersCount?: number;
}

/** The one handler both engines run: a route per path, answered through Reply. */
function handler(seen: Seen[], aborted: string[], o: ServeOptions) {
  return async (endpoint: string, req: Inbound, reply: Reply, method: string, url: string): Promise<void> => {
    const entry: Seen = { method, url, body: null };
    seen.push(entry); // in the order requests reach the handler; the body once it has arrived
    let body: Buffer;
    try {
      body = await req.body(o.maxBodyBytes ?? 1 << 20);
    } catch {
      reply.send(413, { "content-type": "text/plain" }, "too large");
      return;
    }
    entry.body = body.toString("latin1");
    if (endpoint === "stream") {
      reply.start(200, { "content-type": "text/event-stream" });
      reply.write("data: 1\n\n");
      await new Promise((r) => setTimeout(r, 20));
      reply.write("data: 2\n\n");
      reply.end();
      return;
    }
    if (endpoint === "slow") {
      reply.onAbort(() => aborted.push(url));
      await new Promise((r) => setTimeout(r, o.slowMs ?? 50));
      if (reply.closed) return;
    }
    const answer = endpoint === "echo" ? body.toString("latin1") : endpoint === "headers" ? String(Object.keys(req.headers).length) : (o.answer ?? "ok");
    reply.send(200, { "content-type": "text/plain" }, answer);
  };
}

/** Every POST goes to the handler (the edge's route); anything else to Node's listener. */
function route(method: string, url: string): string | undefined {
  if (method !== "POST") return undefined;
  return url === "/stream" ? "stream" : url === "/slow" ? "slow" : url === "/echo" ? "echo" : url === "/headers" ? "headers" : "post";
}

/** Node's answer to what the route does not take: the body read and recorded, then "ok". */
function other(seen: Seen[], answer: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const entry: Seen = { method: req.method ?? "", url: req.url ?? "", body: null };
    seen.push(entry);
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      entry.body = Buffer.concat(parts).toString("latin1");
      // As the edge's NodeReply answers: a content-length (Node's res.end(data) alone closes an HTTP/1.0 connection).
      res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(answer) });
      res.end(answer);
    });
  };
}

async function listen(server: Server, seen: Seen[], aborted: string[], edge?: HttpEdge): Promise<TestServer> {
  const sockets: Socket[] = [];
  server.on("connection", (s: Socket) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    sockets,
    aborted,
    close: () =>
      new Promise<void>((r) => {
        edge?.closeAll();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The handler on one engine, as the gateway sets it up (src/net/server/edge.ts). */
export async function serveEngine(engine: HttpEngine, o: ServeOptions = {}): Promise<TestServer> {
  const seen: Seen[] = [];
  const aborted: string[] = [];
  const server = createServer();
  if (o.maxHeadersCount !== undefined) server.maxHeadersCount = o.maxHeadersCount;
  const handle = handler(seen, aborted, o);
  // The handler needs the method and target; the edge's Inbound does not carry them, so the route
  // records them (the route runs once per request, just before the handler).
  let last = { method: "", url: "" };
  const edge = attachHttpEdge(server, {
    engine,
    route: (method, url) => {
      const e = route(method, url);
      if (e !== undefined) last = { method, url };
      return e;
    },
    handle: (endpoint, req, reply) => handle(endpoint, req, reply, last.method, last.url),
    other: other(seen, o.answer ?? "ok"),
    maxBodyBytes: o.maxBodyBytes ?? 1 << 20,
    keepAliveTimeoutMs: o.keepAliveTimeoutMs ?? 5000,
  });
  server.on("request", edge.listener);
  return listen(server, seen, aborted, edge);
}

/** A plain `node:http` server recording every request: the reference. */
export async function servePlain(o: ServeOptions = {}): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer(other(seen, o.answer ?? "ok"));
  server.keepAliveTimeout = o.keepAliveTimeoutMs ?? 5000;
  return listen(server, seen, []);
}

export interface Exchange {
  /** Status codes of the responses received, in order. */
  statuses: number[];
  /** The server closed the connection. */
  closed: boolean;
  raw: string;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Sends `parts` on a new connection, each only once the server has read the one before (so each
 * boundary is a boundary between reads on the server), then waits until the server closes the
 * connection or `quietMs` pass without a byte.
 */
export async function exchange(server: TestServer, parts: Buffer[], quietMs = 300): Promise<Exchange> {
  const before = server.sockets.length;
  const s = connect(server.port, "127.0.0.1");
  s.setNoDelay(true);
  let raw = "";
  let closed = false;
  let lastByte = Date.now();
  s.setEncoding("latin1");
  s.on("data", (d: string) => {
    raw += d;
    lastByte = Date.now();
  });
  s.on("error", () => {});
  s.on("close", () => (closed = true));
  await new Promise<void>((r) => s.once("connect", () => r()));
  for (let i = 0; i < 1000 && server.sockets.length === before; i++) await turn();
  const peer = server.sockets[before];
  let sent = 0;
  for (const p of parts) {
    if (closed) break;
    s.write(p);
    sent += p.length;
    // Until the server has read it (or stopped reading: closed, or waiting on a response).
    for (let i = 0; i < 200 && peer && peer.bytesRead < sent && !peer.destroyed && !closed; i++) await turn();
  }
  lastByte = Date.now();
  while (!closed && Date.now() - lastByte < quietMs) await new Promise((r) => setTimeout(r, 2));
  s.destroy();
  const statuses = [...raw.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
  return { statuses, closed, raw };
}

/** `bytes` cut at `at` (no cut when at is 0 or the end). */
export function splitAt(bytes: Buffer, at: number): Buffer[] {
  return at <= 0 || at >= bytes.length ? [bytes] : [bytes.subarray(0, at), bytes.subarray(at)];
}

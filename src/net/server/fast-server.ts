/**
 * The gateway's own HTTP/1.1 connection handling for inference requests: the hot path.
 *
 * Node's `http` server costs about as much CPU per request as everything else a pass-through
 * proxy does (an `IncomingMessage` and a `ServerResponse` stream per request, header objects,
 * several event-loop hops). Inference requests have a narrow, regular shape — a POST with a
 * JSON body and a `content-length` — so the gateway reads them straight off the socket and
 * writes the response in one `write`.
 *
 * Anything outside that shape is left to Node: at a request boundary, the connection (with the
 * bytes read so far put back) is handed to Node's `http` server, which serves it from then on.
 * That covers every other route (management, models, probes), chunked or oversized request
 * bodies, `Expect`, `Upgrade`, HTTP/1.0, duplicate or malformed headers and anything else this
 * parser does not accept — Node answers those exactly as it always did (400, 413, 431, …).
 *
 * The node server is the one that listens; this takes its `connection` events. See
 * docs/architecture.md ("The HTTP edge").
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { InboundConnection } from "./fast-connection.js";
import type { Inbound, Reply } from "../reply.js";

export interface FastServerOptions<E> {
  /** Which fast-path endpoint a request is for; undefined hands the connection to Node. */
  route(method: string, url: string): E | undefined;
  /** Serves one request; it writes its answer through the reply. */
  handle(endpoint: E, req: Inbound, reply: Reply): unknown;
  /** Bodies larger than this go to Node's server, which answers 413 the careful way. */
  maxBodyBytes: number;
  /** A connection idle this long between requests is closed (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** A request whose head has not arrived within this is dropped (Node's `headersTimeout`). */
  headersTimeoutMs?: number;
  /** A request whose body has not arrived within this is dropped (Node's `requestTimeout`). */
  requestTimeoutMs?: number;
}

export class FastHttp<E> {
  private readonly connections = new Set<InboundConnection<E>>();
  private readonly nodeListener: (socket: Socket) => void;
  private readonly sweeper: NodeJS.Timeout;
  draining = false;
  /** @internal The end of every keep-alive response head, with the idle timeout as a hint to clients. */
  readonly keepAliveLines: string;

  constructor(
    private readonly server: Server,
    readonly o: FastServerOptions<E>,
  ) {
    this.keepAliveLines = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}\r\n\r\n`;
    const listeners = server.listeners("connection") as Array<(socket: Socket) => void>;
    if (listeners.length !== 1) throw new Error("FastHttp: expected Node's one connection listener on the server");
    this.nodeListener = listeners[0]!;
    server.removeListener("connection", this.nodeListener);
    server.on("connection", (socket: Socket) => this.accept(socket));
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
    server.once("close", () => clearInterval(this.sweeper));
  }

  /** Connections currently served here (not handed to Node). */
  get size(): number {
    return this.connections.size;
  }

  /** Shutting down: idle connections close now, busy ones after their response. */
  drain(): void {
    this.draining = true;
    for (const c of this.connections) if (c.idle) c.closeIdle();
  }

  /** Drops every connection still open here (what is complete still leaves). */
  closeAll(): void {
    for (const c of this.connections) c.out.destroy();
  }

  /** @internal Header lines Node's server keeps in `headers` (`maxHeadersCount`, 0: all); a head with more goes to Node. */
  maxHeaders(): number {
    const n = this.server.maxHeadersCount;
    // Node's parser keeps `maxHeadersCount << 1` names and values, 2000 when it is not a number.
    const pairs = typeof n === "number" ? n << 1 : 2000;
    return pairs > 0 ? pairs >> 1 : 0;
  }

  private accept(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    this.connections.add(new InboundConnection(this, socket));
  }

  /** @internal */
  forget(c: InboundConnection<E>): void {
    this.connections.delete(c);
  }

  /** @internal Gives the socket, with `buffered` put back in front, to Node's http server. */
  handOver(c: InboundConnection<E>, buffered: Buffer | null): void {
    this.connections.delete(c);
    const s = c.out.handOver(); // our responses before any of Node's on this connection
    s.pause();
    if (buffered && buffered.length) s.unshift(buffered);
    this.nodeListener.call(this.server, s);
    s.resume();
  }

  private sweep(): void {
    const now = Date.now();
    const headersTimeout = this.o.headersTimeoutMs ?? 60_000;
    const requestTimeout = this.o.requestTimeoutMs ?? 300_000;
    for (const c of this.connections) {
      if (c.busy) continue;
      const limit = c.partialSince ? (c.readingBody ? requestTimeout : headersTimeout) : this.o.keepAliveTimeoutMs;
      if (now - (c.partialSince || c.lastActive) > limit) c.out.destroy();
    }
  }
}

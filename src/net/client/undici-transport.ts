/**
 * The upstream transport over undici (`upstream.transport: undici`): an undici `Pool` per
 * origin, or a `ProxyAgent` for origins reached through an egress proxy, driven with
 * `dispatch()` and a handler that feeds the same exchange interface as the gateway's own
 * client (./transport.ts). It keeps what that client guarantees: connect / first-byte / idle
 * timeouts, cancellation before or after the response starts, backpressure, a bound on
 * informational responses, errors as ClientErrors that never quote upstream bytes, and the
 * origin's idle connections dropped after a framing anomaly.
 *
 * The fast client also sends its proxied origins here (./fast-transport.ts).
 */
import type * as Undici from "undici";
import type { Dispatcher, ProxyAgent } from "undici";
import { lazyPackage } from "../../core/lazy.js";
import { MAX_INFORMATIONAL } from "./connection.js";
import { checkRequest, ClientError, type ClientRequest } from "./http1.js";
import { proxyFor } from "./proxy.js";
import type { ExchangeHandler, TransportOptions, UpstreamTransport } from "./transport.js";

/** undici, loaded by the first request this transport carries. */
const undici = lazyPackage<typeof Undici>("undici");

export class UndiciTransport implements UpstreamTransport {
  /** The dispatcher of each origin seen (a Pool, or the shared ProxyAgent of its proxy). */
  private readonly routes = new Map<string, Dispatcher>();
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly retired = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: TransportOptions) {}

  request(origin: string, req: ClientRequest, handler: ExchangeHandler): void {
    const ex = new UndiciExchange(handler, this, origin, this.o.connectTimeoutMs);
    if (ex.aborted) return;
    if (this.closed) return ex.fail(new ClientError("UPSTREAM_POOL_CLOSED", "the upstream connection pool is closed"));
    const checked = checkRequest(req);
    if (checked instanceof ClientError) return ex.fail(checked);
    let d: Dispatcher;
    try {
      d = this.routes.get(origin) ?? this.route(origin);
    } catch (e) {
      return ex.fail(e as Error);
    }
    d.dispatch(
      {
        origin,
        path: req.path,
        method: req.method,
        headers: checked.headers,
        body: req.body ?? (req.method === "POST" || req.method === "PUT" || req.method === "PATCH" ? "" : null),
        headersTimeout: req.headersTimeout,
        bodyTimeout: req.bodyTimeout,
      },
      ex,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = new Set<Dispatcher>([...this.routes.values(), ...this.proxies.values()]);
    this.routes.clear();
    await Promise.all([...[...all].map((d) => d.close()), ...this.retired]);
  }

  /**
   * The upstream broke the framing on one connection: later requests to `origin` get a fresh
   * pool, and the old one closes its idle connections at once (its other requests finish first).
   */
  dropIdle(origin: string): void {
    const d = this.routes.get(origin);
    if (!d || d instanceof undici().ProxyAgent) return; // a proxy's agent serves other origins too
    this.routes.delete(origin);
    const p = d.close().catch(() => {});
    this.retired.add(p);
    void p.then(() => this.retired.delete(p));
  }

  private route(origin: string): Dispatcher {
    const u = new URL(origin);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`unsupported protocol ${u.protocol} in ${origin}`);
    const proxy = this.o.proxy && proxyFor(this.o.proxy, u);
    const common = {
      connections: this.o.connections ?? 256,
      keepAliveTimeout: this.o.keepAliveMs ?? 30_000,
      keepAliveMaxTimeout: this.o.keepAliveMs ?? 30_000,
      keepAliveTimeoutThreshold: 1000,
    };
    let d: Dispatcher;
    if (proxy) {
      let agent = this.proxies.get(proxy);
      if (!agent) {
        // http origins are sent to the proxy in absolute form; https origins go through a CONNECT tunnel.
        agent = new (undici().ProxyAgent)({ uri: proxy, proxyTunnel: false, ...common, connect: { timeout: this.o.connectTimeoutMs }, requestTls: this.o.tls });
        this.proxies.set(proxy, agent);
      }
      d = agent;
    } else {
      d = new (undici().Pool)(origin, { ...common, connect: { ...this.o.tls, timeout: this.o.connectTimeoutMs } });
    }
    this.routes.set(origin, d);
    return d;
  }
}

/** One exchange: undici's handler calls turned into the exchange interface's. */
class UndiciExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  /** The abort asked for before undici started the request. */
  private abortReason: Error | null = null;
  private settled = false;
  private informational = 0;

  constructor(
    private readonly handler: ExchangeHandler,
    private readonly owner: UndiciTransport,
    private readonly origin: string,
    private readonly connectTimeoutMs: number,
  ) {
    handler.onConnect((err) => this.abort(err));
  }

  get aborted(): boolean {
    return this.settled;
  }

  /** Fails the exchange now (a request undici has not started is then never sent). */
  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.handler.onError(err);
  }

  private abort(err: Error): void {
    if (this.settled) return;
    if (this.controller)
      this.controller.abort(err); // undici reports it through onResponseError
    else this.abortReason = err;
    this.fail(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.settled) return;
    if (statusCode < 200) {
      if (statusCode === 101) return this.bad("upstream switched protocols, which was not asked for");
      if (++this.informational > MAX_INFORMATIONAL) this.bad(`upstream sent more than ${MAX_INFORMATIONAL} informational (1xx) responses`);
      return;
    }
    this.handler.onHeaders({ statusCode, headers }, () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (!this.handler.onData(chunk) && !this.settled) controller.pause();
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.handler.onComplete();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    const mapped = translate(err, this.connectTimeoutMs);
    if ((mapped as ClientError).code === "UPSTREAM_BAD_RESPONSE") this.owner.dropIdle(this.origin);
    this.fail(mapped);
  }

  private bad(why: string): void {
    this.owner.dropIdle(this.origin);
    this.abort(new ClientError("UPSTREAM_BAD_RESPONSE", why));
  }
}

/**
 * undici's errors as the client's codes, with messages of our own: undici's parser errors carry
 * the offending bytes (`data`), which may be another caller's, and they must not reach a message.
 */
function translate(err: Error, connectTimeoutMs: number): Error {
  if (err instanceof ClientError) return err;
  const code = (err as { code?: string }).code ?? "";
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return new ClientError("UPSTREAM_CONNECT_TIMEOUT", `connecting to upstream timed out after ${connectTimeoutMs} ms`);
    case "UND_ERR_HEADERS_TIMEOUT":
      return new ClientError("UPSTREAM_HEADERS_TIMEOUT", "upstream sent no response headers in time");
    case "UND_ERR_BODY_TIMEOUT":
      return new ClientError("UPSTREAM_BODY_TIMEOUT", "upstream sent nothing for too long while sending the body");
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      return new ClientError("UPSTREAM_BAD_RESPONSE", "the response's body does not match its content-length");
    case "UND_ERR_SOCKET":
      return new ClientError("UPSTREAM_CLOSED", "upstream closed the connection before the response was complete");
    case "UND_ERR_HEADERS_OVERFLOW":
      return new ClientError("UPSTREAM_BAD_RESPONSE", "upstream response headers are too large");
    case "UND_ERR_CLOSED":
    case "UND_ERR_DESTROYED":
      return new ClientError("UPSTREAM_POOL_CLOSED", "the upstream connection pool is closed");
    case "UND_ERR_INVALID_ARG":
      return new ClientError("UPSTREAM_INVALID_REQUEST", err.message);
  }
  if (code.startsWith("HPE_") || err.name === "HTTPParserError") {
    // llhttp's reason is one of its fixed texts ("Invalid character in chunk size"); the bytes are in `data`, left out.
    const reason = /\(([^()]*)\)$/.exec(err.message)?.[1] ?? code;
    return new ClientError("UPSTREAM_BAD_RESPONSE", `the response does not follow HTTP/1.1${reason ? ` (${reason})` : ""}`);
  }
  // The socket's own errors (ECONNREFUSED, ECONNRESET, TLS failures) keep their code and message, as with the fast client.
  return err;
}

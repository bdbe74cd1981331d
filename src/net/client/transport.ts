/**
 * The seam between the providers' HTTP calls (src/providers/http.ts) and the code that speaks
 * HTTP to upstreams. Two transports implement it: the gateway's own keep-alive client
 * (fast-transport.ts, the default) and one over undici (undici-transport.ts), selected by the
 * `upstream.transport` setting. Both report one exchange's progress to the same handler
 * (UpstreamExchange in ./exchange.ts) and pass the same conformance tests.
 */
import type tls from "node:tls";
import type { ClientRequest, UpstreamHead } from "./http1.js";

/** What a transport reports one exchange's progress to (UpstreamExchange is the one in use). */
export interface ExchangeHandler {
  /** Called first, with a function that stops the exchange at any point. */
  onConnect(abort: (err: Error) => void): void;
  /** The status line and headers arrived; `resume` restarts reading after onData returned false. */
  onHeaders(head: UpstreamHead, resume: () => void): void;
  /** A piece of the body; return false to stop reading from the socket until `resume()`. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  /** The exchange failed (after at most one onHeaders); nothing else is called afterwards. */
  onError(err: Error): void;
}

export interface UpstreamTransport {
  /**
   * Sends `req` to `origin` ("http://host:port" or "https://host", as URL.origin gives it) and
   * reports the response to `handler`. Cancellation goes through the abort function handed to
   * `handler.onConnect`, which is called before this returns. Failures are ClientErrors (or the
   * socket's own errors, such as ECONNREFUSED), never thrown.
   */
  request(origin: string, req: ClientRequest, handler: ExchangeHandler): void;
  /** Waits for the requests in flight, then closes every connection; later requests fail. */
  close(): Promise<void>;
}

export type TransportKind = "fast" | "undici";

/** Egress proxies, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (read by src/config/). */
export interface ProxySettings {
  /** Proxy for https origins (tunnelled with CONNECT). */
  httpsProxy?: string;
  /** Proxy for http origins. */
  httpProxy?: string;
  /** Hosts reached directly: comma- or space-separated names (a name covers its subdomains), `host:port`, or `*`. */
  noProxy?: string;
}

export interface TransportOptions {
  connectTimeoutMs: number;
  /** Most connections per origin. Default 256. */
  connections?: number;
  /** Longest an idle connection is kept. Default 30 s, shortened by a server's keep-alive hint. */
  keepAliveMs?: number;
  proxy?: ProxySettings;
  /** Extra TLS options for https origins (a private CA, client certificates). */
  tls?: tls.ConnectionOptions;
}

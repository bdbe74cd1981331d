/**
 * The default upstream transport (`upstream.transport: fast`): the gateway's own keep-alive
 * client, one OriginPool per origin (./client.ts). The origin of the last request is remembered,
 * so the common case (a provider calling its own origin) costs a string comparison.
 *
 * Origins reached through an egress proxy (HTTPS_PROXY / HTTP_PROXY) are handed to the undici
 * transport, whose ProxyAgent does the CONNECT tunnelling and absolute-form requests: proxied
 * traffic is rarely the hot path, and undici's proxy code is well tried.
 */
import { OriginPool } from "./client.js";
import type { ClientRequest } from "./http1.js";
import { proxyFor } from "./proxy.js";
import type { ExchangeHandler, TransportOptions, UpstreamTransport } from "./transport.js";
import { UndiciTransport } from "./undici-transport.js";

/** An origin sent through a proxy (by the undici transport). */
const PROXIED = null;

export class FastTransport implements UpstreamTransport {
  private readonly pools = new Map<string, OriginPool | typeof PROXIED>();
  private lastOrigin = "";
  private lastPool: OriginPool | null = null;
  private viaProxy: UndiciTransport | null = null;
  private closed = false;

  constructor(private readonly o: TransportOptions) {}

  request(origin: string, req: ClientRequest, handler: ExchangeHandler): void {
    if (origin === this.lastOrigin && this.lastPool) return this.lastPool.dispatch(req, handler);
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      try {
        pool = this.route(origin);
      } catch (e) {
        handler.onConnect(() => {});
        return handler.onError(e as Error);
      }
    }
    if (pool === PROXIED) return this.viaProxy!.request(origin, req, handler);
    this.lastOrigin = origin;
    this.lastPool = pool;
    pool.dispatch(req, handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending: Promise<void>[] = [];
    for (const p of this.pools.values()) if (p) pending.push(p.close());
    if (this.viaProxy) pending.push(this.viaProxy.close());
    await Promise.all(pending);
  }

  private route(origin: string): OriginPool | typeof PROXIED {
    const proxied = this.o.proxy !== undefined && proxyFor(this.o.proxy, new URL(origin)) !== undefined;
    let pool: OriginPool | typeof PROXIED = PROXIED;
    if (proxied) this.viaProxy ??= new UndiciTransport(this.o);
    else pool = new OriginPool(origin, { connectTimeoutMs: this.o.connectTimeoutMs, connections: this.o.connections, keepAliveMs: this.o.keepAliveMs, tls: this.o.tls });
    if (this.closed) {
      // A request after close() fails as the pools' own would; nothing is kept.
      void pool?.close();
      return pool;
    }
    this.pools.set(origin, pool);
    return pool;
  }
}

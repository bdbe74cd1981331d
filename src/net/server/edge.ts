/**
 * The gateway's HTTP/1.1 server, on either engine: `fast` (the default) puts the gateway's own
 * connection handling (fast-server.ts) in front of Node's `http` server; `node` serves every
 * request through Node's server alone. Both send the requests `route` takes to the same
 * `handle` through `Inbound`/`Reply` (../reply.ts), and everything else to `other`.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { NodeInbound, NodeReply } from "../reply.js";
import { FastHttp, type FastServerOptions } from "./fast-server.js";

export const HTTP_ENGINES = ["fast", "node"] as const;
export type HttpEngine = (typeof HTTP_ENGINES)[number];

export interface HttpEdgeOptions<E> extends FastServerOptions<E> {
  engine: HttpEngine;
  /** Requests `route` does not take, on Node's server (management API, probes, …). */
  other(req: IncomingMessage, res: ServerResponse): unknown;
}

export interface HttpEdge {
  readonly engine: HttpEngine;
  /** Node's request listener for the server (every request on `node`; the handed-over ones on `fast`). */
  readonly listener: RequestListener;
  /** Shutting down: idle connections of the fast engine close now, busy ones after their response. */
  drain(): void;
  /** Drops every connection the fast engine still holds. */
  closeAll(): void;
}

/** Sets up the engine on Node's `server` (listening or not); its requests go to `listener`. */
export function attachHttpEdge<E>(server: Server, o: HttpEdgeOptions<E>): HttpEdge {
  const listener: RequestListener = (req, res) => {
    const endpoint = o.route(req.method ?? "", req.url ?? "");
    if (endpoint !== undefined) void o.handle(endpoint, new NodeInbound(req), new NodeReply(res));
    else void o.other(req, res);
  };
  server.keepAliveTimeout = o.keepAliveTimeoutMs;
  if (o.headersTimeoutMs !== undefined) server.headersTimeout = o.headersTimeoutMs;
  if (o.requestTimeoutMs !== undefined) server.requestTimeout = o.requestTimeoutMs;
  if (o.engine === "node") return { engine: "node", listener, drain() {}, closeAll() {} };
  const fast = new FastHttp(server, { ...o, headersTimeoutMs: server.headersTimeout, requestTimeoutMs: server.requestTimeout });
  return { engine: "fast", listener, drain: () => fast.drain(), closeAll: () => fast.closeAll() };
}

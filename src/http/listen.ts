/**
 * The gateway's listening socket, bound first at start-up: a port that is taken (or a host that is
 * not this machine's) stops the start before anything is written to the data directory, in one
 * line naming the setting. Until the gateway is ready, requests are answered 503 (`starting`).
 */
import type { AddressInfo } from "node:net";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { StartupError } from "../store/data-dir.js";
import { GatewayError, openAIEnvelope } from "../core/errors.js";

export interface BoundServer {
  server: Server;
  port: number;
  /** `http://host:port` (an IPv6 host in brackets). */
  url: string;
  /** Hands requests to `handler` from now on. */
  serve(handler: RequestListener): void;
  /** Closes the socket (used when the start is given up). */
  close(): Promise<void>;
}

export async function bindServer(where: { host: string; port: number }): Promise<BoundServer> {
  let handler: RequestListener = starting;
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(listenError(e, where));
    server.once("error", onError);
    server.listen(where.port, where.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = where.host.includes(":") ? `[${where.host}]` : where.host;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    serve: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenError(e: NodeJS.ErrnoException, where: { host: string; port: number }): Error {
  const at = `port ${where.port} on ${where.host}`;
  switch (e.code) {
    case "EADDRINUSE":
      return new StartupError(`${at} is in use (set --port or SWITCHBOARD_PORT)`);
    case "EACCES":
      return new StartupError(`${at}: permission denied (ports below 1024 need privileges; set --port or SWITCHBOARD_PORT)`);
    case "EADDRNOTAVAIL":
      return new StartupError(`host ${where.host} is not an address of this machine (set --host or SWITCHBOARD_HOST)`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartupError(`host ${where.host} could not be resolved (set --host or SWITCHBOARD_HOST)`);
    default:
      return new StartupError(`could not listen on ${at}: ${e.message}`);
  }
}

const STARTING = JSON.stringify(openAIEnvelope(new GatewayError("starting", "the gateway is starting; retry in a moment")));

function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close", "content-length": Buffer.byteLength(STARTING) });
  res.end(STARTING);
}

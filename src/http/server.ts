/**
 * The HTTP service of a running gateway: inference requests go to their handler (read off the
 * socket by the gateway itself on the `fast` engine), everything else to the hono app; and a
 * bounded drain on shutdown.
 */
import type { Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { inferenceEndpoint } from "./routes/inference-endpoints.js";
import { serveInference } from "./routes/inference.js";
import { attachHttpEdge } from "../net/server/edge.js";
import type { Runtime } from "../pipeline/context.js";
import type { Metrics } from "../observability/metrics.js";
import type { BoundServer } from "./listen.js";
import { createApp } from "./app.js";
import type { BatchService } from "../batches/service.js";
import type { ReadinessChecks } from "./routes/health.js";

export interface HttpService {
  server: Server;
  /** Inference requests being served now (streams included). */
  inFlight(): number;
  /** Stops accepting, waits up to `ms` for in-flight requests and streams, then cuts what is left. */
  drain(ms: number): Promise<void>;
}

export function serveHttp(runtime: Runtime, bound: BoundServer, opts: { metrics?: Metrics; readiness?: ReadinessChecks; batches?: BatchService }): HttpService {
  const { config, store } = runtime;
  let draining = false;
  let inFlight = 0;
  const served = () => void inFlight--;
  const { app, preload } = createApp(runtime, { readiness: { database: () => store.health(), ...opts.readiness }, isDraining: () => draining, metrics: opts.metrics, batches: opts.batches });
  const server = bound.server;
  const edge = attachHttpEdge(server, {
    engine: config.server.httpEngine,
    route: inferenceEndpoint,
    handle: (endpoint, req, reply) => {
      inFlight++;
      return serveInference(runtime, endpoint, req, reply).then(served);
    },
    other: getRequestListener(app.fetch),
    maxBodyBytes: config.server.maxBodyBytes,
    keepAliveTimeoutMs: KEEP_ALIVE_MS,
  });
  bound.serve(edge.listener);
  setImmediate(preload);

  const drain = async (ms: number) => {
    draining = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    edge.drain();
    const drained = await Promise.race([stopped.then(() => true), sleep(ms).then(() => false)]);
    if (!drained) {
      server.closeAllConnections();
      edge.closeAll();
    }
  };
  return { server, inFlight: () => inFlight, drain };
}

/** How long an idle keep-alive connection stays open (a little past common clients' 60 s). */
const KEEP_ALIVE_MS = 65_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

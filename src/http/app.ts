/** The Hono application: routes, authentication of API routes, and the one error envelope. */
import { Hono, type MiddlewareHandler } from "hono";
import type { HttpBindings } from "@hono/node-server";
import { GatewayError, openAIEnvelope, toGatewayError } from "../core/errors.js";
import { deploymentStatuses } from "../pipeline/route.js";
import type { Runtime } from "../pipeline/context.js";
import type { Principal } from "../policy/auth.js";
import { docsRoutes } from "./routes/docs.js";
import { healthRoutes, type ReadinessChecks } from "./routes/health.js";
import { modelRoutes } from "./routes/models.js";
import { MANAGEMENT_DOCUMENT, MANAGEMENT_PATHS } from "../management/paths.js";
import type { Metrics } from "../observability/metrics.js";

export interface AppOptions {
  readiness: ReadinessChecks;
  isDraining: () => boolean;
  metrics: Metrics;
}

type Env = { Bindings: HttpBindings; Variables: { principal: Principal } };

/** The app, and `preload()`: loads what it loads lazily (call it once the gateway is listening). */
export function createApp(rt: Runtime, opts: AppOptions): { app: Hono<Env>; preload: () => void } {
  const app = new Hono<Env>();

  // Inference routes are served before hono (routes/inference-endpoints.ts); these only see other methods.
  for (const path of ["/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings"]) {
    app.all(path, (c) => c.json(openAIEnvelope(new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${path}; use POST`)), 405));
  }

  app.route("/", healthRoutes(opts.readiness, opts.isDraining));
  app.route("/", docsRoutes());
  app.get("/metrics", async (c) => {
    const token = rt.config.metrics.bearerToken;
    if (token && c.req.header("authorization") !== `Bearer ${token}`) {
      return c.json(openAIEnvelope(new GatewayError("invalid_api_key", "/metrics requires the configured metrics bearer token")), 401);
    }
    return c.body(await opts.metrics.registry.metrics(), 200, { "content-type": opts.metrics.registry.contentType });
  });
  app.use("/v1/models", requireKey(rt));
  app.use("/v1/models/*", requireKey(rt));
  app.route("/", modelRoutes(rt));
  const management = lazyManagement(rt);
  for (const path of MANAGEMENT_PATHS) {
    app.all(path, management);
    app.all(`${path}/*`, management);
  }
  app.all(MANAGEMENT_DOCUMENT, management);

  app.notFound((c) => {
    const err = new GatewayError("not_found", `no route for ${c.req.method} ${c.req.path}`);
    return c.json(openAIEnvelope(err), 404);
  });
  app.onError((e, c) => {
    const err = toGatewayError(e);
    if (err.code === "internal_error") console.error(JSON.stringify({ level: "error", msg: "internal error", path: c.req.path, error: String(e?.stack ?? e) }));
    return c.json(openAIEnvelope(err), err.status as 400);
  });
  return { app, preload: management.preload };
}

/**
 * The management API, loaded on its first request (or just after start-up, see `preload`): its
 * zod-openapi schemas and routes are a fifth of the gateway's load time, and inference never needs them.
 */
function lazyManagement(rt: Runtime): MiddlewareHandler<Env> & { preload: () => void } {
  let app: Promise<{ fetch: (req: Request, env: Env["Bindings"]) => Response | Promise<Response> }> | undefined;
  const load = () =>
    (app ??= import("../management/index.js").then((m) =>
      m.createManagementApp({
        db: rt.store.db,
        bus: rt.bus,
        isMasterKey: (k) => rt.auth.isMasterKey(k),
        // With Redis this instance's book holds only what it last heard from Redis: budgets then
        // show the spend summed from the ledger, the same on every instance.
        budgets: rt.budgets.shared ? { book: { get: () => undefined }, reloaded: () => rt.budgets.reloaded() } : rt.budgets,
        pricing: rt.pricing,
        deployments: () => deploymentStatuses(rt),
      }),
    ));
  const handler = async (c: Parameters<MiddlewareHandler<Env>>[0]) => (await load()).fetch(c.req.raw, c.env);
  return Object.assign(handler, { preload: () => void load() });
}

function requireKey(rt: Runtime): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set("principal", await rt.auth.authenticate(c.env.incoming.headers, c.env.incoming.socket.remoteAddress));
    await next();
  };
}

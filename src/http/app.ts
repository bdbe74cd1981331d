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
import { batchRoutes, type OpenApiPart } from "./routes/batches.js";
import type { BatchService } from "../batches/service.js";
import { responseRoutes } from "./routes/responses.js";
import { uiRoutes } from "./routes/ui.js";
import { MANAGEMENT_DOCUMENT, MANAGEMENT_PATHS, UI_SESSION_PATH } from "../management/paths.js";
import type { Metrics } from "../observability/metrics.js";
import { errorFields } from "../observability/log.js";

export interface AppOptions {
  readiness: ReadinessChecks;
  isDraining: () => boolean;
  /** Absent when `metrics.enabled` is false: /metrics answers 404. */
  metrics?: Metrics;
  /** `/v1/files` and `/v1/batches`; absent: not served. */
  batches?: BatchService;
}

type Env = { Bindings: HttpBindings; Variables: { principal: Principal } };

/** The app, and `preload()`: loads what it loads lazily (call it once the gateway is listening). */
export function createApp(rt: Runtime, opts: AppOptions): { app: Hono<Env>; preload: () => void } {
  const app = new Hono<Env>();

  // Inference routes are served before hono (routes/inference-endpoints.ts); these only see other methods.
  for (const path of ["/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings", "/v1/responses", "/responses"]) {
    app.all(path, (c) => c.json(openAIEnvelope(new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${path}; use POST`)), 405));
  }

  app.route("/", healthRoutes(opts.readiness, opts.isDraining));
  app.route("/", docsRoutes());
  app.get("/metrics", async (c) => {
    if (!opts.metrics) return c.json(openAIEnvelope(new GatewayError("not_found", "metrics are turned off (metrics.enabled: false)")), 404);
    const token = rt.config.metrics.bearerToken;
    if (token && c.req.header("authorization") !== `Bearer ${token}`) {
      return c.json(openAIEnvelope(new GatewayError("invalid_api_key", "/metrics requires the configured metrics bearer token")), 401);
    }
    return c.body(await opts.metrics.registry.metrics(), 200, { "content-type": opts.metrics.registry.contentType });
  });
  app.use("/v1/models", requireKey(rt));
  app.use("/v1/models/*", requireKey(rt));
  app.route("/", modelRoutes(rt));
  app.use("/v1/responses/*", requireKey(rt));
  app.route("/", responseRoutes(rt));
  const management = lazyManagement(rt);
  if (opts.batches) {
    const batches = batchRoutes(rt, opts.batches);
    app.route("/", batches.app);
    // One /openapi.json: the management API's document with the batch and file routes added.
    app.get(MANAGEMENT_DOCUMENT, async (c) => {
      const res = await management(c, () => Promise.resolve());
      if (!res || res.status !== 200) return res;
      return c.json(withPaths((await res.json()) as OpenApiPart, batches.document()));
    });
  }
  for (const path of MANAGEMENT_PATHS) {
    app.all(path, management);
    app.all(`${path}/*`, management);
  }
  app.all(MANAGEMENT_DOCUMENT, management);
  // The dashboard: its sign-in is part of the management app; its pages are static files.
  app.all(UI_SESSION_PATH, management);
  app.route("/", uiRoutes());

  app.notFound((c) => {
    const err = new GatewayError("not_found", `no route for ${c.req.method} ${c.req.path}`);
    return c.json(openAIEnvelope(err), 404);
  });
  app.onError((e, c) => {
    const err = toGatewayError(e);
    if (err.code === "internal_error") rt.log.error({ path: c.req.path, ...errorFields(e) }, "internal error");
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

/** An OpenAPI document with another's paths and components added. */
function withPaths(doc: OpenApiPart, more: OpenApiPart): OpenApiPart {
  const components: Record<string, Record<string, unknown>> = { ...doc.components };
  for (const [kind, entries] of Object.entries(more.components ?? {})) components[kind] = { ...components[kind], ...entries };
  return { ...doc, paths: { ...doc.paths, ...more.paths }, components };
}

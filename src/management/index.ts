/**
 * The management API: keys, users, teams, budgets, pricing, usage, logs, the deployments'
 * health and the audit log under `/v1/`, master key
 * only, plus the public `GET /openapi.json` generated from the same zod schemas that validate
 * the requests. Mount it on the gateway app with `app.route("/", createManagementApp(deps))`:
 * its middleware is registered on its own paths only, so inference routes are untouched.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { GatewayError } from "../core/errors.js";
import type { ManagementDeps, ManagementEnv } from "./context.js";
import { renderError, validationHook } from "./errors.js";
import { limitBody, requestId, requireMasterKey } from "./middleware.js";
import { addOperationIds } from "./operation-ids.js";
import { auditRoutes } from "./routes/audit.js";
import { budgetRoutes } from "./routes/budgets.js";
import { keyRoutes } from "./routes/keys.js";
import { logRoutes } from "./routes/logs.js";
import { providerRoutes } from "./routes/providers.js";
import { responseDocs } from "./routes/responses-docs.js";
import { pricingRoutes } from "./routes/pricing.js";
import { usageRoutes } from "./routes/usage.js";
import { usageSeriesRoutes } from "./routes/usage-series.js";
import { teamRoutes, userRoutes } from "./routes/users.js";
import { MANAGEMENT_PATHS } from "./paths.js";
import { sessionRoutes } from "./session/routes.js";
import { SessionService } from "./session/sessions.js";
import { SignInLimiter } from "./session/sign-in-limiter.js";
import { addSessionSecurity, sessionDocs } from "./session/openapi.js";

export type { ManagementDeps, ManagementEnv } from "./context.js";

export { MANAGEMENT_PATHS } from "./paths.js";

const API_VERSION = "0.1.0";

export function createManagementApp(deps: ManagementDeps): OpenAPIHono<ManagementEnv> {
  const app = new OpenAPIHono<ManagementEnv>({ defaultHook: validationHook });

  app.use("/openapi.json", requestId());
  const clock = deps.clock ?? (() => new Date());
  const sessions = new SessionService(deps.db, clock);
  // Hono's `/x/*` also matches `/x` itself.
  for (const path of MANAGEMENT_PATHS) app.use(`${path}/*`, requestId(), requireMasterKey(deps, sessions), limitBody());
  sessionRoutes(app, deps, sessions, new SignInLimiter(deps.db, clock));

  keyRoutes(app, deps);
  userRoutes(app, deps);
  teamRoutes(app, deps);
  auditRoutes(app, deps);
  budgetRoutes(app, deps);
  pricingRoutes(app, deps);
  usageSeriesRoutes(app, deps);
  usageRoutes(app, deps);
  logRoutes(app, deps);
  providerRoutes(app, deps);
  responseDocs(app);
  sessionDocs(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "masterKey", {
    type: "http",
    scheme: "bearer",
    description: "The gateway's master key (also accepted as `x-api-key`)",
  });
  // Generated once; `servers` names the address the document was fetched from, so a client
  // generated from it talks to this gateway.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= (() => {
      const doc = app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Switchboard management API",
          version: API_VERSION,
          description: "Keys, users, teams, budgets, prices, usage analytics, request logs and the audit log of a Switchboard gateway. Money is decimal USD. Errors use OpenAI's envelope.",
        },
      });
      addOperationIds(doc as Parameters<typeof addOperationIds>[0]);
      addSessionSecurity(doc as Parameters<typeof addSessionSecurity>[0]);
      return doc;
    })();
    return c.json({ ...document, servers: [{ url: requestOrigin(c.req.url, c.req.header("host")), description: "this gateway" }] });
  });

  app.onError(renderError);
  app.notFound((c) => renderError(new GatewayError("not_found", `no route for ${c.req.method} ${c.req.path}`), c));
  return app;
}

/** The origin a request was addressed to (its Host header, on the URL's scheme). */
function requestOrigin(url: string, host: string | undefined): string {
  const u = new URL(url);
  return `${u.protocol}//${host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : u.host}`;
}

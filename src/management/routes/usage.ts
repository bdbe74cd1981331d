/** `/v1/usage`, `/v1/users/{user_id}/usage`, `/v1/teams/{team_id}/usage`: totals from the usage ledger, as JSON or CSV. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ManagementDeps, ManagementEnv } from "../context.js";
import { errorResponses, security } from "../schemas/common.js";
import { TeamIdParams, UserIdParams } from "../schemas/users.js";
import { UsageQuerySchema, UsageReportSchema } from "../schemas/usage.js";
import { usageCsv, usageReport, type UsageReport } from "../services/usage.js";

const report = (description: string) => ({
  description,
  content: {
    "application/json": { schema: UsageReportSchema },
    "text/csv": { schema: z.string().openapi({ description: "With ?format=csv: a header row, then one line per row (RFC 4180)" }) },
  },
});

const all = createRoute({
  tags: ["usage"],
  security,
  method: "get",
  path: "/v1/usage",
  summary: "Usage and cost totals over a time range, grouped by user, key, team, model, provider and/or day",
  request: { query: UsageQuerySchema },
  responses: { 200: report("Totals, one row per group"), ...errorResponses() },
});

const ofUser = createRoute({
  tags: ["users"],
  security,
  method: "get",
  path: "/v1/users/{user_id}/usage",
  summary: "A user's usage and cost totals",
  request: { params: UserIdParams, query: UsageQuerySchema },
  responses: { 200: report("The user's totals"), ...errorResponses(404) },
});

const ofTeam = createRoute({
  tags: ["teams"],
  security,
  method: "get",
  path: "/v1/teams/{team_id}/usage",
  summary: "A team's usage and cost totals",
  request: { params: TeamIdParams, query: UsageQuerySchema },
  responses: { 200: report("The team's totals"), ...errorResponses(404) },
});

function respond(c: Context<ManagementEnv>, r: UsageReport, format: "json" | "csv" | undefined): Response {
  if (format === "csv") {
    return c.body(usageCsv(r), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="usage.csv"' });
  }
  return c.json(r, 200);
}

export function usageRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(all, async (c) => {
    const q = c.req.valid("query");
    return respond(c, await usageReport(deps, q), q.format);
  });
  app.openapi(ofUser, async (c) => {
    const q = c.req.valid("query");
    return respond(c, await usageReport(deps, q, { userId: c.req.valid("param").user_id }), q.format);
  });
  app.openapi(ofTeam, async (c) => {
    const q = c.req.valid("query");
    return respond(c, await usageReport(deps, q, { teamId: c.req.valid("param").team_id }), q.format);
  });
}

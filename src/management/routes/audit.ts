/** `/v1/audit`: the management audit log. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listAudit } from "../../store/repos/audit.js";
import type { ManagementDeps, ManagementEnv } from "../context.js";
import { listObject, pageRequest } from "../pagination.js";
import { auditObject } from "../present.js";
import { AuditListQuery, AuditListSchema } from "../schemas/audit.js";
import { errorResponses, jsonResponse as json, security } from "../schemas/common.js";

const list = createRoute({
  method: "get",
  path: "/v1/audit",
  tags: ["audit"],
  summary: "Every management action: who, what, when, from where (never a secret), newest first",
  security,
  request: { query: AuditListQuery },
  responses: { 200: json(AuditListSchema, "A page of audit events"), ...errorResponses() },
});

export function auditRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(list, async (c) => {
    const { from, to, limit, cursor, ...filter } = c.req.valid("query");
    const page = pageRequest({ limit, cursor }, /^\d{1,18}$/);
    const rows = await listAudit(deps.db, { ...filter, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }, page);
    return c.json(listObject({ data: rows.data.map(auditObject), nextCursor: rows.nextCursor }), 200);
  });
}

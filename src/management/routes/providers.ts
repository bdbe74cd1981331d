/** `GET /v1/providers`: the deployments this instance routes to, with their circuits and live figures. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ManagementDeps, ManagementEnv } from "../context.js";
import { errorResponses, jsonResponse as json, security } from "../schemas/common.js";
import { ProviderListSchema } from "../schemas/providers.js";

const list = createRoute({
  tags: ["providers"],
  security,
  method: "get",
  path: "/v1/providers",
  summary: "Every deployment's circuit state, requests in flight, error rate and latency percentiles over a recent window (this instance)",
  responses: { 200: json(ProviderListSchema, "The deployments, by provider and model"), ...errorResponses() },
});

export function providerRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(list, (c) => c.json({ object: "list" as const, data: deps.deployments?.() ?? [], next_cursor: null }, 200));
}

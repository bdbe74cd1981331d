/** `/v1/logs`: the request log and each request's receipt. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ManagementDeps, ManagementEnv } from "../context.js";
import { listObject } from "../pagination.js";
import { errorResponses, jsonResponse as json, security } from "../schemas/common.js";
import { LogListQuery, LogListSchema, ReceiptSchema, RequestIdParams } from "../schemas/usage.js";
import { getReceipt, listLogPage, metadataFilter } from "../services/logs.js";

const logs = { tags: ["logs"], security };

const list = createRoute({
  ...logs,
  method: "get",
  path: "/v1/logs",
  summary: "Requests, newest first: one entry per request (its final attempt, with the cost of all attempts)",
  description:
    "Filters: the query parameters below, and `metadata.<key>=<value>` (any number up to 16, each key 1 to 64 characters, each value at most 512) for requests whose metadata holds every such pair. Requests refused before any upstream call (401, 402, 403, 429) are listed with 0 attempts and no cost.",
  request: { query: LogListQuery },
  responses: { 200: json(LogListSchema, "A page of requests"), ...errorResponses() },
});

const receipt = createRoute({
  ...logs,
  method: "get",
  path: "/v1/logs/{request_id}",
  summary: "A request's receipt: routing, every attempt with tokens, cost and timings, warnings",
  request: { params: RequestIdParams },
  responses: { 200: json(ReceiptSchema, "The receipt"), ...errorResponses(404) },
});

export function logRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(list, async (c) => c.json(listObject(await listLogPage(deps, c.req.valid("query"), metadataFilter(c.req.query()))), 200));
  app.openapi(receipt, async (c) => c.json(await getReceipt(deps, c.req.valid("param").request_id), 200));
}

/** `/v1/pricing`: price overrides (they win over config and the built-in catalog). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { actorOf, type ManagementDeps, type ManagementEnv } from "../context.js";
import { errorResponses, jsonBody, jsonResponse as json, security } from "../schemas/common.js";
import { PriceListQuery, PriceListSchema, PriceModelParams, PriceSchema, PriceSetSchema } from "../schemas/pricing.js";
import { deletePrice, listPriceObjects, setPrice } from "../services/pricing.js";

const pricing = { tags: ["pricing"], security };

const set = createRoute({
  ...pricing,
  method: "post",
  path: "/v1/pricing",
  summary: "Set a model's price (creates or replaces the override); the gateway applies it at once",
  request: { body: jsonBody(PriceSetSchema) },
  responses: { 201: json(PriceSchema, "The override"), ...errorResponses() },
});

const list = createRoute({
  ...pricing,
  method: "get",
  path: "/v1/pricing",
  summary: "List the price overrides (and, with ?include=catalog, the built-in catalog's prices)",
  request: { query: PriceListQuery },
  responses: { 200: json(PriceListSchema, "Every override, by model"), ...errorResponses() },
});

const remove = createRoute({
  ...pricing,
  method: "delete",
  path: "/v1/pricing/{model}",
  summary: "Remove a model's override (config or catalog prices apply again)",
  request: { params: PriceModelParams },
  responses: { 200: json(PriceSchema, "The removed override"), ...errorResponses(404) },
});

export function pricingRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(set, async (c) => c.json(await setPrice(deps, actorOf(c), c.req.valid("json")), 201));
  app.openapi(list, async (c) => {
    const data = await listPriceObjects(deps, c.req.valid("query").include === "catalog");
    return c.json({ object: "list" as const, data, next_cursor: null }, 200);
  });
  app.openapi(remove, async (c) => c.json(await deletePrice(deps, actorOf(c), c.req.valid("param").model), 200));
  // `provider/model` with an unencoded slash: the same as `provider:model` (not in the OpenAPI document).
  app.delete("/v1/pricing/:provider/:model{.+}", async (c) => c.json(await deletePrice(deps, actorOf(c), `${c.req.param("provider")}/${c.req.param("model")}`), 200));
}

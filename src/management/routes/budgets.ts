/** `/v1/budgets`: budget policies and their assignments. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { actorOf, type ManagementDeps, type ManagementEnv } from "../context.js";
import { listObject, pageRequest } from "../pagination.js";
import { BudgetCreateSchema, BudgetIdParams, BudgetListQuery, BudgetListSchema, BudgetPatchSchema, BudgetSchema } from "../schemas/budgets.js";
import { errorResponses, jsonBody, jsonResponse as json, security } from "../schemas/common.js";
import { createBudget, deleteBudget, getBudget, listBudgetPage, updateBudget } from "../services/budgets.js";

const budgets = { tags: ["budgets"], security };

const create = createRoute({
  ...budgets,
  method: "post",
  path: "/v1/budgets",
  summary: "Create a budget (attach it by setting budget_id on a key, user or team)",
  request: { body: jsonBody(BudgetCreateSchema) },
  responses: { 201: json(BudgetSchema, "The new budget"), ...errorResponses(409) },
});

const list = createRoute({
  ...budgets,
  method: "get",
  path: "/v1/budgets",
  summary: "List budgets with their assignments and current spend, newest first",
  request: { query: BudgetListQuery },
  responses: { 200: json(BudgetListSchema, "A page of budgets"), ...errorResponses() },
});

const get = createRoute({
  ...budgets,
  method: "get",
  path: "/v1/budgets/{budget_id}",
  summary: "Get a budget with its assignments: each one's period, reset time and spend",
  request: { params: BudgetIdParams },
  responses: { 200: json(BudgetSchema, "The budget"), ...errorResponses(404) },
});

const patch = createRoute({
  ...budgets,
  method: "patch",
  path: "/v1/budgets/{budget_id}",
  summary: "Change a budget's policy (assignments keep their periods and spend)",
  request: { params: BudgetIdParams, body: jsonBody(BudgetPatchSchema) },
  responses: { 200: json(BudgetSchema, "The changed budget"), ...errorResponses(404) },
});

const remove = createRoute({
  ...budgets,
  method: "delete",
  path: "/v1/budgets/{budget_id}",
  summary: "Delete a budget and its assignments; keys, users and teams that named it get budget_id null",
  request: { params: BudgetIdParams },
  responses: { 200: json(BudgetSchema, "The deleted budget, as it was"), ...errorResponses(404) },
});

export function budgetRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(create, async (c) => c.json(await createBudget(deps, actorOf(c), c.req.valid("json")), 201));
  app.openapi(list, async (c) => c.json(listObject(await listBudgetPage(deps, pageRequest(c.req.valid("query")))), 200));
  app.openapi(get, async (c) => c.json(await getBudget(deps, c.req.valid("param").budget_id), 200));
  app.openapi(patch, async (c) => c.json(await updateBudget(deps, actorOf(c), c.req.valid("param").budget_id, c.req.valid("json")), 200));
  app.openapi(remove, async (c) => c.json(await deleteBudget(deps, actorOf(c), c.req.valid("param").budget_id), 200));
}

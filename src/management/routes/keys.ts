/** `/v1/keys`: virtual keys. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ManagementDeps, ManagementEnv } from "../context.js";
import { actorOf } from "../context.js";
import { listObject, pageRequest } from "../pagination.js";
import { errorResponses, jsonBody, jsonResponse as json, security } from "../schemas/common.js";
import { KeyCreateSchema, KeyIdParams, KeyListQuery, KeyListSchema, KeyPatchSchema, KeySchema, KeyWithSecretSchema } from "../schemas/keys.js";
import { createKey, getKey, listKeyPage, revokeKey, rotateKey, updateKey } from "../services/keys.js";

const create = createRoute({
  method: "post",
  path: "/v1/keys",
  tags: ["keys"],
  summary: "Create a virtual key (the plaintext key is in this response only)",
  security,
  request: { body: jsonBody(KeyCreateSchema) },
  responses: { 201: json(KeyWithSecretSchema, "The new key, with its plaintext `key`"), ...errorResponses() },
});

const list = createRoute({
  method: "get",
  path: "/v1/keys",
  tags: ["keys"],
  summary: "List keys (masked), newest first",
  security,
  request: { query: KeyListQuery },
  responses: { 200: json(KeyListSchema, "A page of keys"), ...errorResponses() },
});

const get = createRoute({
  method: "get",
  path: "/v1/keys/{id}",
  tags: ["keys"],
  summary: "Get a key (masked)",
  security,
  request: { params: KeyIdParams },
  responses: { 200: json(KeySchema, "The key"), ...errorResponses(404) },
});

const patch = createRoute({
  method: "patch",
  path: "/v1/keys/{id}",
  tags: ["keys"],
  summary: "Change a key's settings (is_active false/true deactivates/reactivates)",
  security,
  request: { params: KeyIdParams, body: jsonBody(KeyPatchSchema) },
  responses: { 200: json(KeySchema, "The changed key"), ...errorResponses(404, 409) },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/keys/{id}",
  tags: ["keys"],
  summary: "Revoke a key (the row stays, listed as revoked); idempotent",
  security,
  request: { params: KeyIdParams },
  responses: { 200: json(KeySchema, "The revoked key"), ...errorResponses(404) },
});

const rotate = createRoute({
  method: "post",
  path: "/v1/keys/{id}/rotate",
  tags: ["keys"],
  summary: "Replace a key's secret; the old secret stops working at once",
  security,
  request: { params: KeyIdParams },
  responses: { 200: json(KeyWithSecretSchema, "The key with its new plaintext `key`"), ...errorResponses(404, 409) },
});

export function keyRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(create, async (c) => c.json(await createKey(deps, actorOf(c), c.req.valid("json")), 201));
  app.openapi(list, async (c) => {
    const { user_id, team_id, status, ...page } = c.req.valid("query");
    return c.json(listObject(await listKeyPage(deps, { user_id, team_id, status }, pageRequest(page))), 200);
  });
  app.openapi(get, async (c) => c.json(await getKey(deps, c.req.valid("param").id), 200));
  app.openapi(patch, async (c) => c.json(await updateKey(deps, actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200));
  app.openapi(revoke, async (c) => c.json(await revokeKey(deps, actorOf(c), c.req.valid("param").id), 200));
  app.openapi(rotate, async (c) => c.json(await rotateKey(deps, actorOf(c), c.req.valid("param").id), 200));
}

/**
 * `/v1/batches` and `/v1/files`, OpenAI's Batch and Files APIs: any API key (a key sees its own
 * files and batches, the master key all). Bodies are read with a bound: a batch request's JSON
 * at 64 KiB, an upload at `batches.max_file_bytes` (plus the multipart framing).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { HttpBindings } from "@hono/node-server";
import type { MiddlewareHandler } from "hono";
import type { BatchService } from "../../batches/service.js";
import type { Runtime } from "../../pipeline/context.js";
import type { Principal } from "../../policy/auth.js";
import { validationError } from "../../management/errors.js";
import { addOperationIds } from "../../management/operation-ids.js";
import { BatchSchema, CreateBatchSchema, IdParam, ListBatchesQuery, errors, list } from "./batches-schemas.js";
import { readLimited } from "../../management/middleware.js";
import { fileRoutes } from "./files.js";

export type BatchEnv = { Bindings: HttpBindings; Variables: { principal: Principal } };

const MAX_JSON_BYTES = 64 * 1024;
const security = [{ apiKey: [] }];

const create = createRoute({
  tags: ["batches"],
  security,
  method: "post",
  path: "/v1/batches",
  summary: "Creates a batch from an uploaded JSONL file of requests (OpenAI's Batch API)",
  request: { body: { content: { "application/json": { schema: CreateBatchSchema } }, required: true } },
  responses: { 200: { description: "The batch (status in_progress, or failed with the input's problems in errors)", content: { "application/json": { schema: BatchSchema } } }, ...errors(404, 413) },
});

const retrieve = createRoute({
  tags: ["batches"],
  security,
  method: "get",
  path: "/v1/batches/{batch_id}",
  summary: "A batch",
  request: { params: IdParam("batch_id") },
  responses: { 200: { description: "The batch", content: { "application/json": { schema: BatchSchema } } }, ...errors(404) },
});

const cancel = createRoute({
  tags: ["batches"],
  security,
  method: "post",
  path: "/v1/batches/{batch_id}/cancel",
  summary: "Cancels a batch: no new request starts, those in flight finish",
  request: { params: IdParam("batch_id") },
  responses: { 200: { description: "The batch, cancelling or cancelled", content: { "application/json": { schema: BatchSchema } } }, ...errors(404, 409) },
});

const listAll = createRoute({
  tags: ["batches"],
  security,
  method: "get",
  path: "/v1/batches",
  summary: "Batches, newest first",
  request: { query: ListBatchesQuery },
  responses: { 200: { description: "A page of batches", content: { "application/json": { schema: list(BatchSchema) } } }, ...errors() },
});

/** The batch and file routes; `document()` is their part of `/openapi.json`. */
export function batchRoutes(rt: Runtime, service: BatchService) {
  const app = new OpenAPIHono<BatchEnv>({
    defaultHook: (r) => {
      if (!r.success) throw validationError(r.error, r.target);
    },
  });
  const auth: MiddlewareHandler<BatchEnv> = async (c, next) => {
    c.set("principal", await rt.auth.authenticate(c.env.incoming.headers, c.env.incoming.socket.remoteAddress));
    await next();
  };
  for (const path of ["/v1/batches", "/v1/batches/*", "/v1/files", "/v1/files/*"]) app.use(path, auth);
  // The JSON body, bounded, before zod reads it.
  app.use("/v1/batches", async (c, next) => {
    if (c.req.method === "POST") c.req.raw = new Request(c.req.raw, { body: await readLimited(c.req.raw, MAX_JSON_BYTES) });
    await next();
  });
  app.openapi(create, async (c) => c.json(await service.create(c.get("principal"), c.req.valid("json")), 200));
  app.openapi(retrieve, async (c) => c.json(await service.batch(c.get("principal"), c.req.valid("param").batch_id), 200));
  app.openapi(cancel, async (c) => c.json(await service.cancel(c.get("principal"), c.req.valid("param").batch_id), 200));
  app.openapi(listAll, async (c) => c.json(await service.batches(c.get("principal"), c.req.valid("query")), 200));
  fileRoutes(app, rt, service);
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer", description: "An API key (virtual key) or the master key" });
  let doc: OpenApiPart | undefined;
  const document = (): OpenApiPart => {
    if (!doc) {
      doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "batches", version: "1" } }) as unknown as OpenApiPart;
      addOperationIds(doc as Parameters<typeof addOperationIds>[0]);
    }
    return doc;
  };
  return { app, document };
}

/** The part of an OpenAPI document these routes add: their paths and components. */
export interface OpenApiPart {
  paths?: Record<string, unknown>;
  components?: Record<string, Record<string, unknown>>;
}

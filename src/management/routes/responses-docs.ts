/**
 * The stored Responses API routes in `/openapi.json`. They are served by the gateway's HTTP app
 * (src/http/routes/responses.ts) for the key that created the response, not by the management
 * app: only their description is registered here, so the one document lists them.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { ManagementEnv } from "../context.js";
import { ErrorSchema, jsonResponse as json } from "../schemas/common.js";

const ResponseIdParams = z.object({ response_id: z.string().openapi({ param: { name: "response_id", in: "path" }, example: "resp_0a1b2c3d" }) });

const ResponseSchema = z
  .object({
    id: z.string().openapi({ example: "resp_0a1b2c3d" }),
    object: z.literal("response"),
    created_at: z.number().int(),
    status: z.enum(["completed", "incomplete"]),
    model: z.string(),
    output: z.array(z.record(z.string(), z.unknown())),
    usage: z.record(z.string(), z.unknown()).nullable(),
    previous_response_id: z.string().nullable(),
    store: z.boolean(),
  })
  .passthrough()
  .openapi("StoredResponse", { description: "A Response object as OpenAI's Responses API documents it" });

const DeletedSchema = z.object({ id: z.string(), object: z.literal("response"), deleted: z.literal(true) }).openapi("DeletedResponse");

const InputItemListSchema = z
  .object({ object: z.literal("list"), data: z.array(z.record(z.string(), z.unknown())), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() })
  .openapi("ResponseInputItemList");

const errors = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });
const common = { tags: ["responses"], security: [{ apiKey: [] }] };
const answers = { 400: errors("Invalid query parameter"), 401: errors("Missing or unknown key"), 404: errors("No stored response with this id for this key") };

export function responseDocs(app: OpenAPIHono<ManagementEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer", description: "A virtual key (or the master key)" });
  app.openAPIRegistry.registerPath({
    ...common,
    method: "get",
    path: "/v1/responses/{response_id}",
    operationId: "getResponse",
    summary: "A response stored with store: true (by the key that created it; the master key reads all)",
    request: { params: ResponseIdParams, query: z.object({ include: z.array(z.literal("reasoning.encrypted_content")).optional() }) },
    responses: { 200: json(ResponseSchema, "The response"), ...answers },
  });
  app.openAPIRegistry.registerPath({
    ...common,
    method: "delete",
    path: "/v1/responses/{response_id}",
    operationId: "deleteResponse",
    summary: "Deletes a stored response",
    request: { params: ResponseIdParams },
    responses: { 200: json(DeletedSchema, "The deletion object"), ...answers },
  });
  app.openAPIRegistry.registerPath({
    ...common,
    method: "get",
    path: "/v1/responses/{response_id}/input_items",
    operationId: "listResponseInputItems",
    summary: "The input items of a stored response (its own input, without the conversation it continued)",
    request: {
      params: ResponseIdParams,
      query: z.object({ limit: z.number().int().min(1).max(100).optional(), order: z.enum(["asc", "desc"]).optional(), after: z.string().optional() }),
    },
    responses: { 200: json(InputItemListSchema, "A page of input items"), ...answers },
  });
}

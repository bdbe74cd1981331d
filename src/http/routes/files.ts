/** `/v1/files`: batch input files uploaded (multipart/form-data, purpose "batch"), read, listed, deleted; output and error files read. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import { GatewayError } from "../../core/errors.js";
import type { BatchService } from "../../batches/service.js";
import { readLimited } from "../../management/middleware.js";
import type { Runtime } from "../../pipeline/context.js";
import type { BatchEnv } from "./batches.js";
import { FileDeletedSchema, FileSchema, IdParam, ListFilesQuery, errors, list } from "./batches-schemas.js";

/** Room for the multipart framing and the other fields around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const security = [{ apiKey: [] }];

const upload = createRoute({
  tags: ["files"],
  security,
  method: "post",
  path: "/v1/files",
  summary: "Uploads a batch input file (JSONL, one request a line), checked whole",
  request: {
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: z.object({
            file: z.any().openapi({ type: "string", format: "binary" }),
            purpose: z.literal("batch"),
            "expires_after[anchor]": z.literal("created_at").optional(),
            "expires_after[seconds]": z.number().int().min(3600).max(2_592_000).optional(),
          }),
        },
      },
    },
  },
  responses: { 200: { description: "The file", content: { "application/json": { schema: FileSchema } } }, ...errors(413) },
});

const retrieve = createRoute({
  tags: ["files"],
  security,
  method: "get",
  path: "/v1/files/{file_id}",
  summary: "A file",
  request: { params: IdParam("file_id") },
  responses: { 200: { description: "The file", content: { "application/json": { schema: FileSchema } } }, ...errors(404) },
});

const content = createRoute({
  tags: ["files"],
  security,
  method: "get",
  path: "/v1/files/{file_id}/content",
  summary: "A file's content: an input file as uploaded, a batch's output or error file as JSONL",
  request: { params: IdParam("file_id") },
  responses: { 200: { description: "The bytes", content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } }, ...errors(404) },
});

const remove = createRoute({
  tags: ["files"],
  security,
  method: "delete",
  path: "/v1/files/{file_id}",
  summary: "Deletes a file",
  request: { params: IdParam("file_id") },
  responses: { 200: { description: "Deleted", content: { "application/json": { schema: FileDeletedSchema } } }, ...errors(404) },
});

const listAll = createRoute({
  tags: ["files"],
  security,
  method: "get",
  path: "/v1/files",
  summary: "Files, newest first unless order=asc",
  request: { query: ListFilesQuery },
  responses: { 200: { description: "A page of files", content: { "application/json": { schema: list(FileSchema) } } }, ...errors() },
});

export function fileRoutes(app: OpenAPIHono<BatchEnv>, rt: Runtime, service: BatchService): void {
  // The upload is read and parsed here, bounded; zod does not see a multipart body.
  app.post("/v1/files", async (c) => {
    const max = rt.config.batches.maxFileBytes;
    const raw = await readLimited(c.req.raw, max + FORM_OVERHEAD_BYTES);
    const type = c.req.header("content-type") ?? "";
    if (!/^multipart\/form-data\b/i.test(type)) throw new GatewayError("invalid_request", "upload a file as multipart/form-data with the fields 'file' and 'purpose'");
    let form: FormData;
    try {
      form = await new Request("http://upload/", { method: "POST", headers: { "content-type": type }, body: raw }).formData();
    } catch {
      throw new GatewayError("invalid_request", "malformed multipart/form-data body");
    }
    let file: File | undefined;
    let purpose: string | undefined;
    const expires: Record<string, string> = {};
    for (const [name, value] of form.entries()) {
      if (name === "file" && typeof value !== "string") file = value;
      else if (name === "purpose" && typeof value === "string") purpose = value;
      else if ((name === "expires_after[anchor]" || name === "expires_after[seconds]") && typeof value === "string") expires[name] = value;
      else throw new GatewayError("invalid_request", `unknown field '${name}' in the upload (the fields are file, purpose and expires_after)`, { param: name });
    }
    if (!file) throw new GatewayError("invalid_request", "the upload has no 'file' field with a file", { param: "file" });
    if (purpose === undefined) throw new GatewayError("invalid_request", "the upload has no 'purpose' field", { param: "purpose" });
    if (file.size > max) throw new GatewayError("request_too_large", `the file has ${file.size} bytes; at most ${max} are accepted (batches.max_file_bytes)`, { param: "file" });
    const expiresAfterSeconds = expiresAfter(expires);
    const body = await service.upload(c.get("principal"), { purpose, filename: file.name || "upload.jsonl", content: Buffer.from(await file.arrayBuffer()), expiresAfterSeconds });
    return c.json(body, 200);
  });
  // Documented only: the handler above serves it.
  app.openAPIRegistry.registerPath(upload);
  app.openapi(retrieve, async (c) => c.json(await service.file(c.get("principal"), c.req.valid("param").file_id), 200));
  app.openapi(remove, async (c) => c.json(await service.deleteFile(c.get("principal"), c.req.valid("param").file_id), 200));
  app.openapi(listAll, async (c) => c.json(await service.files(c.get("principal"), c.req.valid("query")), 200));
  app.openapi(content, async (c) => {
    const f = await service.content(c.get("principal"), c.req.valid("param").file_id);
    c.header("content-type", "application/octet-stream");
    c.header("content-length", String(f.bytes));
    c.header("content-disposition", `attachment; filename="${f.filename.replace(/["\\\r\n]/g, "_")}"`);
    return stream(c, async (s) => {
      for await (const chunk of f.body) await s.write(chunk);
    });
  });
}

function expiresAfter(f: Record<string, string>): number | undefined {
  const anchor = f["expires_after[anchor]"];
  const seconds = f["expires_after[seconds]"];
  if (anchor === undefined && seconds === undefined) return undefined;
  if (anchor !== "created_at") throw new GatewayError("invalid_request", "expires_after[anchor] must be 'created_at'", { param: "expires_after[anchor]" });
  const n = Number(seconds);
  if (!Number.isInteger(n) || n < 3600 || n > 2_592_000)
    throw new GatewayError("invalid_request", "expires_after[seconds] must be a whole number from 3600 (an hour) to 2592000 (30 days)", { param: "expires_after[seconds]" });
  return n;
}

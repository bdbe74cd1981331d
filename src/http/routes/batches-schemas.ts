/** Zod schemas of `/v1/files` and `/v1/batches`: they validate requests and describe them in `/openapi.json`. */
import { z } from "@hono/zod-openapi";
import { BATCH_ENDPOINTS } from "../../batches/input.js";

export const ErrorSchema = z.object({ error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }) }).openapi("BatchApiError");

export const FileSchema = z
  .object({
    id: z.string().openapi({ example: "file-3k2j4h5g6f7d8s9a0q1w2e3r" }),
    object: z.literal("file"),
    bytes: z.number().int(),
    created_at: z.number().int().openapi({ description: "Unix seconds" }),
    expires_at: z.number().int().nullable(),
    filename: z.string(),
    purpose: z.enum(["batch", "batch_output"]),
    status: z.literal("processed"),
    status_details: z.null(),
  })
  .openapi("File");

export const FileDeletedSchema = z.object({ id: z.string(), object: z.literal("file"), deleted: z.boolean() }).openapi("FileDeleted");

const RequestCounts = z.object({ total: z.number().int(), completed: z.number().int(), failed: z.number().int() });
const BatchErrors = z.object({
  object: z.literal("list"),
  data: z.array(z.object({ code: z.string(), message: z.string(), param: z.string().nullable(), line: z.number().int().nullable() })),
});
const Ts = z.number().int().nullable();

export const BatchSchema = z
  .object({
    id: z.string().openapi({ example: "batch_0a1b2c3d4e5f6g7h8i9j0k1l" }),
    object: z.literal("batch"),
    endpoint: z.enum(BATCH_ENDPOINTS),
    errors: BatchErrors.nullable(),
    input_file_id: z.string(),
    completion_window: z.literal("24h"),
    status: z.enum(["validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"]),
    output_file_id: z.string().nullable(),
    error_file_id: z.string().nullable(),
    created_at: z.number().int(),
    in_progress_at: Ts,
    expires_at: Ts,
    finalizing_at: Ts,
    completed_at: Ts,
    failed_at: Ts,
    expired_at: Ts,
    cancelling_at: Ts,
    cancelled_at: Ts,
    request_counts: RequestCounts,
    metadata: z.record(z.string(), z.string()).nullable(),
  })
  .openapi("Batch");

/** OpenAI's metadata: at most 16 pairs, keys up to 64 characters, values up to 512. */
const Metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, "at most 16 keys")
  .nullable();

export const CreateBatchSchema = z
  .strictObject({
    input_file_id: z.string().min(1).max(128),
    endpoint: z.enum(BATCH_ENDPOINTS),
    completion_window: z.literal("24h"),
    metadata: Metadata.optional(),
    output_expires_after: z.strictObject({ anchor: z.literal("created_at"), seconds: z.number().int().min(3600).max(2_592_000) }).optional(),
  })
  .openapi("CreateBatch");

const Limit = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);

export const ListBatchesQuery = z.object({ after: z.string().max(128).optional(), limit: Limit(100, 20) });
export const ListFilesQuery = z.object({
  after: z.string().max(128).optional(),
  limit: Limit(10_000, 10_000),
  order: z.enum(["asc", "desc"]).default("desc"),
  purpose: z.string().max(64).optional(),
});

export const list = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ object: z.literal("list"), data: z.array(item), first_id: z.string().nullable(), last_id: z.string().nullable(), has_more: z.boolean() });

export const IdParam = (name: string) => z.object({ [name]: z.string().min(1).max(128) });

export const errors = (...codes: number[]) =>
  Object.fromEntries(
    [400, 401, ...codes].map((c) => [
      c,
      {
        description: c === 401 ? "No valid API key" : c === 404 ? "Not found, or not this key's" : c === 413 ? "Too large" : c === 409 ? "Not in a state that allows it" : "Invalid request",
        content: { "application/json": { schema: ErrorSchema } },
      },
    ]),
  );

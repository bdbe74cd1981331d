/**
 * Schemas shared by every management resource. Each object is one zod schema, registered once
 * as an OpenAPI component (`.openapi("Name")`), and used both to validate requests and to
 * generate `/openapi.json`.
 */
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().openapi({ example: "invalid_request_error" }),
      param: z.string().nullable(),
      code: z.string().openapi({ example: "invalid_request" }),
    }),
  })
  .openapi("Error");

/** Timestamps in responses: ISO 8601, UTC. */
export const Timestamp = z.string().openapi({ format: "date-time", example: "2025-01-31T12:00:00.000Z" });

/** Timestamps in requests: ISO 8601 with a time and a zone (`Z` or an offset). */
export const IsoDateTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with a time zone, e.g. 2025-01-31T12:00:00Z" });

const MAX_METADATA_BYTES = 16 * 1024;

export const Metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `must serialise to at most ${MAX_METADATA_BYTES} bytes of JSON`)
  .openapi({ type: "object", additionalProperties: true, example: { owner: "search-team" } });

/** Ids chosen by clients (user_id, team_id): printable, no spaces or slashes, at most 128 characters. */
export const ClientId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$/, "must be 1-128 characters of letters, digits and . _ @ : + - (starting with a letter or digit)");

/** A reference to another object by id, in a request body. */
export const RefId = z.string().min(1).max(128);

export const OptionalText = z.string().max(256).nullable();

/** Rate and concurrency limits: positive whole numbers, or null for no limit. */
export const Limit = z.number().int().positive().max(2_147_483_647).nullable();

/** The rate and concurrency limits a key, a user or a team may set (create and patch). */
export const LimitSettings = {
  rpm_limit: Limit.openapi({ description: "Requests per minute; null for no limit", example: 60 }),
  tpm_limit: Limit.openapi({ description: "Tokens per minute; null for no limit", example: 100000 }),
  rpd_limit: Limit.openapi({ description: "Requests per day; null for no limit", example: 10000 }),
  max_parallel: Limit.openapi({ description: "Concurrent requests; null for no limit", example: 4 }),
};

/** The same limits as a key, a user or a team shows them. */
export const LimitValues = {
  rpm_limit: z.number().int().nullable(),
  tpm_limit: z.number().int().nullable(),
  rpd_limit: z.number().int().nullable(),
  max_parallel: z.number().int().nullable(),
};

export const PageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, type: "integer", minimum: 1, maximum: 200, default: 50 }),
  cursor: z
    .string()
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "next_cursor of the previous page (opaque)" }),
};

export const DEFAULT_PAGE_LIMIT = 50;

/** `{"object":"list","data":[...],"next_cursor":...}` of one item schema. */
export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      next_cursor: z.string().nullable(),
    })
    .openapi(name);
}

/** Error responses of management routes, for the OpenAPI document. */
export function errorResponses(...statuses: Array<400 | 401 | 403 | 404 | 409>) {
  const descriptions = {
    400: "Invalid request (malformed JSON, validation failure; `param` names the field)",
    401: "Missing or wrong master key, or a dashboard session cookie whose session has ended",
    403: "A virtual key was presented (the management API requires the master key), or a change made with the session cookie lacks the session's x-csrf-token",
    404: "No such object",
    409: "Conflict with the object's current state",
  } as const;
  const out: Record<number, { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }> = {};
  for (const s of [400, 401, 403, ...statuses]) {
    out[s] = { description: descriptions[s as keyof typeof descriptions], content: { "application/json": { schema: ErrorSchema } } };
  }
  return out;
}

export const security = [{ masterKey: [] }];

/** A JSON response of `schema`, for `createRoute`. */
export const jsonResponse = <S>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });

/** A required JSON request body of `schema` (a non-JSON body is refused), for `createRoute`. */
export const jsonBody = <S>(schema: S) => ({ required: true, content: { "application/json": { schema } } });

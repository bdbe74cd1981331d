/** Usage analytics and request log schemas. Costs are decimal USD strings (exact sums). */
import { z } from "@hono/zod-openapi";
import { USAGE_GROUPS } from "../../store/repos/usage.js";
import { ClientId, IsoDateTime, PageQuery, Timestamp, listOf } from "./common.js";

const Usd = z.string().openapi({ description: "Decimal USD (exact, up to 6 decimals)", example: "0.001234" });
const Count = z.number().int();

const GroupBy = z
  .string()
  .max(128)
  .superRefine((v, ctx) => {
    for (const g of v.split(",").map((s) => s.trim())) {
      if (!(USAGE_GROUPS as readonly string[]).includes(g)) {
        ctx.addIssue({ code: "custom", message: `'${g}' is not one of ${USAGE_GROUPS.join(", ")}` });
        return;
      }
    }
  })
  .optional()
  .openapi({ param: { name: "group_by", in: "query" }, description: `Comma-separated groupings: ${USAGE_GROUPS.join(", ")}; none = totals`, example: "team,day" });

const range = {
  from: IsoDateTime.optional().openapi({ param: { name: "from", in: "query" }, description: "Inclusive; default 30 days before `to`" }),
  to: IsoDateTime.optional().openapi({ param: { name: "to", in: "query" }, description: "Exclusive; default now" }),
};

export const TagQuery = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .openapi({ param: { name: "tag", in: "query" }, description: "Only requests carrying this tag (x-switchboard-tags)", example: "batch-job" });

export const UsageQuerySchema = z.object({
  ...range,
  group_by: GroupBy,
  tag: TagQuery,
  format: z
    .enum(["json", "csv"])
    .optional()
    .openapi({ param: { name: "format", in: "query" }, description: "json (default) or csv (with a header row)" }),
});

const nullableText = z.string().nullable().optional();

export const UsageRowSchema = z
  .object({
    user_id: nullableText,
    key_id: nullableText,
    team_id: nullableText,
    model: nullableText.openapi({ description: "The model as requested (alias or provider:model)" }),
    provider: nullableText,
    day: nullableText.openapi({ description: "UTC date, YYYY-MM-DD", example: "2025-01-31" }),
    tag: nullableText.openapi({ description: "Grouped by tag: a request counts under each of its tags; null for requests without tags" }),
    requests: Count.openapi({ description: "Distinct request ids" }),
    attempts: Count.openapi({ description: "Upstream attempts (ledger rows)" }),
    prompt_tokens: Count,
    completion_tokens: Count,
    total_tokens: Count,
    cached_tokens: Count,
    reasoning_tokens: Count,
    cost_usd: Usd,
    errors: Count.openapi({ description: "Attempts with status ≥ 400" }),
  })
  .openapi("UsageRow");

export const UsageReportSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(UsageRowSchema),
    next_cursor: z.null(),
    from: Timestamp,
    to: Timestamp,
    group_by: z.array(z.enum(USAGE_GROUPS)),
  })
  .openapi("UsageReport");

const text = (name: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({ param: { name, in: "query" } });

export const LogListQuery = z.object({
  ...range,
  key_id: text("key_id"),
  user_id: ClientId.optional().openapi({ param: { name: "user_id", in: "query" } }),
  team_id: ClientId.optional().openapi({ param: { name: "team_id", in: "query" } }),
  model: text("model").openapi({ description: "The model as requested or as called upstream" }),
  provider: text("provider"),
  client_request_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ param: { name: "client_request_id", in: "query" }, description: "The x-request-id the client sent (every request that reused it)", example: "my-req-1" }),
  status: z
    .string()
    .regex(/^(?:[1-5]\d\d|[1-5]xx|error|success)$/, 'must be a status code ("200"), a class ("4xx"), "error" (≥ 400) or "success" (< 400)')
    .optional()
    .openapi({ param: { name: "status", in: "query" }, description: 'Final status: "200", "4xx", "error" (≥ 400) or "success"', example: "error" }),
  tag: TagQuery,
  ...PageQuery,
});

export const LogSchema = z
  .object({
    request_id: z.string().openapi({ description: "The gateway's id for the request" }),
    client_request_id: z.string().nullable().openapi({ description: "The x-request-id the client sent, if any" }),
    created_at: Timestamp,
    endpoint: z.string(),
    requested_model: z.string(),
    provider: z.string().openapi({ description: "Of the final attempt" }),
    model: z.string().openapi({ description: "Upstream model of the final attempt" }),
    status: Count,
    error_code: z.string().nullable(),
    attempts: Count,
    prompt_tokens: Count,
    completion_tokens: Count,
    cost_usd: Usd.openapi({ description: "Summed over every attempt" }),
    streamed: z.boolean(),
    usage_estimated: z.boolean(),
    key_id: z.string().nullable(),
    user_id: z.string().nullable(),
    team_id: z.string().nullable(),
    total_ms: z.number(),
    ttft_ms: z.number().nullable(),
    overhead_ms: z.number(),
    tags: z.array(z.string()).nullable().openapi({ description: "The request's x-switchboard-tags" }),
    metadata: z.record(z.string(), z.string()).nullable().openapi({ description: "The request's metadata (the body's `metadata`)" }),
  })
  .openapi("RequestLog");

export const LogListSchema = listOf(LogSchema, "RequestLogList");

const CostSchema = z.object({ input_usd: Usd, cached_input_usd: Usd, cache_write_usd: Usd, output_usd: Usd, total_usd: Usd }).openapi("CostBreakdown");

export const ReceiptAttemptSchema = z
  .object({
    attempt: Count,
    created_at: Timestamp,
    provider: z.string(),
    model: z.string(),
    status: Count,
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    prompt_tokens: Count,
    completion_tokens: Count,
    cached_tokens: Count,
    cache_write_tokens: Count,
    reasoning_tokens: Count,
    cost: CostSchema,
    price_version: z.string().nullable(),
    streamed: z.boolean(),
    usage_estimated: z.boolean(),
    ttft_ms: z.number().nullable(),
    total_ms: z.number(),
    overhead_ms: z.number(),
  })
  .openapi("ReceiptAttempt");

export const ReceiptSchema = z
  .object({
    request_id: z.string().openapi({ description: "The gateway's id for the request" }),
    client_request_id: z.string().nullable().openapi({ description: "The x-request-id the client sent, if any" }),
    created_at: Timestamp,
    endpoint: z.string(),
    requested_model: z.string(),
    status: Count.openapi({ description: "Of the final attempt" }),
    routing: z.record(z.string(), z.unknown()).nullable().openapi({ description: "How the model was resolved (alias, candidate deployments)" }),
    attempts: z.array(ReceiptAttemptSchema),
    cost: CostSchema,
    timings: z.object({ total_ms: z.number(), ttft_ms: z.number().nullable(), overhead_ms: z.number() }),
    warnings: z.array(z.unknown()),
    key_id: z.string().nullable(),
    user_id: z.string().nullable(),
    team_id: z.string().nullable(),
    error_code: z.string().nullable().openapi({ description: "Of the final attempt, or why the request was refused" }),
    refused: z.object({ error_message: z.string() }).nullable().openapi({ description: "A request refused before any upstream call (401, 402, 403, 429): why. It has no attempts and costs nothing" }),
    tags: z.array(z.string()).nullable(),
    metadata: z.record(z.string(), z.string()).nullable(),
    content: z
      .object({
        request: z.object({ messages: z.unknown().optional(), input: z.unknown().optional(), truncated: z.boolean() }).nullable(),
        completion: z
          .object({
            choices: z.array(
              z.object({
                index: z.number().int(),
                text: z.string(),
                tool_calls: z.array(z.object({ id: z.string().optional(), name: z.string().optional(), arguments: z.string() })).optional(),
              }),
            ),
            truncated: z.boolean(),
          })
          .nullable(),
      })
      .nullable()
      .openapi({ description: "With logging.store_content: the prompt and the completion (a stream's, assembled), bounded; null without content or after logging.retention_days" }),
  })
  .openapi("Receipt");

export const RequestIdParams = z.object({
  request_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "request_id", in: "path" }, example: "req_3kTz9QpL0aB7cD2e" }),
});

export type UsageQueryParams = z.infer<typeof UsageQuerySchema>;
export type UsageRowObject = z.infer<typeof UsageRowSchema>;
export type LogListParams = z.infer<typeof LogListQuery>;
export type LogObject = z.infer<typeof LogSchema>;
export type ReceiptObject = z.infer<typeof ReceiptSchema>;
export type ReceiptAttemptObject = z.infer<typeof ReceiptAttemptSchema>;

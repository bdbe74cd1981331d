/** `GET /v1/usage/series`: usage over time, for charts. */
import { z } from "@hono/zod-openapi";
import { SERIES_GROUPS, SERIES_INTERVALS } from "../../store/repos/usage-series.js";
import { IsoDateTime, Timestamp } from "./common.js";
import { TagQuery } from "./usage.js";

const Usd = z.string().openapi({ description: "Decimal USD (exact, up to 6 decimals)", example: "0.001234" });
const Count = z.number().int();

export const UsageSeriesQuery = z.object({
  interval: z
    .enum(SERIES_INTERVALS)
    .optional()
    .openapi({ param: { name: "interval", in: "query" }, description: "Bucket size (UTC): minute (range at most 1 day), hour (at most 31 days; the default), day (at most 366 days)" }),
  from: IsoDateTime.optional().openapi({ param: { name: "from", in: "query" }, description: "Inclusive; default: 1 hour (minute), 24 hours (hour) or 30 days (day) before `to`" }),
  to: IsoDateTime.optional().openapi({ param: { name: "to", in: "query" }, description: "Exclusive; default now" }),
  group_by: z
    .enum(SERIES_GROUPS)
    .optional()
    .openapi({ param: { name: "group_by", in: "query" }, description: "Split each bucket by one dimension (model as requested, provider, team, key or user); none = totals" }),
  top: z.coerce
    .number()
    .int()
    .min(1)
    .max(50)
    .optional()
    .openapi({ param: { name: "top", in: "query" }, description: "With group_by: only the groups with the most requests in the range (default 8, at most 50)" }),
  tag: TagQuery,
});

export const UsageSeriesPointSchema = z
  .object({
    bucket: Timestamp.openapi({ description: "Start of the bucket (UTC)" }),
    group: z.string().nullable().openapi({ description: "The group's value (null: none, or no group_by)" }),
    requests: Count.openapi({ description: "Distinct request ids" }),
    attempts: Count.openapi({ description: "Upstream attempts (ledger rows)" }),
    errors: Count.openapi({ description: "Attempts with status ≥ 400" }),
    error_rate: z.number().openapi({ description: "errors / attempts (0 when none)" }),
    cost_usd: Usd,
    prompt_tokens: Count,
    completion_tokens: Count,
    cached_tokens: Count.openapi({ description: "Prompt tokens the provider served from its prompt cache" }),
    cache_hits: Count.openapi({ description: "Attempts with at least one cached prompt token" }),
    p50_ms: z.number().nullable().openapi({ description: "Median of the attempts' total time" }),
    p95_ms: z.number().nullable().openapi({ description: "95th percentile of the attempts' total time" }),
  })
  .openapi("UsageSeriesPoint");

export const UsageSeriesSchema = z
  .object({
    object: z.literal("usage.series"),
    interval: z.enum(SERIES_INTERVALS),
    from: Timestamp,
    to: Timestamp,
    group_by: z.enum(SERIES_GROUPS).nullable(),
    tag: z.string().nullable().openapi({ description: "The tag the series is limited to (null: every request)" }),
    groups: z.array(z.string().nullable()).openapi({ description: "The groups in `data`, most requests first" }),
    other_groups: Count.openapi({ description: "Groups with requests in the range left out by `top`" }),
    data: z.array(UsageSeriesPointSchema).openapi({ description: "Non-empty buckets only, ordered by bucket then group" }),
  })
  .openapi("UsageSeries");

export type UsageSeriesParams = z.infer<typeof UsageSeriesQuery>;
export type UsageSeriesObject = z.infer<typeof UsageSeriesSchema>;

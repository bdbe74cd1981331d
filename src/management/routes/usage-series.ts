/** `GET /v1/usage/series`: the ledger bucketed over time (minute, hour or day), for the dashboard's charts. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { GatewayError } from "../../core/errors.js";
import { microsToUsd } from "../../catalog/prices.js";
import { usageSeries, type SeriesInterval } from "../../store/repos/usage-series.js";
import type { ManagementDeps, ManagementEnv } from "../context.js";
import { errorResponses, jsonResponse as json, security } from "../schemas/common.js";
import { UsageSeriesQuery, UsageSeriesSchema, type UsageSeriesObject, type UsageSeriesParams } from "../schemas/usage-series.js";

const HOUR = 3600_000;
const DEFAULT_SPAN: Record<SeriesInterval, number> = { minute: HOUR, hour: 24 * HOUR, day: 30 * 24 * HOUR };
const MAX_SPAN: Record<SeriesInterval, { ms: number; text: string }> = {
  minute: { ms: 24 * HOUR, text: "1 day" },
  hour: { ms: 31 * 24 * HOUR, text: "31 days" },
  day: { ms: 366 * 24 * HOUR, text: "366 days" },
};

const route = createRoute({
  tags: ["usage"],
  security,
  method: "get",
  path: "/v1/usage/series",
  operationId: "getUsageSeries",
  summary: "Requests, cost, errors, latency percentiles and prompt-cache hits over time, optionally split by model, provider, team, key or user, or limited to one tag",
  request: { query: UsageSeriesQuery },
  responses: { 200: json(UsageSeriesSchema, "One point per non-empty bucket and group"), ...errorResponses() },
});

export function seriesRange(q: UsageSeriesParams, now = new Date()): { from: Date; to: Date; interval: SeriesInterval } {
  const interval = q.interval ?? "hour";
  const to = q.to !== undefined ? new Date(q.to) : now;
  const from = q.from !== undefined ? new Date(q.from) : new Date(to.getTime() - DEFAULT_SPAN[interval]);
  if (from.getTime() >= to.getTime()) throw new GatewayError("invalid_request", `invalid query parameter 'from': must be before 'to' (${to.toISOString()})`, { param: "from" });
  const max = MAX_SPAN[interval];
  if (to.getTime() - from.getTime() > max.ms)
    throw new GatewayError("invalid_request", `invalid query parameter 'from': with interval=${interval} the range is at most ${max.text}`, { param: "from" });
  return { from, to, interval };
}

export function usageSeriesRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const { from, to, interval } = seriesRange(q);
    const s = await usageSeries(deps.db, { from, to, interval, groupBy: q.group_by, top: q.top ?? 8, tag: q.tag });
    const body: UsageSeriesObject = {
      object: "usage.series",
      interval,
      from: from.toISOString(),
      to: to.toISOString(),
      group_by: q.group_by ?? null,
      tag: q.tag ?? null,
      groups: s.groups,
      other_groups: s.otherGroups,
      data: s.points.map((p) => ({
        bucket: p.bucket,
        group: p.group,
        requests: p.requests,
        attempts: p.attempts,
        errors: p.errors,
        error_rate: p.attempts ? p.errors / p.attempts : 0,
        cost_usd: microsToUsd(p.costMicros),
        prompt_tokens: p.promptTokens,
        completion_tokens: p.completionTokens,
        cached_tokens: p.cachedTokens,
        cache_hits: p.cacheHits,
        p50_ms: p.p50Ms,
        p95_ms: p.p95Ms,
      })),
    };
    return c.json(body, 200);
  });
}

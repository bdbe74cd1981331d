/**
 * Usage over time for charts: the ledger bucketed by minute, hour or UTC day, optionally split by
 * one dimension (model as requested, provider, team, key or user), limited to the `top` groups
 * with the most requests in the range, and to the requests carrying one tag. Latency percentiles
 * are over the attempts' total time.
 */
import { sql } from "../kysely.js";
import type { Kysely, RawBuilder } from "kysely";
import type { Database } from "../schema.js";
import { safeInt } from "./usage.js";

export const SERIES_INTERVALS = ["minute", "hour", "day"] as const;
export type SeriesInterval = (typeof SERIES_INTERVALS)[number];
export const SERIES_GROUPS = ["model", "provider", "team", "key", "user"] as const;
export type SeriesGroup = (typeof SERIES_GROUPS)[number];

const GROUP_EXPR: Record<SeriesGroup, RawBuilder<string | null>> = {
  model: sql`requested_model`,
  provider: sql`provider`,
  team: sql`team_id`,
  key: sql`key_id`,
  user: sql`user_id`,
};

const BUCKET_FORMAT: Record<SeriesInterval, string> = {
  minute: 'YYYY-MM-DD"T"HH24:MI:00"Z"',
  hour: 'YYYY-MM-DD"T"HH24:00:00"Z"',
  day: 'YYYY-MM-DD"T"00:00:00"Z"',
};

export interface SeriesQuery {
  from: Date;
  to: Date;
  interval: SeriesInterval;
  groupBy?: SeriesGroup;
  top: number;
  /** Only requests carrying this tag. */
  tag?: string;
}

export interface SeriesPoint {
  bucket: string;
  group: string | null;
  requests: number;
  attempts: number;
  errors: number;
  costMicros: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheHits: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface Series {
  points: SeriesPoint[];
  /** The groups shown, most requests first. */
  groups: Array<string | null>;
  /** Groups with requests in the range that were left out (beyond `top`). */
  otherGroups: number;
}

export async function usageSeries(db: Kysely<Database>, q: SeriesQuery): Promise<Series> {
  const inRange = sql`created_at >= ${q.from} and created_at < ${q.to}`;
  const range = q.tag === undefined ? inRange : sql`${inRange} and tags @> ${JSON.stringify([q.tag])}::jsonb`;
  let groups: Array<string | null> = [null];
  let otherGroups = 0;
  let groupFilter = sql`true`;
  const expr = q.groupBy ? GROUP_EXPR[q.groupBy] : sql`null::text`;
  if (q.groupBy) {
    const ranked = await sql<{ g: string | null; n: string }>`
      select ${expr} as g, count(distinct request_id) as n from usage where ${range}
      group by 1 order by 2 desc, 1 asc nulls last`.execute(db);
    groups = ranked.rows.slice(0, q.top).map((r) => r.g);
    otherGroups = Math.max(0, ranked.rows.length - q.top);
    const named = groups.filter((g): g is string => g !== null);
    const parts = [named.length ? sql`${expr} in (${sql.join(named)})` : sql`false`];
    if (groups.includes(null)) parts.push(sql`${expr} is null`);
    groupFilter = sql`(${sql.join(parts, sql` or `)})`;
  }
  const result = await sql<Record<string, unknown>>`
    select to_char(created_at at time zone 'UTC', ${BUCKET_FORMAT[q.interval]}) as bucket,
      ${expr} as g,
      count(distinct request_id) as requests,
      count(*) as attempts,
      count(*) filter (where status >= 400) as errors,
      coalesce(sum(cost_total_micros), 0) as cost_micros,
      coalesce(sum(prompt_tokens), 0) as prompt_tokens,
      coalesce(sum(completion_tokens), 0) as completion_tokens,
      coalesce(sum(cached_tokens), 0) as cached_tokens,
      count(*) filter (where cached_tokens > 0) as cache_hits,
      percentile_cont(0.5) within group (order by total_ms) as p50,
      percentile_cont(0.95) within group (order by total_ms) as p95
    from usage
    where ${range} and ${groupFilter}
    group by 1, 2 order by 1, 2`.execute(db);
  const ms = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000);
  const points = result.rows.map((r) => ({
    bucket: r.bucket as string,
    group: (r.g as string | null) ?? null,
    requests: safeInt(r.requests),
    attempts: safeInt(r.attempts),
    errors: safeInt(r.errors),
    costMicros: safeInt(r.cost_micros),
    promptTokens: safeInt(r.prompt_tokens),
    completionTokens: safeInt(r.completion_tokens),
    cachedTokens: safeInt(r.cached_tokens),
    cacheHits: safeInt(r.cache_hits),
    p50Ms: ms(r.p50),
    p95Ms: ms(r.p95),
  }));
  return { points, groups, otherGroups };
}

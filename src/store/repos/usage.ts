/**
 * Reading the usage ledger for the management API: totals aggregated in SQL (grouped by user,
 * key, team, requested model, provider and UTC day), and the request log (one row per request:
 * its highest attempt) with keyset pagination. Counts and sums of int8 come back from
 * node-postgres as strings; they are converted here, checked to be safe integers.
 */
import { sql } from "../kysely.js";
import type { Kysely, RawBuilder } from "kysely";
import type { Database, UsageRow } from "../schema.js";
import { afterCursor, cursorTs, toPage, type Page, type PageRequest } from "./page.js";

export const USAGE_GROUPS = ["user", "key", "team", "model", "provider", "day", "tag"] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** The field each grouping adds to a row of totals. `model` is the model as requested. */
export const GROUP_FIELD = { user: "user_id", key: "key_id", team: "team_id", model: "model", provider: "provider", day: "day", tag: "tag" } as const satisfies Record<UsageGroup, string>;
export type GroupField = (typeof GROUP_FIELD)[UsageGroup];

const GROUP_EXPR: Record<UsageGroup, RawBuilder<string | null>> = {
  user: sql`user_id`,
  key: sql`key_id`,
  team: sql`team_id`,
  model: sql`requested_model`,
  provider: sql`provider`,
  day: sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`,
  tag: sql`t.tag`,
};

export interface UsageQuery {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  groupBy: readonly UsageGroup[];
  userId?: string;
  teamId?: string;
  /** Only requests carrying this tag. */
  tag?: string;
}

export interface UsageTotals {
  /** Requests (distinct request ids). */
  requests: number;
  /** Ledger rows (upstream attempts). */
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costMicros: number;
  /** Attempts with status ≥ 400. */
  errors: number;
}

export interface UsageGroupRow {
  /** The value of each requested grouping, in `groupBy` order. */
  group: Partial<Record<GroupField, string | null>>;
  totals: UsageTotals;
}

/** int8/numeric text from node-postgres → a number, refusing anything beyond 2^53. */
export function safeInt(v: unknown): number {
  const n = typeof v === "number" ? v : Number(v ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`value out of the safe integer range: ${String(v)}`);
  return n;
}

/**
 * Totals over `[from, to)`, one row per combination of the groupings (ordered by them), or one
 * row of totals (possibly all zero) without groupings.
 */
export async function aggregateUsage(db: Kysely<Database>, q: UsageQuery): Promise<UsageGroupRow[]> {
  const groups = q.groupBy.map((g, i) => sql`${GROUP_EXPR[g]} as ${sql.id(`g${i}`)}`);
  // Attempt 0 is a refused request's log row: no usage.
  const where = [sql`created_at >= ${q.from}`, sql`created_at < ${q.to}`, sql`attempt > 0`];
  if (q.userId !== undefined) where.push(sql`user_id = ${q.userId}`);
  if (q.teamId !== undefined) where.push(sql`team_id = ${q.teamId}`);
  if (q.tag !== undefined) where.push(sql`tags @> ${JSON.stringify([q.tag])}::jsonb`);
  // Grouped by tag, a row counts once under each of its tags (and under null without any).
  const from = q.groupBy.includes("tag") ? sql`usage left join lateral jsonb_array_elements_text(usage.tags) as t(tag) on true` : sql`usage`;
  const ordinals = sql.raw(q.groupBy.map((_, i) => String(i + 1)).join(", "));
  const grouping = q.groupBy.length ? sql`group by ${ordinals} order by ${ordinals}` : sql``;
  const result = await sql<Record<string, unknown>>`
    select ${sql.join([
      ...groups,
      sql`count(distinct request_id) as requests`,
      sql`count(*) as attempts`,
      sql`coalesce(sum(prompt_tokens), 0) as prompt_tokens`,
      sql`coalesce(sum(completion_tokens), 0) as completion_tokens`,
      sql`coalesce(sum(total_tokens), 0) as total_tokens`,
      sql`coalesce(sum(cached_tokens), 0) as cached_tokens`,
      sql`coalesce(sum(reasoning_tokens), 0) as reasoning_tokens`,
      sql`coalesce(sum(cost_total_micros), 0) as cost_micros`,
      sql`count(*) filter (where status >= 400) as errors`,
    ])}
    from ${from}
    where ${sql.join(where, sql` and `)}
    ${grouping}`.execute(db);
  return result.rows.map((r) => {
    const group: Partial<Record<GroupField, string | null>> = {};
    q.groupBy.forEach((g, i) => (group[GROUP_FIELD[g]] = (r[`g${i}`] as string | null) ?? null));
    return {
      group,
      totals: {
        requests: safeInt(r.requests),
        attempts: safeInt(r.attempts),
        promptTokens: safeInt(r.prompt_tokens),
        completionTokens: safeInt(r.completion_tokens),
        totalTokens: safeInt(r.total_tokens),
        cachedTokens: safeInt(r.cached_tokens),
        reasoningTokens: safeInt(r.reasoning_tokens),
        costMicros: safeInt(r.cost_micros),
        errors: safeInt(r.errors),
      },
    };
  });
}

export interface LogFilter {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  key_id?: string;
  user_id?: string;
  team_id?: string;
  /** The model as requested or as called upstream. */
  model?: string;
  provider?: string;
  /** The client's own x-request-id (several requests may share one). */
  client_request_id?: string;
  /** Inclusive range of the final attempt's status. */
  status?: { min: number; max: number };
  /** Requests carrying this tag. */
  tag?: string;
  /** Requests whose metadata holds each of these pairs. */
  metadata?: Record<string, string>;
}

/** A request in the log: its highest attempt, with the number of attempts and their summed cost. */
export interface RequestLogRow extends UsageRow {
  attempt_count: number;
  cost_sum_micros: number;
}

/**
 * One row per request (the row of its highest attempt), newest first. Filters apply to that row;
 * the count and cost of all attempts are read only for the rows of the page.
 */
export async function listRequestLogs(db: Kysely<Database>, f: LogFilter, page: PageRequest): Promise<Page<RequestLogRow>> {
  let q = db
    .selectFrom("usage as u")
    .selectAll("u")
    .select((eb) => [
      cursorTs("u.created_at").as("cursor_ts"),
      eb
        .selectFrom("usage as a")
        .whereRef("a.request_id", "=", "u.request_id")
        .select(sql<string>`count(*) filter (where a.attempt > 0)`.as("n"))
        .as("attempt_count"),
      eb
        .selectFrom("usage as a")
        .whereRef("a.request_id", "=", "u.request_id")
        .select(sql<string>`coalesce(sum(a.cost_total_micros), 0)`.as("c"))
        .as("cost_sum"),
    ])
    .where((eb) => eb.not(eb.exists(eb.selectFrom("usage as n").select("n.id").whereRef("n.request_id", "=", "u.request_id").whereRef("n.attempt", ">", "u.attempt"))));
  if (f.from !== undefined) q = q.where("u.created_at", ">=", f.from);
  if (f.to !== undefined) q = q.where("u.created_at", "<", f.to);
  if (f.key_id !== undefined) q = q.where("u.key_id", "=", f.key_id);
  if (f.user_id !== undefined) q = q.where("u.user_id", "=", f.user_id);
  if (f.team_id !== undefined) q = q.where("u.team_id", "=", f.team_id);
  if (f.provider !== undefined) q = q.where("u.provider", "=", f.provider);
  if (f.client_request_id !== undefined) q = q.where("u.client_request_id", "=", f.client_request_id);
  if (f.model !== undefined) {
    const model = f.model;
    q = q.where((eb) => eb.or([eb("u.requested_model", "=", model), eb("u.model", "=", model)]));
  }
  if (f.status !== undefined) q = q.where("u.status", ">=", f.status.min).where("u.status", "<=", f.status.max);
  if (f.tag !== undefined) q = q.where(sql<boolean>`u.tags @> ${JSON.stringify([f.tag])}::jsonb`);
  if (f.metadata !== undefined) q = q.where(sql<boolean>`u.metadata @> ${JSON.stringify(f.metadata)}::jsonb`);
  if (page.cursor) q = q.where(afterCursor("u.created_at", "u.id", page.cursor, "bigint"));
  const rows = await q
    .orderBy("u.created_at", "desc")
    .orderBy("u.id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(
    rows,
    page.limit,
    (r) => String(r.id),
    ({ cursor_ts: _, attempt_count, cost_sum, ...row }) => ({ ...row, attempt_count: safeInt(attempt_count), cost_sum_micros: safeInt(cost_sum) }),
  );
}

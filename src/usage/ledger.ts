/**
 * The usage ledger table in SQL terms: mapping between `UsageRecord` and `usage` rows, and the
 * one write path — an idempotent multi-row INSERT ... ON CONFLICT (request_id, attempt) DO NOTHING.
 * There is deliberately no update or delete: the ledger is append-only.
 */
import { sql } from "../store/kysely.js";
import type { Kysely } from "kysely";
import type { Database, NewUsageRow, UsageRow } from "../store/schema.js";
import type { UsageRecord } from "./types.js";

/**
 * Most rows one INSERT may carry. PostgreSQL allows 65535 bind parameters per statement; a row
 * has 31 columns today, so 2000 rows stay under the limit until a row has 32 columns.
 */
export const MAX_ROWS_PER_INSERT = 2000;

/** A ledger row as read back: the record plus its database id (int8 as a string). */
export interface StoredUsageRecord extends UsageRecord {
  id: string;
}

/**
 * The columns and how each is read from one record serialised as JSON. The whole batch travels
 * as ONE parameter (a JSON array) that PostgreSQL unpacks: far cheaper for the gateway's CPU
 * than thousands of bound parameters, and the same SQL on PGlite and PostgreSQL.
 */
const COLUMNS: ReadonlyArray<[column: string, expr: string]> = [
  ["request_id", "r->>'requestId'"],
  ["attempt", "(r->>'attempt')::int"],
  ["created_at", "(r->>'createdAt')::timestamptz"],
  ["requested_model", "r->>'requestedModel'"],
  ["provider", "r->>'provider'"],
  ["model", "r->>'model'"],
  ["endpoint", "r->>'endpoint'"],
  ["status", "(r->>'status')::int"],
  ["error_code", "r->>'errorCode'"],
  ["prompt_tokens", "(r->>'promptTokens')::int"],
  ["completion_tokens", "(r->>'completionTokens')::int"],
  ["total_tokens", "(r->>'totalTokens')::int"],
  ["usage_estimated", "(r->>'usageEstimated')::boolean"],
  ["streamed", "(r->>'streamed')::boolean"],
  ["ttft_ms", "(r->>'ttftMs')::double precision"],
  ["total_ms", "(r->>'totalMs')::double precision"],
  ["overhead_ms", "(r->>'overheadMs')::double precision"],
  ["key_id", "r->>'keyId'"],
  ["user_id", "r->>'userId'"],
  ["team_id", "r->>'teamId'"],
  ["cached_tokens", "coalesce((r->>'cachedTokens')::int, 0)"],
  ["cache_write_tokens", "coalesce((r->>'cacheWriteTokens')::int, 0)"],
  ["reasoning_tokens", "coalesce((r->>'reasoningTokens')::int, 0)"],
  ["cost_input_micros", "coalesce((r->'cost'->>'inputMicros')::bigint, 0)"],
  ["cost_cached_micros", "coalesce((r->'cost'->>'cachedMicros')::bigint, 0)"],
  ["cost_cache_write_micros", "coalesce((r->'cost'->>'cacheWriteMicros')::bigint, 0)"],
  ["cost_output_micros", "coalesce((r->'cost'->>'outputMicros')::bigint, 0)"],
  ["cost_total_micros", "coalesce((r->'cost'->>'totalMicros')::bigint, 0)"],
  ["price_version", "r->>'priceVersion'"],
  ["receipt", "nullif(r->'receipt', 'null'::jsonb)"],
  ["client_request_id", "r->>'clientRequestId'"],
  ["tags", "nullif(r->'tags', 'null'::jsonb)"],
  ["metadata", "nullif(r->'metadata', 'null'::jsonb)"],
];

const INSERT_HEAD = sql.raw(`insert into usage (${COLUMNS.map((c) => c[0]).join(", ")}) select ${COLUMNS.map((c) => c[1]).join(", ")} from jsonb_array_elements(`);
const INSERT_TAIL = sql.raw(`::jsonb) as r on conflict (request_id, attempt) do nothing`);

/**
 * The same insert for a batch that carries content (`logging.store_content`): the rows' content
 * goes to `request_content` in the same statement, so it is as durable and idempotent as the row.
 */
const CONTENT_HEAD = sql.raw(`with b as (select r from jsonb_array_elements(`);
const CONTENT_TAIL = sql.raw(
  `::jsonb) as r), c as (insert into request_content (request_id, attempt, created_at, content) ` +
    `select r->>'requestId', (r->>'attempt')::int, (r->>'createdAt')::timestamptz, r->'content' from b where jsonb_typeof(r->'content') = 'object' ` +
    `on conflict (request_id, attempt) do nothing) ` +
    `insert into usage (${COLUMNS.map((c) => c[0]).join(", ")}) select ${COLUMNS.map((c) => c[1]).join(", ")} from b on conflict (request_id, attempt) do nothing`,
);

/** A line that carries content: the key appears unquoted only as a member name (a string value's quotes are escaped). */
const hasContent = (line: string) => line.includes('"content":{');

/** Inserts `records` with one statement; returns how many were new (duplicates are skipped). */
export async function insertUsageRecords(db: Kysely<Database>, records: readonly UsageRecord[]): Promise<number> {
  for (const r of records) checkRecord(r);
  return insertUsageLines(db, records.map(usageLine));
}

/**
 * A checked record as one line of JSON — what the spool and the writer's queue hold. The same
 * text as `JSON.stringify(r)`, made without the Date: an object with a `toJSON` method takes V8
 * off its fast serialisation path (2.5 times slower for a usage row).
 */
export function usageLine(r: UsageRecord): string {
  return JSON.stringify({ ...r, createdAt: r.createdAt.toISOString() });
}

/**
 * Inserts rows already serialised as JSON (by `usageLine` of a checked `UsageRecord`, as the
 * spool holds them) with one statement; returns how many were new.
 */
export async function insertUsageLines(db: Kysely<Database>, lines: readonly string[]): Promise<number> {
  if (lines.length === 0) return 0;
  if (lines.length > MAX_ROWS_PER_INSERT) {
    throw new RangeError(`at most ${MAX_ROWS_PER_INSERT} usage rows per insert, got ${lines.length}`);
  }
  const batch = `[${lines.join(",")}]`;
  const result = await (lines.some(hasContent) ? sql`${CONTENT_HEAD}${batch}${CONTENT_TAIL}` : sql`${INSERT_HEAD}${batch}${INSERT_TAIL}`).execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * The checks the database would make of bound parameters, made before a row is queued so a
 * malformed row is refused at once rather than failing a batch in an unexpected way.
 */
export function checkRecord(r: UsageRecord): void {
  if (typeof r.requestId !== "string" || !Number.isInteger(r.attempt) || !(r.createdAt instanceof Date) || Number.isNaN(r.createdAt.getTime())) {
    throw new TypeError(`usage record ${String(r.requestId)}#${String(r.attempt)} is malformed`);
  }
}

export function toUsageRow(r: UsageRecord): NewUsageRow {
  return {
    request_id: r.requestId,
    attempt: r.attempt,
    created_at: r.createdAt,
    requested_model: r.requestedModel,
    provider: r.provider,
    model: r.model,
    endpoint: r.endpoint,
    status: r.status,
    error_code: r.errorCode,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.totalTokens,
    usage_estimated: r.usageEstimated,
    streamed: r.streamed,
    ttft_ms: r.ttftMs,
    total_ms: r.totalMs,
    overhead_ms: r.overheadMs,
    key_id: r.keyId,
    user_id: r.userId,
    team_id: r.teamId,
    cached_tokens: r.cachedTokens,
    cache_write_tokens: r.cacheWriteTokens,
    reasoning_tokens: r.reasoningTokens,
    cost_input_micros: r.cost.inputMicros,
    cost_cached_micros: r.cost.cachedMicros,
    cost_cache_write_micros: r.cost.cacheWriteMicros,
    cost_output_micros: r.cost.outputMicros,
    cost_total_micros: r.cost.totalMicros,
    price_version: r.priceVersion,
    receipt: r.receipt === null ? null : JSON.stringify(r.receipt),
    client_request_id: r.clientRequestId ?? null,
    tags: r.tags ? JSON.stringify(r.tags) : null,
    metadata: r.metadata ? JSON.stringify(r.metadata) : null,
  };
}

export function fromUsageRow(row: UsageRow): StoredUsageRecord {
  return {
    id: row.id,
    requestId: row.request_id,
    clientRequestId: row.client_request_id,
    attempt: row.attempt,
    createdAt: row.created_at,
    requestedModel: row.requested_model,
    provider: row.provider,
    model: row.model,
    endpoint: row.endpoint as UsageRecord["endpoint"],
    status: row.status,
    errorCode: row.error_code,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    totalTokens: row.total_tokens,
    usageEstimated: row.usage_estimated,
    streamed: row.streamed,
    ttftMs: row.ttft_ms,
    totalMs: row.total_ms,
    overheadMs: row.overhead_ms,
    keyId: row.key_id,
    userId: row.user_id,
    teamId: row.team_id,
    cachedTokens: row.cached_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    reasoningTokens: row.reasoning_tokens,
    cost: {
      inputMicros: Number(row.cost_input_micros),
      cachedMicros: Number(row.cost_cached_micros),
      cacheWriteMicros: Number(row.cost_cache_write_micros),
      outputMicros: Number(row.cost_output_micros),
      totalMicros: Number(row.cost_total_micros),
    },
    priceVersion: row.price_version,
    receipt: row.receipt,
    // Present only when set, as on the record that was written.
    ...(row.tags ? { tags: row.tags } : {}),
    ...(row.metadata ? { metadata: row.metadata } : {}),
  };
}

/**
 * True for errors the same rows will hit again on retry: SQLSTATE classes 22 (data exception,
 * e.g. an integer out of range) and 23 (integrity constraint, e.g. a NULL in a NOT NULL column).
 * A TypeError means a row could not even be turned into SQL. Everything else (connection
 * refused, timeouts, a missing table) is worth retrying.
 */
export function isPermanentRowError(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.length === 5 && (code.startsWith("22") || code.startsWith("23"));
}

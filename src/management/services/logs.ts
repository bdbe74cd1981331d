/** The request log (one entry per request) and each request's receipt, read from the usage ledger. */
import { GatewayError } from "../../core/errors.js";
import { microsToUsd } from "../../catalog/prices.js";
import { listRequestLogs, type LogFilter, type RequestLogRow } from "../../store/repos/usage.js";
import type { Page } from "../../store/repos/page.js";
import { listUsageByRequest, requestContent } from "../../usage/query.js";
import type { StoredUsageRecord } from "../../usage/ledger.js";
import type { CostBreakdown } from "../../usage/types.js";
import type { ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import { pageRequest } from "../pagination.js";
import type { LogListParams, LogObject, ReceiptAttemptObject, ReceiptObject } from "../schemas/usage.js";

/** `"200"` → 200..200, `"4xx"` → 400..499, `"error"` → ≥ 400, `"success"` → < 400. */
export function statusRange(text: string): { min: number; max: number } {
  if (text === "error") return { min: 400, max: 999 };
  if (text === "success") return { min: 0, max: 399 };
  const cls = /^([1-5])xx$/.exec(text);
  if (cls) return { min: Number(cls[1]) * 100, max: Number(cls[1]) * 100 + 99 };
  if (/^[1-5]\d\d$/.test(text)) return { min: Number(text), max: Number(text) };
  throw new GatewayError("invalid_request", `invalid query parameter 'status': ${text}`, { param: "status" });
}

function logObject(r: RequestLogRow): LogObject {
  return {
    request_id: r.request_id,
    client_request_id: r.client_request_id,
    created_at: r.created_at.toISOString(),
    endpoint: r.endpoint,
    requested_model: r.requested_model,
    provider: r.provider,
    model: r.model,
    status: r.status,
    error_code: r.error_code,
    attempts: r.attempt_count,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    cost_usd: microsToUsd(r.cost_sum_micros),
    streamed: r.streamed,
    usage_estimated: r.usage_estimated,
    key_id: r.key_id,
    user_id: r.user_id,
    team_id: r.team_id,
    total_ms: r.total_ms,
    ttft_ms: r.ttft_ms,
    overhead_ms: r.overhead_ms,
    tags: r.tags ?? null,
    metadata: r.metadata ?? null,
  };
}

/** Most `metadata.<key>` filters one listing takes. */
const MAX_METADATA_FILTERS = 16;

/** The `metadata.<key>=<value>` query parameters, bounded as metadata itself is (400 otherwise). */
export function metadataFilter(query: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(query)) {
    if (!name.startsWith("metadata.")) continue;
    const key = name.slice("metadata.".length);
    if (key.length === 0 || key.length > 64 || value.length > 512) {
      throw new GatewayError("invalid_request", `invalid query parameter '${name.slice(0, 80)}': the key is 1 to 64 characters, the value at most 512`, { param: "metadata" });
    }
    if (++n > MAX_METADATA_FILTERS) throw new GatewayError("invalid_request", `at most ${MAX_METADATA_FILTERS} metadata.<key> filters`, { param: "metadata" });
    out[key] = value;
  }
  return n ? out : undefined;
}

export async function listLogPage(deps: ManagementDeps, q: LogListParams, metadata?: Record<string, string>): Promise<Page<LogObject>> {
  const { from, to, status, limit, cursor, ...rest } = q;
  const filter: LogFilter = { ...rest };
  if (metadata) filter.metadata = metadata;
  if (from !== undefined) filter.from = new Date(from);
  if (to !== undefined) filter.to = new Date(to);
  if (status !== undefined) filter.status = statusRange(status);
  const rows = await listRequestLogs(deps.db, filter, pageRequest({ limit, cursor }, /^\d{1,18}$/));
  return { data: rows.data.map(logObject), nextCursor: rows.nextCursor };
}

function costObject(c: CostBreakdown) {
  return {
    input_usd: microsToUsd(c.inputMicros),
    cached_input_usd: microsToUsd(c.cachedMicros),
    cache_write_usd: microsToUsd(c.cacheWriteMicros),
    output_usd: microsToUsd(c.outputMicros),
    total_usd: microsToUsd(c.totalMicros),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Error messages the receipt recorded per attempt number (the ledger row has only the code). */
function errorMessages(receipt: Record<string, unknown>): Map<number, string> {
  const out = new Map<number, string>();
  for (const a of Array.isArray(receipt.attempts) ? receipt.attempts : []) {
    if (isRecord(a) && typeof a.attempt === "number" && typeof a.error_message === "string") out.set(a.attempt, a.error_message);
  }
  return out;
}

function attemptObject(r: StoredUsageRecord, messages: Map<number, string>): ReceiptAttemptObject {
  return {
    attempt: r.attempt,
    created_at: r.createdAt.toISOString(),
    provider: r.provider,
    model: r.model,
    status: r.status,
    error_code: r.errorCode,
    error_message: messages.get(r.attempt) ?? null,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    cached_tokens: r.cachedTokens,
    cache_write_tokens: r.cacheWriteTokens,
    reasoning_tokens: r.reasoningTokens,
    cost: costObject(r.cost),
    price_version: r.priceVersion,
    streamed: r.streamed,
    usage_estimated: r.usageEstimated,
    ttft_ms: r.ttftMs,
    total_ms: r.totalMs,
    overhead_ms: r.overheadMs,
  };
}

/** The receipt of a request: every attempt from the ledger, routing and warnings from the last attempt's receipt. */
export async function getReceipt(deps: ManagementDeps, requestId: string): Promise<ReceiptObject> {
  const [all, content] = await Promise.all([listUsageByRequest(deps.db, requestId), requestContent(deps.db, requestId)]);
  const last = all[all.length - 1];
  if (!last) throw notFound("request", requestId, "request_id");
  // Attempt 0 is the row of a request refused before any upstream call.
  const rows = all.filter((r) => r.attempt > 0);
  const refused = last.attempt === 0 && isRecord(last.receipt) && isRecord(last.receipt.refused) ? last.receipt.refused : null;
  const receipt = isRecord(last.receipt) ? last.receipt : {};
  const messages = errorMessages(receipt);
  const total: CostBreakdown = { inputMicros: 0, cachedMicros: 0, cacheWriteMicros: 0, outputMicros: 0, totalMicros: 0 };
  for (const r of rows) {
    total.inputMicros += r.cost.inputMicros;
    total.cachedMicros += r.cost.cachedMicros;
    total.cacheWriteMicros += r.cost.cacheWriteMicros;
    total.outputMicros += r.cost.outputMicros;
    total.totalMicros += r.cost.totalMicros;
  }
  return {
    request_id: requestId,
    client_request_id: last.clientRequestId ?? null,
    created_at: last.createdAt.toISOString(),
    endpoint: last.endpoint,
    requested_model: last.requestedModel,
    status: last.status,
    routing: isRecord(receipt.routing) ? receipt.routing : null,
    attempts: rows.map((r) => attemptObject(r, messages)),
    cost: costObject(total),
    timings: { total_ms: last.totalMs, ttft_ms: last.ttftMs, overhead_ms: last.overheadMs },
    warnings: Array.isArray(receipt.warnings) ? receipt.warnings : [],
    key_id: last.keyId,
    user_id: last.userId,
    team_id: last.teamId,
    error_code: last.errorCode,
    refused: refused ? { error_message: typeof refused.error_message === "string" ? refused.error_message : "" } : null,
    tags: last.tags ?? null,
    metadata: last.metadata ?? null,
    content: content ? { request: content.request ?? null, completion: content.completion ?? null } : null,
  };
}

/** Usage analytics over the ledger: totals by user, key, team, model, provider and UTC day, as JSON or CSV. */
import { GatewayError } from "../../core/errors.js";
import { microsToUsd } from "../../catalog/prices.js";
import { aggregateUsage, GROUP_FIELD, USAGE_GROUPS, type UsageGroup, type UsageGroupRow } from "../../store/repos/usage.js";
import { teamExists } from "../../store/repos/teams.js";
import { userExists } from "../../store/repos/users.js";
import type { ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import type { UsageQueryParams, UsageRowObject } from "../schemas/usage.js";

export const DEFAULT_USAGE_WINDOW_MS = 30 * 24 * 3600 * 1000;

const METRICS = ["requests", "attempts", "prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "reasoning_tokens", "cost_usd", "errors"] as const;

export interface UsageReport {
  object: "list";
  data: UsageRowObject[];
  next_cursor: null;
  from: string;
  to: string;
  group_by: UsageGroup[];
}

/** `from`/`to` of a query (default: the 30 days before now); `from` must come before `to`. */
export function usageRange(q: { from?: string; to?: string }, now = new Date()): { from: Date; to: Date } {
  const to = q.to !== undefined ? new Date(q.to) : now;
  const from = q.from !== undefined ? new Date(q.from) : new Date(to.getTime() - DEFAULT_USAGE_WINDOW_MS);
  if (from.getTime() >= to.getTime()) {
    throw new GatewayError("invalid_request", `invalid query parameter 'from': must be before 'to' (${to.toISOString()})`, { param: "from" });
  }
  return { from, to };
}

/** `"team, day,team"` → `["team", "day"]` (validated by the schema; duplicates dropped). */
export function groupsOf(text: string | undefined): UsageGroup[] {
  if (text === undefined || text.trim() === "") return [];
  const out: UsageGroup[] = [];
  for (const g of text.split(",").map((s) => s.trim())) {
    if (!(USAGE_GROUPS as readonly string[]).includes(g))
      throw new GatewayError("invalid_request", `invalid query parameter 'group_by': '${g}' is not one of ${USAGE_GROUPS.join(", ")}`, { param: "group_by" });
    if (!out.includes(g as UsageGroup)) out.push(g as UsageGroup);
  }
  return out;
}

function rowObject(r: UsageGroupRow): UsageRowObject {
  const t = r.totals;
  return {
    ...r.group,
    requests: t.requests,
    attempts: t.attempts,
    prompt_tokens: t.promptTokens,
    completion_tokens: t.completionTokens,
    total_tokens: t.totalTokens,
    cached_tokens: t.cachedTokens,
    reasoning_tokens: t.reasoningTokens,
    cost_usd: microsToUsd(t.costMicros),
    errors: t.errors,
  };
}

/** Totals over the ledger, optionally of one user or one team only (404 when it does not exist). */
export async function usageReport(deps: ManagementDeps, q: UsageQueryParams, subject: { userId?: string; teamId?: string } = {}): Promise<UsageReport> {
  const { from, to } = usageRange(q);
  const groupBy = groupsOf(q.group_by);
  if (subject.userId !== undefined && !(await userExists(deps.db, subject.userId))) throw notFound("user", subject.userId, "user_id");
  if (subject.teamId !== undefined && !(await teamExists(deps.db, subject.teamId))) throw notFound("team", subject.teamId, "team_id");
  const rows = await aggregateUsage(deps.db, { from, to, groupBy, ...subject, ...(q.tag !== undefined ? { tag: q.tag } : {}) });
  return { object: "list", data: rows.map(rowObject), next_cursor: null, from: from.toISOString(), to: to.toISOString(), group_by: groupBy };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV: a header row (group fields, then the metrics), one line per row, CRLF line ends. */
export function usageCsv(report: UsageReport): string {
  const columns: string[] = [...report.group_by.map((g) => GROUP_FIELD[g]), ...METRICS];
  const lines = [columns.join(",")];
  for (const row of report.data) lines.push(columns.map((c) => csvField((row as Record<string, string | number | null>)[c])).join(","));
  return lines.join("\r\n") + "\r\n";
}

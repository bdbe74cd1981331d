/**
 * Prometheus metrics at GET /metrics (names start with `switchboard_`). Everything is read when
 * scraped: the usage ledger's counters, circuits, budgets and Redis from their owners, and the
 * request series from plain numbers the request path adds to (request-metrics.ts), so nothing
 * on the hot path calls into prom-client. docs/observability.md lists every series.
 */
import { Registry } from "prom-client";
import type { UsageLedgerStats } from "../usage/durable.js";
import { CACHE_RESULTS, type RequestMetrics } from "./request-metrics.js";
import { scraped, single, type SeriesType } from "./scraped.js";
import type { Sample } from "./histogram.js";

export interface Metrics {
  registry: Registry;
  /** The request series, counted by the request path; absent when `metrics.enabled` is false. */
  requests?: RequestMetrics;
}

/** A budget assignment as the budget book holds it. */
export interface BudgetView {
  subjectType: string;
  subjectId: string;
  budget: { id: string; limitMicros: number };
  spendMicros: number;
  reservedMicros: number;
}

export interface MetricsSources {
  /** Whether Redis is not answering (only with Redis configured). */
  redisDegraded?: () => boolean;
  /** The configured deployments (`provider:model`) and each one's circuit. */
  circuits?: { deployments: readonly string[]; state(key: string): "closed" | "half-open" | "open" };
  /** Every budget assignment this instance knows. */
  budgets?: () => Iterable<BudgetView>;
  requests?: RequestMetrics;
}

/** At most this many team budgets get a `switchboard_budget_remaining_usd` series (the first by team id). */
export const MAX_BUDGET_SERIES = 100;

const CIRCUIT_VALUE = { closed: 0, "half-open": 1, open: 2 } as const;

export function createMetrics(ledger: { stats: UsageLedgerStats }, opts: MetricsSources = {}): Metrics {
  const registry = new Registry();
  const fromStats = (name: string, help: string, read: (s: UsageLedgerStats) => number, kind: SeriesType) => scraped(registry, name, help, kind, () => single(read(ledger.stats)));
  fromStats("switchboard_usage_records_written_total", "Usage ledger rows inserted into the database.", (s) => s.written, "counter");
  fromStats("switchboard_usage_records_dropped_total", "Usage ledger rows lost (no room in memory and the spool write failed, or rejected by the database).", (s) => s.dropped, "counter");
  fromStats("switchboard_usage_flush_failures_total", "Failed attempts to write a batch of usage rows (rows are kept and retried).", (s) => s.failedFlushes, "counter");
  fromStats("switchboard_usage_spool_failures_total", "Usage rows the local spool could not write to disk.", (s) => s.spoolFailures, "counter");
  fromStats("switchboard_usage_records_replayed_total", "Usage rows replayed from a previous run's spool.", (s) => s.replayed, "counter");
  fromStats("switchboard_usage_queue_depth", "Usage rows waiting to be written to the database (in memory).", (s) => s.queued, "gauge");
  fromStats("switchboard_usage_spooled_rows", "Usage rows held only in the local spool, waiting for the database.", (s) => s.spooledRows, "gauge");
  fromStats("switchboard_ledger_queue_depth", "Usage ledger rows not yet in the database: in memory plus held only in the local spool.", (s) => s.queued + s.spooledRows, "gauge");
  fromStats("switchboard_ledger_dropped_total", "Usage ledger rows lost (the same count as switchboard_usage_records_dropped_total).", (s) => s.dropped, "counter");

  const degraded = opts.redisDegraded;
  if (degraded) {
    scraped(registry, "switchboard_redis_degraded", "1 while Redis does not answer and rate limits follow limits.redis_failure (counted in this process, or refused); 0 otherwise.", "gauge", () =>
      single(degraded() ? 1 : 0),
    );
  }
  const circuits = opts.circuits;
  if (circuits) {
    scraped(registry, "switchboard_circuit_state", "Circuit of each configured deployment: 0 closed, 1 half-open, 2 open.", "gauge", () =>
      circuits.deployments.map((d) => ({ labels: { deployment: d }, value: CIRCUIT_VALUE[circuits.state(d)] })),
    );
  }
  const budgets = opts.budgets;
  if (budgets) {
    scraped(
      registry,
      "switchboard_budget_remaining_usd",
      `USD left in the current period of each team's budget (limit - spend - reservations in flight, not below 0), as this instance knows it; at most ${MAX_BUDGET_SERIES} teams.`,
      "gauge",
      () => teamBudgets(budgets()),
    );
  }
  if (opts.requests) requestSeries(registry, opts.requests);
  return { registry, ...(opts.requests ? { requests: opts.requests } : {}) };
}

function teamBudgets(all: Iterable<BudgetView>): Sample[] {
  const teams: BudgetView[] = [];
  for (const a of all) if (a.subjectType === "team") teams.push(a);
  teams.sort((a, b) => (a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0));
  return teams.slice(0, MAX_BUDGET_SERIES).map((a) => ({
    labels: { budget: a.budget.id, team: a.subjectId },
    value: Math.max(0, a.budget.limitMicros - a.spendMicros - a.reservedMicros) / 1e6,
  }));
}

function requestSeries(registry: Registry, m: RequestMetrics): void {
  scraped(
    registry,
    "switchboard_requests_total",
    "Inference requests answered, by model asked for (configured names, else other), provider of the last attempt (none: no attempt) and HTTP status.",
    "counter",
    () => [...m.requests].map(([cell, value]) => ({ labels: m.labelsOf(cell), value })),
  );
  scraped(registry, "switchboard_request_duration_seconds", "Whole time of each inference request, from its arrival to its last byte.", "histogram", () =>
    m.duration.samples("switchboard_request_duration_seconds"),
  );
  scraped(registry, "switchboard_time_to_first_token_seconds", "Streamed requests: from the request's arrival to the first byte of the stream.", "histogram", () =>
    m.ttft.samples("switchboard_time_to_first_token_seconds"),
  );
  scraped(
    registry,
    "switchboard_overhead_seconds",
    "The gateway's own time in each request (its whole time less upstream calls and retry waits; for a stream, up to its first byte).",
    "histogram",
    () => m.overhead.samples("switchboard_overhead_seconds"),
  );
  scraped(registry, "switchboard_tokens_total", "Tokens of every upstream attempt, as recorded in the usage ledger (input: prompt; output: completion).", "counter", () => [
    { labels: { direction: "input" }, value: m.inputTokens },
    { labels: { direction: "output" }, value: m.outputTokens },
  ]);
  scraped(registry, "switchboard_cost_usd_total", "Cost of every upstream attempt in USD, as recorded in the usage ledger.", "counter", () => single(m.costMicros / 1e6));
  scraped(registry, "switchboard_cache_requests_total", "Inference requests by response cache result (x-switchboard-cache).", "counter", () =>
    CACHE_RESULTS.map((result, i) => ({ labels: { result }, value: m.cache[i] })),
  );
  scraped(registry, "switchboard_retries_total", "Upstream attempts that retried the same deployment after a retryable failure.", "counter", () => single(m.retries));
  scraped(registry, "switchboard_fallbacks_total", "Upstream attempts sent to another deployment than the request's previous attempt (its fallbacks).", "counter", () => single(m.fallbacks));
  scraped(registry, "switchboard_rate_limited_total", "Requests refused by the gateway's own rate limits (429 rate_limit_exceeded not from an upstream).", "counter", () => single(m.rateLimited));
}

/**
 * deploy/grafana/switchboard.json: valid JSON, every panel with at least one query, and every
 * metric name in a query exported by a gateway (one with Redis, which adds switchboard_redis_degraded).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { redisTestServer } from "../support/redis.js";
import { scrape } from "./prometheus.js";

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL("../../deploy/grafana/switchboard.json", import.meta.url), "utf8")) as { uid: string; panels: Panel[] };
const queries = dashboard.panels.filter((p) => p.type !== "row");

/** Metric names in a PromQL expression, histogram sample suffixes taken off. */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bswitchboard_[a-z_]+\b/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""));
}

describe("Grafana dashboard", () => {
  let gw: TestGateway;
  let exported: Set<string>;
  beforeAll(async () => {
    const redis = await redisTestServer();
    gw = await startTestGateway(redis ? { redis_url: redis } : {});
    exported = new Set((await scrape(gw.url)).map((f) => f.name));
    if (!redis) exported.add("switchboard_redis_degraded"); // only exported with Redis configured
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("has panels, each with a query", () => {
    expect(dashboard.uid).toBe("switchboard");
    expect(queries.length).toBeGreaterThan(10);
    for (const p of queries) expect(p.targets?.length, p.title).toBeGreaterThan(0);
  });

  it("queries only series the gateway exports", () => {
    const used = new Set(queries.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exported.has(name), name).toBe(true);
  });

  it("shows every request series", () => {
    const used = new Set(queries.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))));
    for (const name of [
      "switchboard_requests_total",
      "switchboard_request_duration_seconds",
      "switchboard_time_to_first_token_seconds",
      "switchboard_overhead_seconds",
      "switchboard_tokens_total",
      "switchboard_cost_usd_total",
      "switchboard_cache_requests_total",
      "switchboard_retries_total",
      "switchboard_fallbacks_total",
      "switchboard_circuit_state",
      "switchboard_rate_limited_total",
      "switchboard_budget_remaining_usd",
      "switchboard_ledger_queue_depth",
      "switchboard_ledger_dropped_total",
      "switchboard_redis_degraded",
    ])
      expect(used.has(name), name).toBe(true);
  });
});

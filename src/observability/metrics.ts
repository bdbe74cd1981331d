/**
 * Prometheus metrics at GET /metrics (names start with `switchboard_`). The usage ledger's
 * counters are read when scraped, so nothing on the hot path touches the registry for them.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { UsageLedgerStats } from "../usage/durable.js";

export interface Metrics {
  registry: Registry;
}

export function createMetrics(ledger: { stats: UsageLedgerStats }, opts: { redisDegraded?: () => boolean } = {}): Metrics {
  const registry = new Registry();
  const fromStats = (name: string, help: string, read: (s: UsageLedgerStats) => number, kind: "counter" | "gauge") => {
    const collect = function (this: Counter | Gauge) {
      const v = read(ledger.stats);
      if (this instanceof Counter) {
        this.reset();
        this.inc(v);
      } else this.set(v);
    };
    if (kind === "counter") new Counter({ name, help, registers: [registry], collect });
    else new Gauge({ name, help, registers: [registry], collect });
  };
  fromStats("switchboard_usage_records_written_total", "Usage ledger rows inserted into the database.", (s) => s.written, "counter");
  fromStats("switchboard_usage_records_dropped_total", "Usage ledger rows lost (no room in memory and the spool write failed, or rejected by the database).", (s) => s.dropped, "counter");
  fromStats("switchboard_usage_flush_failures_total", "Failed attempts to write a batch of usage rows (rows are kept and retried).", (s) => s.failedFlushes, "counter");
  fromStats("switchboard_usage_spool_failures_total", "Usage rows the local spool could not write to disk.", (s) => s.spoolFailures, "counter");
  fromStats("switchboard_usage_records_replayed_total", "Usage rows replayed from a previous run's spool.", (s) => s.replayed, "counter");
  fromStats("switchboard_usage_queue_depth", "Usage rows waiting to be written to the database (in memory).", (s) => s.queued, "gauge");
  fromStats("switchboard_usage_spooled_rows", "Usage rows held only in the local spool, waiting for the database.", (s) => s.spooledRows, "gauge");
  const degraded = opts.redisDegraded;
  if (degraded) {
    new Gauge({
      name: "switchboard_redis_degraded",
      help: "1 while Redis does not answer and rate limits follow limits.redis_failure (counted in this process, or refused); 0 otherwise.",
      registers: [registry],
      collect(this: Gauge) {
        this.set(degraded() ? 1 : 0);
      },
    });
  }
  return { registry };
}

/**
 * Open-loop load at a fixed request rate (wrk has no rate option), with per-request latency and
 * time to first body byte measured by process.hrtime.bigint() (microsecond resolution).
 *
 * Latency is measured from the moment a request is handed to undici, not from its scheduled
 * time: Node timers are millisecond-grained, so scheduling jitter would otherwise swamp the
 * sub-millisecond differences this benchmark is about. How far sends lag their schedule is
 * reported separately (`lagUs`) so a generator that falls behind is visible.
 *
 * As a child process: `node dist/bench/fixed-rate.js` reads a FixedRateSpec as JSON on stdin,
 * prints {"phase":"measure"} when the warm-up ends, then one line {"result": FixedRateResult}.
 */
import { Pool } from "undici";
import { isMain, percentiles, type Percentiles } from "./util.js";

export interface FixedRateSpec {
  /** Full URL, e.g. http://127.0.0.1:8000/v1/chat/completions */
  url: string;
  rate: number;
  durationSec: number;
  warmupSec?: number;
  body: string;
  headers: Record<string, string>;
  connections?: number;
  /** Requests in flight above this are not sent (counted as dropped). */
  maxInFlight?: number;
  /** "spin" re-checks the schedule on every event-loop turn (even spacing, one busy core); "timer" uses 1 ms timers (bursty). */
  pacing?: "spin" | "timer";
}

export interface FixedRateResult {
  rate: number;
  durationSec: number;
  sent: number;
  completed: number;
  errors: number;
  non2xx: number;
  dropped: number;
  achievedRate: number;
  /** Request start → last body byte. */
  latencyUs: Percentiles;
  /** Request start → first body byte. */
  ttfbUs: Percentiles;
  /** Actual send time − scheduled send time. */
  lagUs: Percentiles;
}

const now = () => process.hrtime.bigint();

interface Phase {
  latency: Float64Array;
  ttfb: Float64Array;
  lag: Float64Array;
  sent: number;
  completed: number;
  errors: number;
  non2xx: number;
  dropped: number;
}

async function runPhase(pool: Pool, spec: FixedRateSpec, path: string, seconds: number): Promise<Phase> {
  const total = Math.max(1, Math.round(spec.rate * seconds));
  const p: Phase = {
    latency: new Float64Array(total),
    ttfb: new Float64Array(total),
    lag: new Float64Array(total),
    sent: 0,
    completed: 0,
    errors: 0,
    non2xx: 0,
    dropped: 0,
  };
  const maxInFlight = spec.maxInFlight ?? 2000;
  const intervalNs = 1e9 / spec.rate;
  const body = Buffer.from(spec.body);
  const headers = { "content-type": "application/json", ...spec.headers };
  let inFlight = 0;
  let scheduled = 0;
  let settled = 0;

  return new Promise<Phase>((resolve) => {
    const finish = () => {
      if (scheduled === total && settled === scheduled) resolve(p);
    };
    const fire = (startNs: bigint) => {
      p.sent++;
      inFlight++;
      let first = 0n;
      const done = (ok: boolean) => {
        inFlight--;
        settled++;
        if (ok) {
          const end = now();
          p.latency[p.completed] = Number(end - startNs) / 1000;
          p.ttfb[p.completed] = Number((first || end) - startNs) / 1000;
          p.completed++;
        } else p.errors++;
        finish();
      };
      pool
        .request({ method: "POST", path, headers, body })
        .then((res) => {
          if (res.statusCode < 200 || res.statusCode > 299) p.non2xx++;
          res.body.on("data", () => {
            if (first === 0n) first = now();
          });
          res.body.on("end", () => done(true));
          res.body.on("error", () => done(false));
        })
        .catch(() => done(false));
    };
    const t0 = now();
    const tick = () => {
      const t = now();
      const due = Math.min(total, Math.floor(Number(t - t0) / intervalNs) + 1);
      while (scheduled < due) {
        p.lag[scheduled] = (Number(t - t0) - scheduled * intervalNs) / 1000;
        scheduled++;
        if (inFlight >= maxInFlight) {
          p.dropped++;
          settled++;
        } else fire(now());
      }
      if (scheduled < total) {
        if (spec.pacing === "timer") setTimeout(tick, 0);
        else setImmediate(tick);
      } else finish();
    };
    tick();
  });
}

export async function runFixedRate(spec: FixedRateSpec, onMeasureStart?: () => void): Promise<FixedRateResult> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: spec.connections ?? 64, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    if (spec.warmupSec) await runPhase(pool, spec, url.pathname + url.search, spec.warmupSec);
    onMeasureStart?.();
    const started = now();
    const p = await runPhase(pool, spec, url.pathname + url.search, spec.durationSec);
    const elapsedSec = Number(now() - started) / 1e9;
    return {
      rate: spec.rate,
      durationSec: spec.durationSec,
      sent: p.sent,
      completed: p.completed,
      errors: p.errors,
      non2xx: p.non2xx,
      dropped: p.dropped,
      achievedRate: p.completed / elapsedSec,
      latencyUs: percentiles(p.latency, p.completed),
      ttfbUs: percentiles(p.ttfb, p.completed),
      lagUs: percentiles(p.lag, p.sent + p.dropped),
    };
  } finally {
    await pool.destroy();
  }
}

if (isMain(import.meta.url)) {
  let input = "";
  process.stdin.setEncoding("utf8");
  for await (const c of process.stdin) input += c;
  const spec = JSON.parse(input) as FixedRateSpec;
  const result = await runFixedRate(spec, () => process.stdout.write(`${JSON.stringify({ phase: "measure" })}\n`));
  process.stdout.write(`${JSON.stringify({ result })}\n`);
}

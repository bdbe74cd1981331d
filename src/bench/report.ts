/** Results of the benchmark, the performance targets and the printed table. */

/**
 * "gateway-redis": the same gateway with its limits and budgets counted in Redis (`--redis-url`);
 * "messages": the gateway's `/v1/messages` (Anthropic's Messages API translated to the same
 * upstream chat call), on the same gateway process as "gateway".
 */
export type Target = "direct" | "passthrough" | "gateway" | "gateway-redis" | "messages";
export type Mode = "non-stream" | "stream";
export type Kind = "saturation" | "fixed-rate";

export interface ScenarioResult {
  kind: Kind;
  mode: Mode;
  target: Target;
  /** Completed requests per second (2xx and not). */
  reqPerSec: number;
  requests: number;
  /** Transport errors, timeouts and non-2xx answers. */
  errors: number;
  /** Whole response: request sent → last byte. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Request sent → first body byte (fixed-rate runs only). */
  ttfbP50Ms?: number;
  ttfbP99Ms?: number;
  /** This target minus "direct" in the same kind and mode (fixed-rate runs only). */
  addedP50Ms?: number;
  addedP99Ms?: number;
  addedTtfbP50Ms?: number;
  addedTtfbP99Ms?: number;
  /** CPU time of the target's process (the upstream for "direct") per completed request. */
  cpuMsPerReq: number | null;
  /** VmHWM of the target's process at the end of the run (peak since it started). */
  peakRssMb: number | null;
  /** Share of the target's CPU (0) taken by other processes during the run, in percent: noise. */
  otherCpuPct?: number;
  /** Fixed-rate runs: p99 of how late requests were sent, and requests not sent (too many in flight). */
  sendLagP99Ms?: number;
  dropped?: number;
}

export interface TargetCheck {
  name: string;
  goal: string;
  measured: number | null;
  unit: string;
  /** null when not measured or not applicable (e.g. RSS target is for PostgreSQL). */
  pass: boolean | null;
  note?: string;
}

export interface BenchReport {
  settings: {
    durationSec: number;
    warmupSec: number;
    threads: number;
    connections: number;
    rate: number;
    /** The gateway's `server.http_engine` (absent in reports from before the setting). */
    httpEngine?: "fast" | "node";
    /** The gateway's `metrics.enabled` (absent in reports from before the setting). */
    metrics?: boolean;
    /** The gateway's `upstream.transport` (absent in reports from before the setting). */
    transport?: "fast" | "undici";
    pinned: boolean;
    store: "postgres" | "embedded";
    auth: "virtual key" | "master key";
    /**
     * Where the key's rate limits and budget are counted: in the gateway's process, in the
     * gateway's process and, for the "gateway-redis" target measured beside it, in Redis
     * (`--redis-url`), or none (master key). Absent in reports from before the setting.
     */
    limits?: "in process" | "redis" | "none";
    /** The Redis of `limits: "redis"`, without its password. */
    redisUrl?: string;
    /** 1-minute load average when the benchmark started (anything else running skews the numbers). */
    loadAvgAtStart: number;
  };
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  notes: string[];
}

const find = (s: ScenarioResult[], kind: Kind, mode: Mode, target: Target) => s.find((r) => r.kind === kind && r.mode === mode && r.target === target);

/** Fills the added-latency fields (target − direct) of fixed-rate results. */
export function addDeltas(scenarios: ScenarioResult[]): void {
  for (const r of scenarios) {
    const base = find(scenarios, r.kind, r.mode, "direct");
    if (r.kind !== "fixed-rate" || r.target === "direct" || !base) continue;
    r.addedP50Ms = r.p50Ms - base.p50Ms;
    r.addedP99Ms = r.p99Ms - base.p99Ms;
    if (r.ttfbP50Ms !== undefined && base.ttfbP50Ms !== undefined) r.addedTtfbP50Ms = r.ttfbP50Ms - base.ttfbP50Ms;
    if (r.ttfbP99Ms !== undefined && base.ttfbP99Ms !== undefined) r.addedTtfbP99Ms = r.ttfbP99Ms - base.ttfbP99Ms;
  }
}

export function checkTargets(scenarios: ScenarioResult[], postgres: boolean, rate: number): TargetCheck[] {
  const gw = (kind: Kind, mode: Mode) => find(scenarios, kind, mode, "gateway");
  const atLeast = (v: number | undefined | null, goal: number) => (v == null ? null : v >= goal);
  const atMost = (v: number | undefined | null, goal: number) => (v == null || Number.isNaN(v) ? null : v <= goal);
  const rssValues = scenarios.filter((r) => r.target === "gateway" && r.peakRssMb != null).map((r) => r.peakRssMb!);
  const rss = rssValues.length ? Math.max(...rssValues) : null;
  const satRun = gw("saturation", "non-stream");
  const satStreamRun = gw("saturation", "stream");
  const rateRun = gw("fixed-rate", "non-stream");
  const rateStreamRun = gw("fixed-rate", "stream");
  // CPU per request is judged at saturation, where the core is busy with requests only (the
  // 8,000 req/s target on one core is 0.125 ms each). At a fixed rate the core also goes idle
  // and wakes up for every request, which costs even a bare pass-through more than at saturation;
  // that figure is reported beside it (docs/performance.md, "CPU per request").
  const cpu = satRun?.cpuMsPerReq ?? null;
  const ptAtRate = find(scenarios, "fixed-rate", "non-stream", "passthrough")?.cpuMsPerReq;
  const cpuNote = rateRun?.cpuMsPerReq == null ? undefined : `at ${rate} req/s: ${rateRun.cpuMsPerReq.toFixed(3)} ms` + (ptAtRate == null ? "" : `, pass-through ${ptAtRate.toFixed(3)} ms`);
  const sat = satRun?.reqPerSec;
  const satStream = satStreamRun?.reqPerSec;
  const added = rateRun?.addedP50Ms;
  const addedTtfb = rateStreamRun?.addedTtfbP50Ms;
  return [
    ...redisChecks(scenarios, rate),
    ...messagesChecks(scenarios, rate),
    clean({ name: "non-stream req/s at saturation", goal: "≥ 8000", measured: sat ?? null, unit: "req/s", pass: atLeast(sat, 8000) }, satRun),
    clean({ name: "stream req/s at saturation", goal: "≥ 5000", measured: satStream ?? null, unit: "req/s", pass: atLeast(satStream, 5000) }, satStreamRun),
    clean({ name: `added p50 latency at ${rate} req/s`, goal: "≤ 0.4", measured: added ?? null, unit: "ms", pass: atMost(added, 0.4) }, rateRun),
    clean({ name: `added p50 time to first streamed byte at ${rate} req/s`, goal: "≤ 0.5", measured: addedTtfb ?? null, unit: "ms", pass: atMost(addedTtfb, 0.5) }, rateStreamRun),
    clean({ name: "gateway CPU per request (non-stream, saturation)", goal: "≤ 0.12", measured: cpu, unit: "ms", pass: atMost(cpu, 0.12), note: cpuNote }, satRun),
    {
      name: "gateway peak RSS on PostgreSQL",
      goal: "≤ 150",
      measured: rss,
      unit: "MB",
      pass: postgres ? atMost(rss, 150) : null,
      note: postgres ? undefined : "embedded store measured: the gateway's peak RSS plus its PostgreSQL server's PSS; the target applies to the gateway on PostgreSQL (--database-url)",
    },
  ];
}

/**
 * With `--redis-url`: the gateway counting in Redis against the same gateway counting in its
 * process, measured in the same run (≥ 80 % of its non-stream throughput at saturation), and its
 * added latency at the fixed rate (≤ 0.5 ms at p50).
 */
function redisChecks(scenarios: ScenarioResult[], rate: number): TargetCheck[] {
  const redisSat = find(scenarios, "saturation", "non-stream", "gateway-redis");
  const redisRate = find(scenarios, "fixed-rate", "non-stream", "gateway-redis");
  if (!redisSat && !redisRate) return [];
  const local = find(scenarios, "saturation", "non-stream", "gateway");
  const share = redisSat && local && local.reqPerSec > 0 ? (100 * redisSat.reqPerSec) / local.reqPerSec : undefined;
  const added = redisRate?.addedP50Ms;
  return [
    clean(clean({ name: "Redis: non-stream req/s at saturation, of in process", goal: "≥ 80", measured: share ?? null, unit: "%", pass: share === undefined ? null : share >= 80 }, redisSat), local),
    clean({ name: `Redis: added p50 latency at ${rate} req/s`, goal: "≤ 0.5", measured: added ?? null, unit: "ms", pass: added === undefined || Number.isNaN(added) ? null : added <= 0.5 }, redisRate),
  ];
}

/**
 * When `/v1/messages` is measured: what it adds beside what chat completions add, on the same
 * gateway in the same run. Its CPU per request at saturation may exceed chat's by 10 % at most,
 * and its added p50 at the fixed rate by 0.05 ms at most (the translation of the request and the
 * answer is the only extra work).
 */
function messagesChecks(scenarios: ScenarioResult[], rate: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const mode of ["non-stream", "stream"] as Mode[]) {
    const mSat = find(scenarios, "saturation", mode, "messages");
    const cSat = find(scenarios, "saturation", mode, "gateway");
    if (mSat && cSat && mSat.cpuMsPerReq != null && cSat.cpuMsPerReq != null && cSat.cpuMsPerReq > 0) {
      const ratio = (100 * mSat.cpuMsPerReq) / cSat.cpuMsPerReq;
      checks.push(clean(clean({ name: `/v1/messages: ${mode} CPU per request, of chat completions`, goal: "≤ 110", measured: ratio, unit: "%", pass: ratio <= 110 }, mSat), cSat));
    }
    const mRate = find(scenarios, "fixed-rate", mode, "messages");
    const cRate = find(scenarios, "fixed-rate", mode, "gateway");
    const m = mode === "stream" ? mRate?.addedTtfbP50Ms : mRate?.addedP50Ms;
    const c = mode === "stream" ? cRate?.addedTtfbP50Ms : cRate?.addedP50Ms;
    if (mRate && cRate && m !== undefined && c !== undefined) {
      const more = m - c;
      const what = mode === "stream" ? "time to first byte" : "latency";
      // A run that could not keep the rate measured its queue, not the translation.
      const overloaded = Math.min(mRate.reqPerSec, cRate.reqPerSec) < 0.95 * rate;
      const check = { name: `/v1/messages: added p50 ${what} at ${rate} req/s, over chat's`, goal: "≤ 0.05", measured: more, unit: "ms", pass: more <= 0.05 };
      checks.push(clean(clean(overloaded ? { ...check, pass: null, note: `not judged: a run could not sustain ${rate} req/s` } : check, mRate), cRate));
    }
  }
  return checks;
}

/** A run that had errors or non-2xx answers measured something else than the target: not a pass. */
function clean(check: TargetCheck, run: ScenarioResult | undefined): TargetCheck {
  if (!run || run.errors === 0 || check.pass === null) return check;
  const why = `${run.errors} errors or non-2xx answers in the run`;
  return { ...check, pass: false, note: check.note ? `${why}; ${check.note}` : why };
}

const fmt = (v: number | null | undefined, digits = 2, signed = false) => (v == null || Number.isNaN(v) ? "–" : `${signed && v >= 0 ? "+" : ""}${v.toFixed(digits)}`);
const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s);

/** What the measured requests go through, as the report's header says it. */
function authText(auth: BenchReport["settings"]["auth"]): string {
  return auth === "virtual key" ? "virtual key with a budget and rate limits (too high to refuse a request)" : "master key (no budget)";
}

/** Where the rate-limit check runs, as the report's header says it. */
function limitsText(s: BenchReport["settings"]): string {
  if (s.limits === "redis") return `in process ("gateway") and in Redis ("gateway-redis", ${s.redisUrl ?? "URL not recorded"})`;
  return s.limits === "none" ? "none (master key)" : "in process";
}

export function formatReport(r: BenchReport): string {
  const s = r.settings;
  const out: string[] = [];
  out.push(
    `Switchboard benchmark — ${s.durationSec} s per run after ${s.warmupSec} s warm-up; saturation: wrk -t${s.threads} -c${s.connections}; ` +
      `fixed rate: ${s.rate} req/s; store: ${s.store}; auth: ${authText(s.auth)}; ` +
      (s.limits ? `limits: ${limitsText(s)}; ` : "") +
      (s.httpEngine ? `HTTP engine: ${s.httpEngine}; ` : "") +
      (s.metrics !== undefined ? `metrics: ${s.metrics ? "on" : "off"}; ` : "") +
      (s.transport ? `upstream transport: ${s.transport}; ` : "") +
      (s.pinned ? "gateway/passthrough on CPU 0, upstream and load on CPU 1" : "no CPU pinning"),
    "",
  );
  const cols = ["scenario", "req/s", "p50 ms", "p99 ms", "added p50", "added p99", "CPU ms/req", "peak RSS MB", "errors", "CPU0 noise"];
  const widths = [42, 9, 8, 8, 10, 10, 11, 12, 7, 10];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(" ");
  out.push(line(cols), widths.map((w) => "-".repeat(w)).join(" "));
  for (const x of r.scenarios) {
    const label = x.kind === "saturation" ? `${x.mode} saturation` : `${x.mode} @${s.rate}/s`;
    out.push(
      line([
        `${label} · ${x.target}`,
        fmt(x.reqPerSec, 0),
        fmt(x.p50Ms, 3),
        fmt(x.p99Ms, 3),
        fmt(x.addedP50Ms, 3, true),
        fmt(x.addedP99Ms, 3, true),
        fmt(x.cpuMsPerReq, 3),
        fmt(x.peakRssMb, 1),
        String(x.errors),
        x.otherCpuPct === undefined ? "" : `${x.otherCpuPct.toFixed(0)}%`,
      ]),
    );
    if (x.kind === "fixed-rate" && x.mode === "stream" && x.ttfbP50Ms !== undefined) {
      out.push(line([`  time to first byte · ${x.target}`, "", fmt(x.ttfbP50Ms, 3), fmt(x.ttfbP99Ms, 3), fmt(x.addedTtfbP50Ms, 3, true), fmt(x.addedTtfbP99Ms, 3, true), "", "", "", ""]));
    }
  }
  const against = [r.scenarios.some((x) => x.target === "gateway-redis") ? "gateway-redis" : "", r.scenarios.some((x) => x.target === "messages") ? "messages" : ""].filter(Boolean);
  out.push("", `Targets (gateway${against.length ? `; ${against.join(" and ")} against gateway` : ""})`);
  for (const t of r.targets) {
    const mark = t.pass === null ? "n/a " : t.pass ? "PASS" : "FAIL";
    const digits = t.unit === "req/s" || t.unit === "%" ? 0 : t.unit === "MB" ? 1 : 3;
    out.push(`  ${mark}  ${pad(t.name, 52)} goal ${pad(`${t.goal} ${t.unit}`, 14)} measured ${fmt(t.measured, digits)} ${t.unit}${t.note ? `  (${t.note})` : ""}`);
  }
  if (r.notes.length) out.push("", ...r.notes.map((n) => `note: ${n}`));
  return `${out.join("\n")}\n`;
}

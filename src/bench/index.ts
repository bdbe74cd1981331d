/**
 * `switchboard bench`: the overhead benchmark (docs/performance.md).
 *
 * A fast fake upstream (CPU 1), a bare pass-through proxy and the gateway (CPU 0) run as child
 * processes; wrk (CPU 1) saturates each of direct / passthrough / gateway, and a Node load
 * generator (CPU 1) drives them at a fixed rate to measure p50/p99 latency and time to first
 * streamed byte. The gateway's CPU time per request and peak RSS come from /proc.
 * Every child is killed at the end, on error and on SIGINT/SIGTERM; all traffic is 127.0.0.1.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readEnv, type EnvInput } from "../config/env.js";
import type { FixedRateResult, FixedRateSpec } from "./fixed-rate.js";
import { createVirtualKey, startGateway } from "./gateway.js";
import { cpuBusyMs, cpuTimeMs, embeddedServerPssMb, peakRssMb, pinProcess, ProcessGroup, unpinEmbeddedServer, waitForJsonLine } from "./procs.js";
import { addDeltas, checkTargets, formatReport, type BenchReport, type Kind, type Mode, type ScenarioResult, type Target } from "./report.js";
import { checkRedis, displayRedisUrl, expectCountsInRedis, expectNoCountsInRedis, gatewayRedisState, redisProcessId } from "./redis.js";
import { requestBody, sanityCheck, targetHeaders, targetPath } from "./requests.js";
import { ensureWrk, runWrk, writeWrkScript } from "./wrk.js";

export type { BenchReport, ScenarioResult, TargetCheck } from "./report.js";
export { formatReport } from "./report.js";

export interface BenchOptions {
  /** Seconds per measured run (default 10). */
  duration?: number;
  /** Seconds of warm-up before each measured run (default 3). */
  warmup?: number;
  /** wrk threads and connections for saturation runs (default 1 and 32). */
  threads?: number;
  connections?: number;
  /** Fixed request rate of the latency runs (default 3000 req/s). */
  rate?: number;
  /** Print the report as JSON instead of a table. */
  json?: boolean;
  /** PostgreSQL for the gateway (default: DATABASE_URL from the environment, else the embedded store). */
  databaseUrl?: string;
  /**
   * Redis for a second gateway ("gateway-redis", `redis_url`) measured beside the first: its
   * key's limits and budget are counted in Redis, the first gateway's in its process, so the
   * two are compared in the same run. Default: none (REDIS_URL from the environment is not
   * passed on). Needs the virtual key and the gateway target.
   */
  redisUrl?: string;
  /** The gateway's CLI entry (default: dist/cli/main.js of this package). */
  gatewayEntry?: string;
  targets?: Target[];
  modes?: Mode[];
  kinds?: Kind[];
  /** Pin processes to CPUs with taskset (default true when there are ≥ 2 CPUs). */
  pin?: boolean;
  /** The gateway's `server.http_engine` (default `fast`). */
  httpEngine?: "fast" | "node";
  /** The gateway's `metrics.enabled` (default true, as shipped). */
  metrics?: boolean;
  /** The gateway's `upstream.transport` (default `fast`). */
  transport?: "fast" | "undici";
  /**
   * Create a virtual key with a budget through the management API (default true; falls back to
   * the master key). The key also carries rate limits, too high to refuse a request.
   */
  virtualKey?: boolean;
  /** The environment (default: the process environment, read through config/env). */
  env?: EnvInput;
  /** Where the report goes (default stdout) and progress lines (default stderr). */
  out?: (text: string) => void;
  log?: (line: string) => void;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const o = {
    durationSec: opts.duration ?? 10,
    warmupSec: opts.warmup ?? 3,
    threads: opts.threads ?? 1,
    connections: opts.connections ?? 32,
    rate: opts.rate ?? 3000,
    httpEngine: opts.httpEngine ?? "fast",
    metrics: opts.metrics ?? true,
    transport: opts.transport ?? "fast",
    targets: opts.targets ?? (["direct", "passthrough", "gateway", "messages"] as Target[]),
    modes: opts.modes ?? (["non-stream", "stream"] as Mode[]),
    kinds: opts.kinds ?? (["saturation", "fixed-rate"] as Kind[]),
  };
  const out = opts.out ?? ((t: string) => void process.stdout.write(t));
  const log = opts.log ?? ((l: string) => void process.stderr.write(`[bench] ${l}\n`));
  const snapshot = readEnv(opts.env);
  const baseEnv: Record<string, string> = {};
  for (const name of snapshot.names()) {
    const v = snapshot.get(name);
    if (v !== undefined && !/^(SWITCHBOARD_|DATABASE_URL$|REDIS_URL$)/.test(name)) baseEnv[name] = v;
  }
  const databaseUrl = opts.databaseUrl ?? snapshot.nonEmpty("DATABASE_URL");
  const redisUrl = opts.redisUrl;
  if (redisUrl !== undefined) {
    // Refused before anything starts: a Redis mode that cannot count in Redis measures nothing.
    if (opts.virtualKey === false) throw new Error("--redis-url measures the rate-limit check, which runs on the virtual key: drop --master-key");
    if (!o.targets.includes("gateway")) throw new Error("--redis-url applies to the gateway, which --targets leaves out");
    await checkRedis(redisUrl);
  }
  const gatewayEntry = opts.gatewayEntry ?? here("../cli/main.js");
  const notes: string[] = [];
  const group = new ProcessGroup(opts.pin ?? true);
  const tmp = mkdtempSync(join(tmpdir(), "switchboard-bench-"));
  const masterKey = `sk-bench-${randomBytes(18).toString("base64url")}`;

  const onSignal = (sig: NodeJS.Signals) => {
    group.killAllNow();
    restoreRedis?.();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  let restoreRedis: (() => void) | undefined;
  const onExit = () => {
    group.killAllNow();
    restoreRedis?.();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", onExit);

  try {
    const load = loadavg()[0];
    if (load > 1) notes.push(`load average was ${load.toFixed(1)} at the start: other processes compete for the CPUs, numbers are noisy`);
    if (!group.pinning && (opts.pin ?? true)) notes.push("CPU pinning unavailable (taskset missing or fewer than 2 CPUs): numbers are noisier");
    if (!databaseUrl && o.targets.includes("gateway")) {
      notes.push(
        "embedded store: the gateway's own PostgreSQL server runs beside it (its processes' PSS is added to the gateway's peak memory) " +
          "and runs on any CPU (not pinned with the gateway), as a PostgreSQL server elsewhere does; its CPU time is not in the gateway's per-request figure: measure a server elsewhere with --database-url (docs/performance.md)",
      );
    }
    // A Redis on this machine is pinned to CPU 1 (with the upstream and the load) for the
    // saturation runs: there CPU 0 has no idle time, and a Redis the kernel wakes on it takes the
    // gateway's time. For the fixed-rate runs both CPUs have idle time and Redis runs where it
    // can start soonest: pinned beside the load generator it would wait for that CPU instead.
    const localRedisPid = redisUrl !== undefined && /^rediss?:\/\/(127\.|localhost|\[::1\])/.test(redisUrl) && group.pinning ? await redisProcessId(redisUrl) : undefined;
    if (redisUrl !== undefined && /^rediss?:\/\/(127\.|localhost|\[::1\])/.test(redisUrl)) {
      notes.push(
        localRedisPid !== undefined && o.kinds.includes("saturation")
          ? `Redis runs on this machine: its server (pid ${localRedisPid}) was pinned to CPU 1 with the upstream and the load for the saturation runs and given its CPUs back after (on any CPU for the fixed-rate runs); its CPU time is not in the gateway's per-request figure`
          : "Redis runs on this machine, on any CPU: it competes with the gateway for CPU 0, and its CPU time is not in the gateway's per-request figure",
      );
    }
    // `messages` is the gateway's /v1/messages: it is measured on the gateway's process.
    if (o.targets.includes("messages") && !o.targets.includes("gateway")) throw new Error("--targets messages measures the gateway's /v1/messages: add gateway");
    if (o.kinds.includes("saturation")) await ensureWrk(group, baseEnv, log);
    let targets = [...o.targets];
    if (targets.includes("gateway") && !existsSync(gatewayEntry)) {
      notes.push(`gateway not measured: ${gatewayEntry} does not exist (run npm run build)`);
      targets = targets.filter((t) => t !== "gateway" && t !== "messages");
    }

    // --- processes
    const pids: Partial<Record<Target, number>> = {};
    const ports: Partial<Record<Target, number>> = {};
    log("starting the fake upstream");
    const upstream = group.spawn(process.execPath, [here("./upstream.js")], { env: baseEnv, cpu: 1 });
    ports.direct = (await waitForJsonLine<{ port: number }>(upstream, (v) => v.ready === true, 15_000, "upstream")).port;
    pids.direct = upstream.pid;
    const upstreamOrigin = `http://127.0.0.1:${ports.direct}`;
    if (targets.includes("passthrough")) {
      log("starting the pass-through proxy");
      const pt = group.spawn(process.execPath, [here("./passthrough.js"), "--upstream", upstreamOrigin], { env: baseEnv, cpu: 0 });
      ports.passthrough = (await waitForJsonLine<{ port: number }>(pt, (v) => v.ready === true, 15_000, "passthrough")).port;
      pids.passthrough = pt.pid;
    }
    let auth: BenchReport["settings"]["auth"] = "master key";
    const headers: Partial<Record<Target, Record<string, string>>> = {};
    let keyId: string | undefined;
    if (targets.includes("gateway")) {
      // With --redis-url a second gateway, the same but counting in Redis, is measured beside the first.
      const gateways: Array<[Target, string | undefined]> = [["gateway", undefined], ...(redisUrl !== undefined ? [["gateway-redis", redisUrl] as [Target, string]] : [])];
      for (const [target, redis] of gateways) {
        const gw = await startGateway(group, {
          tmp,
          name: target,
          gatewayEntry,
          upstreamOrigin,
          masterKey,
          databaseUrl,
          redisUrl: redis,
          baseEnv,
          log,
          httpEngine: o.httpEngine,
          metrics: o.metrics,
          transport: o.transport,
        });
        ports[target] = gw.port;
        pids[target] = gw.child.pid;
        if (group.pinning && !databaseUrl) unpinEmbeddedServer(gw.child.pid);
        headers[target] = { authorization: `Bearer ${masterKey}` };
        if (opts.virtualKey ?? true) {
          // Each gateway creates its own key: it knows that key's budget from the start.
          const vk = await createVirtualKey(gw.port, masterKey);
          if ("error" in vk) {
            if (redis !== undefined) throw new Error(`--redis-url: the virtual key, whose limits are checked in Redis, could not be created: ${vk.error}`);
            notes.push(`gateway measured with the master key: ${vk.error}`);
          } else {
            headers[target] = { authorization: `Bearer ${vk.key}` };
            auth = "virtual key";
            if (redis !== undefined) keyId = vk.id;
          }
        }
      }
      if (redisUrl !== undefined) targets.splice(targets.indexOf("gateway") + 1, 0, "gateway-redis");
      ports.messages = ports.gateway;
      pids.messages = pids.gateway;
      headers.messages = headers.gateway;
    }

    // --- Redis mode: the key is new, so Redis holds no counts of it from an earlier run
    if (redisUrl !== undefined && keyId !== undefined) await expectNoCountsInRedis(redisUrl, keyId);

    // --- sanity: one request per target and mode, so a broken target is reported instead of benchmarked
    for (const t of [...targets]) {
      for (const mode of o.modes) {
        const problem = await sanityCheck(ports[t]!, t, mode, headers[t] ?? {});
        if (problem) {
          notes.push(`${t} not measured: ${mode} sanity request failed: ${problem}`);
          targets = targets.filter((x) => x !== t);
          break;
        }
      }
    }

    // --- Redis mode: the sanity requests were counted in Redis, under the key's id
    if (redisUrl !== undefined && keyId !== undefined && targets.includes("gateway-redis")) await expectCountsInRedis(redisUrl, keyId);

    // --- runs
    const scenarios: ScenarioResult[] = [];
    for (const kind of o.kinds) {
      restoreRedis?.();
      restoreRedis = kind === "saturation" && localRedisPid !== undefined ? pinProcess(localRedisPid, 1) : undefined;
      for (const mode of o.modes) {
        for (const target of targets) {
          const body = requestBody(target, mode);
          const url = `http://127.0.0.1:${ports[target]}${targetPath(target)}`;
          log(`${kind} · ${mode} · ${target}: ${o.warmupSec} s warm-up + ${o.durationSec} s`);
          const pid = pids[target];
          const core = target !== "direct" && group.pinning ? 0 : undefined;
          const h = { ...headers[target], ...targetHeaders(target) };
          const r =
            kind === "saturation" ? await saturation(group, { url, core, body, headers: h, tmp, pid, baseEnv, ...o }) : await fixedRate(group, { url, core, body, headers: h, pid, baseEnv, ...o });
          // On the embedded store the gateway's figure includes its PostgreSQL server (PSS, sampled at the end of the run).
          const serverMb = (target === "gateway" || target === "gateway-redis" || target === "messages") && !databaseUrl ? embeddedServerPssMb(pid) : 0;
          scenarios.push({ kind, mode, target, ...r, peakRssMb: nan2null(peakRssMb(pid) + serverMb) });
        }
      }
    }
    addDeltas(scenarios);
    if (ports["gateway-redis"] !== undefined) {
      const redis = await gatewayRedisState(ports["gateway-redis"]);
      if (redis !== "connected") notes.push(`Redis did not stay connected during the runs (${redis}): requests it did not answer in time were refused with 503 and count as errors`);
    }
    const report: BenchReport = {
      settings: {
        durationSec: o.durationSec,
        warmupSec: o.warmupSec,
        threads: o.threads,
        connections: o.connections,
        rate: o.rate,
        httpEngine: o.httpEngine,
        transport: o.transport,
        metrics: o.metrics,
        pinned: group.pinning,
        store: databaseUrl ? "postgres" : "embedded",
        auth,
        limits: auth === "master key" ? "none" : redisUrl !== undefined ? "redis" : "in process",
        ...(redisUrl !== undefined ? { redisUrl: displayRedisUrl(redisUrl) } : {}),
        loadAvgAtStart: load,
      },
      scenarios,
      targets: checkTargets(scenarios, Boolean(databaseUrl), o.rate),
      notes,
    };
    for (const s of scenarios) {
      if (s.errors > 0) notes.push(`${s.kind} · ${s.mode} · ${s.target}: ${s.errors} errors or non-2xx answers`);
      if (s.kind === "fixed-rate" && s.reqPerSec < 0.95 * o.rate) {
        notes.push(`${s.mode} · ${s.target} could not sustain ${o.rate} req/s (completed ${Math.round(s.reqPerSec)}/s): its latencies show overload, not overhead`);
      }
      if ((s.otherCpuPct ?? 0) > 5) {
        notes.push(`${s.kind} · ${s.mode} · ${s.target}: other processes used ${s.otherCpuPct!.toFixed(0)}% of CPU 0 during the run`);
      }
      if (s.dropped) notes.push(`${s.kind} · ${s.mode} · ${s.target}: ${s.dropped} requests not sent (too many in flight)`);
    }
    out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", onExit);
    restoreRedis?.();
    await group.killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const nan2null = (v: number) => (Number.isNaN(v) ? null : v);

/**
 * CPU used by the measured process over a run, and — when it has a core of its own — how much
 * of that core other processes took meanwhile (anything above a few percent means noise).
 */
function cpuMeter(pid: number | undefined, core: number | undefined) {
  const t0 = performance.now();
  const p0 = cpuTimeMs(pid);
  const c0 = core === undefined ? NaN : cpuBusyMs(core);
  return {
    stop() {
      const wall = performance.now() - t0;
      const own = cpuTimeMs(pid) - p0;
      const other = core === undefined ? NaN : cpuBusyMs(core) - c0 - own;
      return { process: own, otherPct: Number.isNaN(other) ? undefined : Math.max(0, (100 * other) / wall) };
    },
  };
}

interface RunArgs {
  url: string;
  /** The CPU the measured process has to itself (passthrough, gateway), if pinned. */
  core?: number;
  body: string;
  headers: Record<string, string>;
  pid?: number;
  durationSec: number;
  warmupSec: number;
  baseEnv: Record<string, string>;
}
type RunResult = Omit<ScenarioResult, "kind" | "mode" | "target" | "peakRssMb">;

async function saturation(group: ProcessGroup, a: RunArgs & { tmp: string; threads: number; connections: number }): Promise<RunResult> {
  const script = writeWrkScript(join(a.tmp, "chat.lua"), a.body, a.headers);
  const w = { url: a.url, script, threads: a.threads, connections: a.connections, cpu: 1, env: a.baseEnv };
  if (a.warmupSec > 0) await runWrk(group, { ...w, durationSec: a.warmupSec });
  const cpu = cpuMeter(a.pid, a.core);
  const r = await runWrk(group, { ...w, durationSec: a.durationSec });
  const used = cpu.stop();
  const e = r.errors;
  return {
    reqPerSec: r.reqPerSec,
    requests: r.requests,
    errors: e.connect + e.read + e.write + e.status + e.timeout,
    p50Ms: r.latencyUs.p50 / 1000,
    p90Ms: r.latencyUs.p90 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    cpuMsPerReq: r.requests > 0 && !Number.isNaN(used.process) ? used.process / r.requests : null,
    otherCpuPct: used.otherPct,
  };
}

async function fixedRate(group: ProcessGroup, a: RunArgs & { rate: number }): Promise<RunResult> {
  const spec: FixedRateSpec = { url: a.url, rate: a.rate, durationSec: a.durationSec, warmupSec: a.warmupSec, body: a.body, headers: a.headers };
  const child = group.spawn(process.execPath, [here("./fixed-rate.js")], { env: a.baseEnv, cpu: 1, stdin: JSON.stringify(spec) });
  const limit = (a.warmupSec + a.durationSec + 30) * 1000;
  const resultP = waitForJsonLine<{ result: FixedRateResult }>(child, (v) => v.result !== undefined, limit, "fixed-rate load");
  resultP.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  await waitForJsonLine(child, (v) => v.phase === "measure", limit, "fixed-rate load");
  const cpu = cpuMeter(a.pid, a.core);
  const { result: r } = await resultP;
  const used = cpu.stop();
  return {
    reqPerSec: r.achievedRate,
    requests: r.completed,
    errors: r.errors + r.non2xx,
    p50Ms: r.latencyUs.p50 / 1000,
    p90Ms: r.latencyUs.p90 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    ttfbP50Ms: r.ttfbUs.p50 / 1000,
    ttfbP99Ms: r.ttfbUs.p99 / 1000,
    cpuMsPerReq: r.completed > 0 && !Number.isNaN(used.process) ? used.process / r.completed : null,
    otherCpuPct: used.otherPct,
    sendLagP99Ms: r.lagUs.p99 / 1000,
    dropped: r.dropped,
  };
}

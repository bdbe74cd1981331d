/** The benchmark's target checks (src/bench/report.ts): which measurement each target is judged on. */
import { describe, expect, it } from "vitest";
import { addDeltas, checkTargets, formatReport, type Kind, type Mode, type ScenarioResult, type Target } from "../../src/bench/report.js";

function run(kind: Kind, mode: Mode, target: Target, r: Partial<ScenarioResult>): ScenarioResult {
  return { kind, mode, target, reqPerSec: 0, requests: 1000, errors: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, cpuMsPerReq: null, peakRssMb: null, ...r };
}

function scenarios(over: { gatewaySatCpu?: number; gatewayRateCpu?: number; gatewaySat?: number; rss?: number } = {}): ScenarioResult[] {
  const s = [
    run("saturation", "non-stream", "direct", { reqPerSec: 50_000, cpuMsPerReq: 0.014 }),
    run("saturation", "non-stream", "gateway", { reqPerSec: over.gatewaySat ?? 9_000, cpuMsPerReq: over.gatewaySatCpu ?? 0.1, peakRssMb: 120 }),
    run("saturation", "stream", "gateway", { reqPerSec: 7_000, cpuMsPerReq: 0.13, peakRssMb: over.rss ?? 125 }),
    run("fixed-rate", "non-stream", "direct", { reqPerSec: 3000, p50Ms: 0.05, cpuMsPerReq: 0.03 }),
    run("fixed-rate", "non-stream", "passthrough", { reqPerSec: 3000, p50Ms: 0.25, cpuMsPerReq: 0.115 }),
    run("fixed-rate", "non-stream", "gateway", { reqPerSec: 3000, p50Ms: 0.3, cpuMsPerReq: over.gatewayRateCpu ?? 0.145 }),
    run("fixed-rate", "stream", "direct", { reqPerSec: 3000, p50Ms: 0.05, ttfbP50Ms: 0.05, cpuMsPerReq: 0.03 }),
    run("fixed-rate", "stream", "gateway", { reqPerSec: 3000, p50Ms: 0.4, ttfbP50Ms: 0.6, cpuMsPerReq: 0.19 }),
  ];
  addDeltas(s);
  return s;
}

const byName = (checks: ReturnType<typeof checkTargets>, prefix: string) => checks.find((c) => c.name.startsWith(prefix))!;

describe("bench target checks", () => {
  it("judges CPU per request at saturation and reports the fixed-rate figures beside it", () => {
    const cpu = byName(checkTargets(scenarios(), true, 3000), "gateway CPU per request");
    expect(cpu).toMatchObject({ measured: 0.1, pass: true, note: "at 3000 req/s: 0.145 ms, pass-through 0.115 ms" });
    expect(byName(checkTargets(scenarios({ gatewaySatCpu: 0.121 }), true, 3000), "gateway CPU").pass).toBe(false);
    // The fixed-rate figure alone does not decide it.
    expect(byName(checkTargets(scenarios({ gatewayRateCpu: 0.5 }), true, 3000), "gateway CPU").pass).toBe(true);
  });

  it("is not passed by a run that had errors or non-2xx answers", () => {
    const s = scenarios();
    s.find((r) => r.kind === "saturation" && r.mode === "non-stream" && r.target === "gateway")!.errors = 3;
    const checks = checkTargets(s, true, 3000);
    expect(byName(checks, "non-stream req/s")).toMatchObject({ measured: 9_000, pass: false, note: "3 errors or non-2xx answers in the run" });
    expect(byName(checks, "gateway CPU")).toMatchObject({ pass: false, note: "3 errors or non-2xx answers in the run; at 3000 req/s: 0.145 ms, pass-through 0.115 ms" });
    expect(byName(checks, "stream req/s").pass).toBe(true); // its own run was clean
  });

  it("is not judged without a saturation run", () => {
    const onlyRate = scenarios().filter((s) => s.kind === "fixed-rate");
    expect(byName(checkTargets(onlyRate, true, 3000), "gateway CPU")).toMatchObject({ measured: null, pass: null });
  });

  it("judges /v1/messages against chat completions on the same gateway in the same run", () => {
    const withMessages = (cpu: number, p50: number, ttfb: number) => {
      const s = scenarios().concat([
        run("saturation", "non-stream", "messages", { reqPerSec: 8_500, cpuMsPerReq: cpu }),
        run("fixed-rate", "non-stream", "messages", { reqPerSec: 3000, p50Ms: p50 }),
        run("fixed-rate", "stream", "messages", { reqPerSec: 3000, p50Ms: 0.4, ttfbP50Ms: ttfb }),
      ]);
      addDeltas(s);
      return checkTargets(s, true, 3000);
    };
    const ok = withMessages(0.105, 0.32, 0.62);
    expect(byName(ok, "/v1/messages: non-stream CPU")).toMatchObject({ pass: true });
    expect(byName(ok, "/v1/messages: non-stream CPU").measured).toBeCloseTo(105);
    expect(byName(ok, "/v1/messages: added p50 latency").measured).toBeCloseTo(0.02);
    expect(byName(ok, "/v1/messages: added p50 time to first byte").measured).toBeCloseTo(0.02);
    const slow = withMessages(0.111, 0.36, 0.66);
    expect(byName(slow, "/v1/messages: non-stream CPU").pass).toBe(false);
    expect(byName(slow, "/v1/messages: added p50 latency").pass).toBe(false);
    expect(byName(slow, "/v1/messages: added p50 time to first byte").pass).toBe(false);
    // A run that could not keep the rate is not judged.
    const s = scenarios().concat([run("fixed-rate", "non-stream", "messages", { reqPerSec: 2000, p50Ms: 0.1 })]);
    addDeltas(s);
    expect(byName(checkTargets(s, true, 3000), "/v1/messages: added p50 latency")).toMatchObject({ pass: null });
    // Not measured: no check.
    expect(checkTargets(scenarios(), true, 3000).some((c) => c.name.startsWith("/v1/messages"))).toBe(false);
  });

  it("judges the other targets on their own runs", () => {
    const checks = checkTargets(scenarios({ gatewaySat: 7_999, rss: 151 }), true, 3000);
    expect(byName(checks, "non-stream req/s")).toMatchObject({ measured: 7_999, pass: false });
    expect(byName(checks, "stream req/s")).toMatchObject({ measured: 7_000, pass: true });
    expect(byName(checks, "added p50 latency at 3000").measured).toBeCloseTo(0.25);
    expect(byName(checks, "added p50 latency at 3000").pass).toBe(true);
    expect(byName(checks, "added p50 time to first").measured).toBeCloseTo(0.55);
    expect(byName(checks, "added p50 time to first").pass).toBe(false);
    expect(byName(checks, "gateway peak RSS")).toMatchObject({ measured: 151, pass: false });
    expect(byName(checkTargets(scenarios(), false, 3000), "gateway peak RSS").pass).toBeNull(); // embedded: PostgreSQL target
  });

  it("prints each check with its note", () => {
    const s = scenarios();
    const text = formatReport({
      settings: { durationSec: 8, warmupSec: 3, threads: 1, connections: 32, rate: 3000, pinned: true, store: "postgres", auth: "virtual key", loadAvgAtStart: 0.2 },
      scenarios: s,
      targets: checkTargets(s, true, 3000),
      notes: [],
    });
    expect(text).toMatch(/PASS {2}gateway CPU per request \(non-stream, saturation\) +goal ≤ 0\.12 ms +measured 0\.100 ms {2}\(at 3000 req\/s: 0\.145 ms, pass-through 0\.115 ms\)/);
    expect(text).toMatch(/FAIL {2}added p50 time to first streamed byte at 3000 req\/s/);
  });
});

describe("bench Redis targets (--redis-url)", () => {
  const withRedis = (sat: number, p50: number, errors = 0) => {
    const s = [...scenarios(), run("saturation", "non-stream", "gateway-redis", { reqPerSec: sat, errors }), run("fixed-rate", "non-stream", "gateway-redis", { reqPerSec: 3000, p50Ms: p50 })];
    addDeltas(s);
    return checkTargets(s, true, 3000);
  };

  it("judges the gateway counting in Redis against the same gateway counting in process, in the same run", () => {
    expect(byName(withRedis(7_200, 0.5), "Redis: non-stream")).toMatchObject({ measured: 80, unit: "%", pass: true });
    expect(byName(withRedis(7_100, 0.5), "Redis: non-stream").pass).toBe(false);
    expect(byName(withRedis(7_200, 0.5), "Redis: added p50")).toMatchObject({ measured: 0.45, pass: true });
    expect(byName(withRedis(7_200, 0.56), "Redis: added p50").pass).toBe(false);
    expect(byName(withRedis(7_200, 0.5, 2), "Redis: non-stream")).toMatchObject({ pass: false, note: "2 errors or non-2xx answers in the run" });
  });

  it("has no Redis targets without a gateway-redis run", () => {
    expect(checkTargets(scenarios(), true, 3000).some((c) => c.name.startsWith("Redis"))).toBe(false);
  });
});

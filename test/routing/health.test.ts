import { describe, expect, it } from "vitest";
import { DeploymentHealth, deploymentKey, MAX_TRACKED_DEPLOYMENTS, RING_CAPACITY, STATS_WINDOW_MS, type CircuitSettings } from "../../src/routing/health.js";

const START = Date.parse("2026-03-01T12:00:00.000Z");

function clock(start = START) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), at: () => t };
}

function setup(settings: Partial<CircuitSettings> = {}) {
  const c = clock();
  const health = new DeploymentHealth({ failures: 3, windowMs: 10_000, cooldownMs: 5_000, ...settings }, c.now);
  /** One whole attempt: acquired (must be allowed), then ended. */
  const attempt = (key: string, ok: boolean, totalMs = 100, ttftMs: number | null = null) => {
    const gate = health.acquire(key);
    expect(gate.allowed).toBe(true);
    health.end(key, gate.probe, { ok, totalMs, ttftMs });
  };
  return { health, clock: c, attempt };
}

const K = "openai:gpt-4o";

describe("deployment keys", () => {
  it("are provider:model, the model keeping its own separators", () => {
    expect(deploymentKey("openai", "gpt-4o")).toBe("openai:gpt-4o");
    expect(deploymentKey("openrouter", "anthropic/claude-3.5-sonnet")).toBe("openrouter:anthropic/claude-3.5-sonnet");
  });
});

describe("a deployment never tried", () => {
  it("is closed, has no stats and is not in the snapshot", () => {
    const { health } = setup();
    expect(health.state(K)).toBe("closed");
    expect(health.inFlight(K)).toBe(0);
    expect(health.ewmaTtftMs(K)).toBeUndefined();
    expect(health.stats(K)).toEqual({
      deployment: K,
      state: "closed",
      in_flight: 0,
      requests: 0,
      errors: 0,
      error_rate: 0,
      ttft_ms: { p50: null, p95: null },
      total_ms: { p50: null, p95: null },
      ewma_ttft_ms: null,
      opened_at: null,
    });
    expect(health.snapshot()).toEqual([]);
    expect(health.unhealthy()).toEqual([]);
  });
});

describe("the circuit opens", () => {
  it("at exactly `failures` failures within the window, not one before", () => {
    const { health, clock, attempt } = setup();
    attempt(K, false);
    clock.advance(1000);
    attempt(K, false);
    expect(health.state(K)).toBe("closed");
    clock.advance(1000);
    attempt(K, false);
    expect(health.state(K)).toBe("open");
    expect(health.acquire(K)).toEqual({ allowed: false, probe: false });
    expect(health.unhealthy()).toEqual([K]);
  });

  it("not for failures spread wider than the window, only once `failures` of them fall within it", () => {
    const { health, clock, attempt } = setup({ failures: 3, windowMs: 10_000 });
    attempt(K, false); // t=0
    clock.advance(6000);
    attempt(K, false); // t=6000
    clock.advance(4000);
    attempt(K, false); // t=10000: the first is exactly windowMs old, outside
    expect(health.state(K)).toBe("closed");
    clock.advance(3999);
    attempt(K, false); // t=13999: 6000, 10000, 13999 span 7999
    expect(health.state(K)).toBe("open");
  });

  it("when the span of the failures is just under the window (and not when it equals it)", () => {
    const under = setup({ failures: 2, windowMs: 1000 });
    under.attempt(K, false);
    under.clock.advance(999);
    under.attempt(K, false);
    expect(under.health.state(K)).toBe("open");

    const equal = setup({ failures: 2, windowMs: 1000 });
    equal.attempt(K, false);
    equal.clock.advance(1000);
    equal.attempt(K, false);
    expect(equal.health.state(K)).toBe("closed");
  });

  it("counts failures in the window whatever succeeded between them", () => {
    const { health, attempt } = setup({ failures: 3 });
    attempt(K, false);
    attempt(K, true);
    attempt(K, false);
    attempt(K, true);
    attempt(K, true);
    expect(health.state(K)).toBe("closed");
    attempt(K, false);
    expect(health.state(K)).toBe("open");
  });

  it("with failures = 1, at the first failure", () => {
    const { health, attempt } = setup({ failures: 1 });
    attempt(K, true);
    expect(health.state(K)).toBe("closed");
    attempt(K, false);
    expect(health.state(K)).toBe("open");
  });

  it("per deployment: one deployment's failures leave the others closed", () => {
    const { health, attempt } = setup({ failures: 2 });
    attempt(K, false);
    attempt("anthropic:claude", false);
    expect(health.state(K)).toBe("closed");
    attempt(K, false);
    expect(health.state(K)).toBe("open");
    expect(health.state("anthropic:claude")).toBe("closed");
    expect(health.acquire("anthropic:claude").allowed).toBe(true);
  });

  it("says when, while open and half-open", () => {
    const { health, clock, attempt } = setup({ failures: 1, cooldownMs: 5000 });
    clock.advance(250);
    attempt(K, false);
    expect(health.stats(K).opened_at).toBe("2026-03-01T12:00:00.250Z");
    clock.advance(5000);
    expect(health.acquire(K).probe).toBe(true);
    expect(health.stats(K)).toMatchObject({ state: "half-open", opened_at: "2026-03-01T12:00:00.250Z" });
    health.end(K, true, { ok: true, totalMs: 10 });
    expect(health.stats(K)).toMatchObject({ state: "closed", opened_at: null });
  });
});

describe("an open circuit", () => {
  function opened(settings: Partial<CircuitSettings> = {}) {
    const s = setup({ failures: 1, cooldownMs: 5000, ...settings });
    s.attempt(K, false);
    expect(s.health.state(K)).toBe("open");
    return s;
  }

  it("refuses everything until the cooldown is over", () => {
    const { health, clock } = opened();
    clock.advance(4999);
    expect(health.acquire(K)).toEqual({ allowed: false, probe: false });
    expect(health.state(K)).toBe("open");
    expect(health.inFlight(K)).toBe(0);
  });

  it("after the cooldown lets exactly one probe through, however many ask at once", () => {
    const { health, clock } = opened();
    clock.advance(5000);
    const gates = Array.from({ length: 50 }, () => health.acquire(K));
    expect(gates.filter((g) => g.allowed)).toEqual([{ allowed: true, probe: true }]);
    expect(gates[0]).toEqual({ allowed: true, probe: true });
    expect(gates.slice(1).every((g) => !g.allowed && !g.probe)).toBe(true);
    expect(health.state(K)).toBe("half-open");
    expect(health.inFlight(K)).toBe(1);
    expect(health.unhealthy()).toEqual([K]);
    // Still refused later while the probe is out, even long after the cooldown.
    clock.advance(60_000);
    expect(health.acquire(K).allowed).toBe(false);
  });

  it("closes when the probe succeeds, and forgets the failures before it", () => {
    const { health, clock, attempt } = setup({ failures: 2, cooldownMs: 5000 });
    attempt(K, false);
    attempt(K, false);
    expect(health.state(K)).toBe("open");
    clock.advance(5000);
    const probe = health.acquire(K);
    expect(probe).toEqual({ allowed: true, probe: true });
    health.end(K, true, { ok: true, totalMs: 50 });
    expect(health.state(K)).toBe("closed");
    expect(health.unhealthy()).toEqual([]);
    expect(health.inFlight(K)).toBe(0);
    expect(health.acquire(K)).toEqual({ allowed: true, probe: false });
    health.end(K, false, { ok: false, totalMs: 1 });
    // One failure after the probe: the two before it no longer count.
    expect(health.state(K)).toBe("closed");
    attempt(K, false);
    expect(health.state(K)).toBe("open");
  });

  it("opens again for a full new cooldown when the probe fails", () => {
    const { health, clock } = opened();
    clock.advance(5000);
    expect(health.acquire(K).probe).toBe(true);
    clock.advance(3000); // the probe takes 3 s
    health.end(K, true, { ok: false, totalMs: 3000 });
    expect(health.state(K)).toBe("open");
    expect(health.stats(K).opened_at).toBe(new Date(START + 8000).toISOString());
    clock.advance(4999);
    expect(health.acquire(K).allowed).toBe(false);
    clock.advance(1);
    expect(health.acquire(K)).toEqual({ allowed: true, probe: true });
  });

  it("is neither closed nor re-opened by attempts that were under way when it opened", () => {
    const { health, clock } = setup({ failures: 1, cooldownMs: 5000 });
    const slow = health.acquire(K);
    const slower = health.acquire(K);
    const failing = health.acquire(K);
    health.end(K, failing.probe, { ok: false, totalMs: 5 });
    expect(health.state(K)).toBe("open");
    const openedAt = health.stats(K).opened_at;
    clock.advance(1000);
    health.end(K, slow.probe, { ok: true, totalMs: 1000 });
    expect(health.state(K)).toBe("open");
    clock.advance(1000);
    health.end(K, slower.probe, { ok: false, totalMs: 2000 });
    expect(health.stats(K).opened_at).toBe(openedAt);
    clock.advance(3000); // 5 s after it opened, not after the late failure
    const probe = health.acquire(K);
    expect(probe.probe).toBe(true);
    // A late non-probe success while half-open does not close it either.
    health.end(K, false, { ok: true, totalMs: 1 });
    expect(health.state(K)).toBe("half-open");
    expect(health.acquire(K).allowed).toBe(false);
    health.end(K, probe.probe, { ok: true, totalMs: 1 });
    expect(health.state(K)).toBe("closed");
  });
});

describe("in flight", () => {
  it("counts allowed attempts until they end, never refused ones", () => {
    const { health, clock } = setup({ failures: 1, cooldownMs: 1000 });
    const a = health.acquire(K);
    const b = health.acquire(K);
    expect(health.inFlight(K)).toBe(2);
    health.end(K, a.probe, { ok: false, totalMs: 1 });
    expect(health.inFlight(K)).toBe(1);
    expect(health.acquire(K).allowed).toBe(false);
    expect(health.inFlight(K)).toBe(1);
    health.end(K, b.probe, { ok: true, totalMs: 1 });
    expect(health.inFlight(K)).toBe(0);
    clock.advance(1000);
    expect(health.acquire(K).probe).toBe(true);
    expect(health.stats(K).in_flight).toBe(1);
  });

  it("never goes below zero when an end comes without its acquire", () => {
    const { health } = setup();
    health.end(K, false, { ok: true, totalMs: 1 });
    expect(health.inFlight(K)).toBe(0);
    expect(health.acquire(K).allowed).toBe(true);
    expect(health.inFlight(K)).toBe(1);
  });
});

describe("stats", () => {
  it("count requests and errors, and give nearest-rank percentiles", () => {
    const { health, attempt } = setup({ failures: 1000 });
    // total 1..100 ms; every tenth fails; ttft reported by the even ones only (2, 4, … 100).
    for (let i = 1; i <= 100; i++) attempt(K, i % 10 !== 0, i, i % 2 === 0 ? i : null);
    const s = health.stats(K);
    expect(s).toMatchObject({ deployment: K, state: "closed", in_flight: 0, requests: 100, errors: 10 });
    expect(s.error_rate).toBeCloseTo(0.1, 12);
    expect(s.total_ms).toEqual({ p50: 50, p95: 95 });
    // 50 ttft samples 2..100: rank ceil(25) = 25 → 50; rank ceil(47.5) = 48 → 96.
    expect(s.ttft_ms).toEqual({ p50: 50, p95: 96 });
  });

  it("nearest rank on few samples: one sample is every percentile; of 1..10, p50 is 5 and p95 is 10; of 11, the ranks round up", () => {
    const one = setup();
    one.attempt(K, true, 42, 7);
    expect(one.health.stats(K)).toMatchObject({ total_ms: { p50: 42, p95: 42 }, ttft_ms: { p50: 7, p95: 7 } });

    const ten = setup();
    for (const ms of [10, 3, 7, 1, 9, 2, 8, 4, 6, 5]) ten.attempt(K, true, ms);
    expect(ten.health.stats(K).total_ms).toEqual({ p50: 5, p95: 10 });
    expect(ten.health.stats(K).ttft_ms).toEqual({ p50: null, p95: null });

    // 11 samples: p50 is rank ceil(5.5) = 6, p95 rank ceil(10.45) = 11 (rounding would give 10).
    const eleven = setup();
    for (let ms = 11; ms >= 1; ms--) eleven.attempt(K, true, ms * 10);
    expect(eleven.health.stats(K).total_ms).toEqual({ p50: 60, p95: 110 });
  });

  it("cover the last five minutes only", () => {
    const { health, clock, attempt } = setup({ failures: 1000 });
    attempt(K, false, 1000);
    attempt(K, false, 1000);
    clock.advance(60_000);
    attempt(K, true, 10);
    clock.advance(STATS_WINDOW_MS - 60_000 - 1);
    expect(health.stats(K)).toMatchObject({ requests: 3, errors: 2 });
    clock.advance(1); // the first two are five minutes old now
    const s = health.stats(K);
    expect(s).toMatchObject({ requests: 1, errors: 0, error_rate: 0, total_ms: { p50: 10, p95: 10 } });
    clock.advance(60_000);
    expect(health.stats(K)).toMatchObject({ requests: 0, errors: 0, error_rate: 0, total_ms: { p50: null, p95: null } });
  });

  it("keep at most the last 1,000 attempts, in a ring that grows no further", () => {
    const { health, attempt } = setup({ failures: 10_000 });
    attempt(K, true, 1);
    expect(health.ringCapacity(K)).toBeLessThan(RING_CAPACITY);
    for (let i = 2; i <= 2500; i++) attempt(K, i <= 2400, i);
    expect(health.ringCapacity(K)).toBe(RING_CAPACITY);
    const s = health.stats(K);
    // Only attempts 1501..2500 are left, the last 100 of them failures.
    expect(s.requests).toBe(RING_CAPACITY);
    expect(s.errors).toBe(100);
    expect(s.total_ms).toEqual({ p50: 2000, p95: 2450 });
  });

  it("after the ring grows, keep every attempt in order", () => {
    const { health, attempt } = setup({ failures: 10_000 });
    for (let i = 1; i <= 600; i++) attempt(K, i % 3 !== 0, i);
    expect(health.stats(K)).toMatchObject({ requests: 600, errors: 200, total_ms: { p50: 300, p95: 570 } });
  });

  it("keep an EWMA of ttft (alpha 0.2, the first sample sets it), skipping attempts with none", () => {
    const { health, attempt } = setup();
    attempt(K, true, 500, null);
    expect(health.ewmaTtftMs(K)).toBeUndefined();
    expect(health.stats(K).ewma_ttft_ms).toBeNull();
    attempt(K, true, 500, 100);
    expect(health.ewmaTtftMs(K)).toBe(100);
    attempt(K, true, 500, 200);
    expect(health.ewmaTtftMs(K)).toBeCloseTo(120, 10);
    attempt(K, true, 500, null);
    expect(health.ewmaTtftMs(K)).toBeCloseTo(120, 10);
    attempt(K, false, 500, 20);
    expect(health.ewmaTtftMs(K)).toBeCloseTo(100, 10);
    expect(health.stats(K).ewma_ttft_ms).toBeCloseTo(100, 10);
  });

  it("snapshot: every deployment seen, sorted by key", () => {
    const { health, attempt } = setup({ failures: 1 });
    attempt("z:1", true);
    attempt("a:1", false);
    health.acquire("m:1");
    expect(health.snapshot().map((s) => [s.deployment, s.state, s.in_flight])).toEqual([
      ["a:1", "open", 0],
      ["m:1", "closed", 1],
      ["z:1", "closed", 0],
    ]);
    expect(health.unhealthy()).toEqual(["a:1"]);
  });
});

describe("memory", () => {
  it("past the tracked maximum, forgets idle deployments (an idle open circuit too: it closes) but keeps busy ones", () => {
    const { health, clock, attempt } = setup({ failures: 1, windowMs: 1000 });
    attempt("open:1", false);
    health.acquire("busy:1");
    for (let i = 0; i < MAX_TRACKED_DEPLOYMENTS; i++) attempt(`idle:${i}`, true);
    expect(health.snapshot().length).toBe(MAX_TRACKED_DEPLOYMENTS + 2);
    clock.advance(STATS_WINDOW_MS);
    attempt("new:1", true);
    expect(health.snapshot().map((s) => s.deployment)).toEqual(["busy:1", "new:1"]);
    expect(health.state("open:1")).toBe("closed");
    expect(health.inFlight("busy:1")).toBe(1);
  });

  it("keeps recently active deployments even past the maximum", () => {
    const { health, clock, attempt } = setup();
    for (let i = 0; i < MAX_TRACKED_DEPLOYMENTS; i++) attempt(`recent:${i}`, true);
    clock.advance(STATS_WINDOW_MS - 1);
    attempt("new:1", true);
    expect(health.snapshot().length).toBe(MAX_TRACKED_DEPLOYMENTS + 1);
  });
});

describe("settings", () => {
  it("are checked", () => {
    expect(() => new DeploymentHealth({ failures: 0, windowMs: 1000, cooldownMs: 1000 })).toThrow(RangeError);
    expect(() => new DeploymentHealth({ failures: 1.5, windowMs: 1000, cooldownMs: 1000 })).toThrow(RangeError);
    expect(() => new DeploymentHealth({ failures: 1, windowMs: 0, cooldownMs: 1000 })).toThrow(RangeError);
    expect(() => new DeploymentHealth({ failures: 1, windowMs: 1000, cooldownMs: -1 })).toThrow(RangeError);
  });

  it("the default clock is monotonic time since the epoch", () => {
    const health = new DeploymentHealth({ failures: 1, windowMs: 1000, cooldownMs: 60_000 });
    const before = Date.now();
    health.end(K, health.acquire(K).probe, { ok: false, totalMs: 1 });
    const openedAt = Date.parse(health.stats(K).opened_at!);
    expect(Math.abs(openedAt - before)).toBeLessThan(1000);
  });
});

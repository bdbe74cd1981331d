import { describe, expect, it } from "vitest";
import { DeploymentHealth } from "../../src/routing/health.js";
import { EXPLORATION_RATE, Router, STRATEGY_NAMES, type Candidate, type OrderContext } from "../../src/routing/strategies.js";
import { mulberry32 } from "../support/prng.js";

const START = Date.parse("2026-03-01T12:00:00.000Z");

function clock(start = START) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function cand(name: string, over: Partial<Candidate> = {}): Candidate {
  return { key: `p:${name}`, provider: "p", model: name, weight: 1, rpm: null, tpm: null, ...over };
}

const names = (cs: readonly Candidate[]) => cs.map((c) => c.model);

function setup() {
  const c = clock();
  const health = new DeploymentHealth({ failures: 100, windowMs: 60_000, cooldownMs: 1000 }, c.now);
  const router = new Router(c.now);
  const context = (over: Partial<OrderContext> = {}): OrderContext => ({
    health,
    costMicros: () => undefined,
    estimatedTokens: 0,
    random: mulberry32(42),
    ...over,
  });
  return { clock: c, health, router, context };
}

/** How often each candidate came first over `rounds` orders. */
function firsts(rounds: number, order: () => Candidate[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    const first = order()[0].model;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return counts;
}

describe("strategies", () => {
  it("are the six names", () => {
    expect([...STRATEGY_NAMES].sort()).toEqual(["cheapest", "least-busy", "lowest-latency", "round-robin", "usage-based", "weighted"]);
  });

  it("every one returns a new array of the same candidates and leaves the input alone", () => {
    const { router, context, health } = setup();
    const random = mulberry32(7);
    health.acquire("p:b");
    health.end("p:c", false, { ok: true, totalMs: 10, ttftMs: 5 });
    const input = [cand("a", { weight: 2, rpm: 1 }), cand("b", { tpm: 50 }), cand("c"), cand("d", { weight: 0.5 }), cand("e")];
    const copy = input.slice();
    for (const strategy of STRATEGY_NAMES) {
      for (let i = 0; i < 50; i++) {
        const out = router.order("g", strategy, input, context({ random, estimatedTokens: 40, costMicros: (c) => (c.model === "e" ? undefined : c.model.charCodeAt(0)) }));
        expect(out).not.toBe(input);
        expect(names(out).sort()).toEqual(["a", "b", "c", "d", "e"]);
        expect(new Set(out).size).toBe(5);
        router.count(out[0].key, 10);
      }
    }
    expect(input).toEqual(copy);
  });

  it("a single candidate comes back alone, in a new array", () => {
    const { router, context } = setup();
    const input = [cand("a")];
    for (const strategy of STRATEGY_NAMES) {
      const out = router.order("g", strategy, input, context());
      expect(out).toEqual(input);
      expect(out).not.toBe(input);
    }
    expect(router.order("g", "weighted", [], context())).toEqual([]);
  });
});

describe("weighted", () => {
  it("draws the first by weight: 3:1 over 1,000 orders is 750 ± 37", () => {
    const { router, context } = setup();
    const ctx = context({ random: mulberry32(1234) });
    const cs = [cand("a", { weight: 3 }), cand("b", { weight: 1 })];
    const counts = firsts(1000, () => router.order("g", "weighted", cs, ctx));
    expect(counts.a).toBeGreaterThanOrEqual(713);
    expect(counts.a).toBeLessThanOrEqual(787);
    expect(counts.a + counts.b).toBe(1000);
  });

  it("draws the first by weight among several (5:3:2 over 10,000, each within 5 %)", () => {
    const { router, context } = setup();
    const ctx = context({ random: mulberry32(99) });
    const cs = [cand("a", { weight: 5 }), cand("b", { weight: 3 }), cand("c", { weight: 2 })];
    const counts = firsts(10_000, () => router.order("g", "weighted", cs, ctx));
    expect(Math.abs(counts.a - 5000)).toBeLessThanOrEqual(250);
    expect(Math.abs(counts.b - 3000)).toBeLessThanOrEqual(150);
    expect(Math.abs(counts.c - 2000)).toBeLessThanOrEqual(100);
  });

  it("draws the next places the same way among those left", () => {
    const { router, context } = setup();
    const ctx = context({ random: mulberry32(2024) });
    const cs = [cand("a", { weight: 2 }), cand("b", { weight: 1 }), cand("c", { weight: 1 })];
    // After b is drawn first, a (2) and c (1) are left: a is second two times in three.
    let bFirst = 0;
    let aSecond = 0;
    for (let i = 0; i < 20_000; i++) {
      const out = names(router.order("g", "weighted", cs, ctx));
      if (out[0] !== "b") continue;
      bFirst++;
      if (out[1] === "a") aSecond++;
    }
    expect(Math.abs(bFirst - 5000)).toBeLessThanOrEqual(250);
    expect(Math.abs(aSecond / bFirst - 2 / 3)).toBeLessThanOrEqual(0.05 * (2 / 3));
  });

  it("maps the random number onto the weights in list order", () => {
    const { router, context } = setup();
    const cs = [cand("a", { weight: 1 }), cand("b", { weight: 2 }), cand("c", { weight: 1 })];
    // Σ = 4: [0, 1) → a, [1, 3) → b, [3, 4) → c; the next draw is among those left.
    expect(names(router.order("g", "weighted", cs, context({ random: () => 0 })))).toEqual(["a", "b", "c"]);
    expect(names(router.order("g", "weighted", cs, context({ random: () => 0.3 })))).toEqual(["b", "a", "c"]);
    expect(names(router.order("g", "weighted", cs, context({ random: () => 0.8 })))).toEqual(["c", "b", "a"]);
    expect(names(router.order("g", "weighted", cs, context({ random: () => 0.9999999999 })))).toEqual(["c", "b", "a"]);
  });

  it("never puts a zero weight before a positive one", () => {
    const { router, context } = setup();
    const ctx = context({ random: mulberry32(5) });
    const cs = [cand("zero", { weight: 0 }), cand("a"), cand("b")];
    for (let i = 0; i < 200; i++) expect(names(router.order("g", "weighted", cs, ctx))[2]).toBe("zero");
  });
});

describe("round-robin", () => {
  it("starts request i at candidate i mod n, the rest in list order after it", () => {
    const { router, context } = setup();
    const cs = [cand("a"), cand("b"), cand("c")];
    const orders = Array.from({ length: 6 }, () => names(router.order("g", "round-robin", cs, context())));
    expect(orders).toEqual([
      ["a", "b", "c"],
      ["b", "c", "a"],
      ["c", "a", "b"],
      ["a", "b", "c"],
      ["b", "c", "a"],
      ["c", "a", "b"],
    ]);
    const counts: Record<string, number> = {};
    for (const o of orders) counts[o[0]] = (counts[o[0]] ?? 0) + 1;
    expect(counts).toEqual({ a: 2, b: 2, c: 2 });
  });

  it("keeps a counter per group", () => {
    const { router, context } = setup();
    const cs = [cand("a"), cand("b")];
    expect(names(router.order("one", "round-robin", cs, context()))[0]).toBe("a");
    expect(names(router.order("one", "round-robin", cs, context()))[0]).toBe("b");
    expect(names(router.order("two", "round-robin", cs, context()))[0]).toBe("a");
    expect(names(router.order("one", "round-robin", cs, context()))[0]).toBe("a");
  });
});

describe("least-busy", () => {
  it("puts the fewest in flight first, ties in list order", () => {
    const { router, context, health } = setup();
    health.acquire("p:a");
    health.acquire("p:a");
    health.acquire("p:c");
    const cs = [cand("a"), cand("b"), cand("c"), cand("d")];
    expect(names(router.order("g", "least-busy", cs, context()))).toEqual(["b", "d", "c", "a"]);
    health.end("p:a", false, { ok: true, totalMs: 1 });
    health.end("p:a", false, { ok: true, totalMs: 1 });
    health.acquire("p:b");
    health.acquire("p:d");
    expect(names(router.order("g", "least-busy", cs, context()))).toEqual(["a", "b", "c", "d"]);
  });
});

describe("lowest-latency", () => {
  function measured() {
    const s = setup();
    const ttft = (key: string, ms: number) => s.health.end(key, false, { ok: true, totalMs: ms * 2, ttftMs: ms });
    ttft("p:a", 300);
    ttft("p:b", 100);
    ttft("p:d", 200);
    return s;
  }
  const cs = [cand("a"), cand("b"), cand("c"), cand("d")];

  it("puts the lowest EWMA ttft first, never-measured ones as 0", () => {
    const { router, context } = measured();
    expect(names(router.order("g", "lowest-latency", cs, context({ random: () => 0.5 })))).toEqual(["c", "b", "d", "a"]);
    expect(names(router.order("g", "lowest-latency", cs, context({ random: () => EXPLORATION_RATE })))).toEqual(["c", "b", "d", "a"]);
  });

  it("follows the EWMA as it moves", () => {
    const { router, context, health } = measured();
    // b slows down: 100 → 0.8·100 + 0.2·1100 = 300, then 0.8·300 + 0.2·1300 = 500.
    health.end("p:b", false, { ok: true, totalMs: 2000, ttftMs: 1100 });
    health.end("p:b", false, { ok: true, totalMs: 2000, ttftMs: 1300 });
    expect(names(router.order("g", "lowest-latency", cs, context({ random: () => 0.5 })))).toEqual(["c", "d", "a", "b"]);
  });

  it("with a draw under 0.1, puts one other candidate first, chosen by the same draw", () => {
    const { router, context } = measured();
    // Sorted: c, b, d, a. Draws in [0, 0.1) map evenly onto the three others.
    expect(names(router.order("g", "lowest-latency", cs, context({ random: () => 0 })))).toEqual(["b", "c", "d", "a"]);
    expect(names(router.order("g", "lowest-latency", cs, context({ random: () => 0.05 })))).toEqual(["d", "c", "b", "a"]);
    expect(names(router.order("g", "lowest-latency", cs, context({ random: () => 0.0999999 })))).toEqual(["a", "c", "b", "d"]);
  });

  it("explores one request in ten, spread evenly over the others (10,000 orders, seeded)", () => {
    const { router, context } = measured();
    const ctx = context({ random: mulberry32(77) });
    const counts = firsts(10_000, () => router.order("g", "lowest-latency", cs, ctx));
    expect(Math.abs(counts.c - 9000)).toBeLessThanOrEqual(450);
    for (const other of ["a", "b", "d"]) expect(Math.abs(counts[other] - 10_000 / 30)).toBeLessThanOrEqual(60);
  });
});

describe("cheapest", () => {
  it("puts the lowest cost first, unpriced after every priced one, ties in list order", () => {
    const { router, context } = setup();
    const cost: Record<string, number | undefined> = { a: 30, b: undefined, c: 10, d: 10, e: undefined, f: 1_000_000 };
    const cs = ["a", "b", "c", "d", "e", "f"].map((n) => cand(n));
    expect(names(router.order("g", "cheapest", cs, context({ costMicros: (c) => cost[c.model] })))).toEqual(["c", "d", "a", "f", "b", "e"]);
  });

  it("a free deployment is priced (0), not unpriced", () => {
    const { router, context } = setup();
    const cs = [cand("unpriced"), cand("free")];
    expect(names(router.order("g", "cheapest", cs, context({ costMicros: (c) => (c.model === "free" ? 0 : undefined) })))).toEqual(["free", "unpriced"]);
  });
});

describe("usage-based", () => {
  it("puts the lowest share of its own limits first (this request included), no limits as 0, those that do not fit last", () => {
    const { router, context } = setup();
    for (let i = 0; i < 5; i++) router.count("p:a", 0);
    router.count("p:b", 100);
    router.count("p:d", 0);
    router.count("p:d", 0);
    router.count("p:e", 700);
    const cs = [
      cand("a", { rpm: 10 }), // (5 + 1) / 10 = 0.6
      cand("b", { tpm: 1000 }), // (100 + 100) / 1000 = 0.2
      cand("c"), // 0
      cand("d", { rpm: 2 }), // full
      cand("e", { rpm: 100, tpm: 1000 }), // max(2 / 100, 800 / 1000) = 0.8
    ];
    expect(names(router.order("g", "usage-based", cs, context({ estimatedTokens: 100 })))).toEqual(["c", "b", "a", "e", "d"]);
  });

  it("counts this request's tokens in the share", () => {
    const { router, context } = setup();
    router.count("p:big", 1500);
    const cs = [cand("small", { tpm: 1000 }), cand("big", { tpm: 10_000 })];
    // Before this request small is empty (0 < 0.15); with 500 more tokens it is at 0.5, big at 0.2.
    expect(names(router.order("g", "usage-based", cs, context({ estimatedTokens: 500 })))).toEqual(["big", "small"]);
    expect(names(router.order("g", "usage-based", cs, context({ estimatedTokens: 100 })))).toEqual(["small", "big"]);
  });

  it("ties stay in list order, and the usage leaves with the minute", () => {
    const { router, context, clock } = setup();
    const cs = [cand("a", { rpm: 10 }), cand("b", { rpm: 10 })];
    expect(names(router.order("g", "usage-based", cs, context()))).toEqual(["a", "b"]);
    router.count("p:a", 0);
    expect(names(router.order("g", "usage-based", cs, context()))).toEqual(["b", "a"]);
    clock.advance(60_000);
    expect(names(router.order("g", "usage-based", cs, context()))).toEqual(["a", "b"]);
  });
});

describe("candidates over their own limits", () => {
  it("go after every other candidate whatever the strategy, each part in the strategy's order", () => {
    const { router, context } = setup();
    router.count("p:a", 0);
    router.count("p:c", 5000);
    const cs = [cand("a", { rpm: 1 }), cand("b"), cand("c", { tpm: 5000 }), cand("d", { rpm: 100 })];
    const cost = (c: Candidate) => ({ a: 1, b: 4, c: 2, d: 3 })[c.model];
    const ctx = context({ costMicros: cost, estimatedTokens: 1 });
    expect(names(router.order("g", "cheapest", cs, ctx))).toEqual(["d", "b", "a", "c"]);
    expect(names(router.order("rr", "round-robin", cs, ctx))).toEqual(["b", "d", "a", "c"]);
    expect(names(router.order("rr", "round-robin", cs, ctx))).toEqual(["b", "d", "c", "a"]);
    expect(names(router.order("ll", "least-busy", cs, ctx))).toEqual(["b", "d", "a", "c"]);
  });

  it("none over: the strategy's order stands", () => {
    const { router, context } = setup();
    const cs = [cand("a", { rpm: 1 }), cand("b", { rpm: 1 })];
    const ctx = context({ costMicros: (c) => (c.model === "a" ? 2 : 1) });
    expect(names(router.order("g", "cheapest", cs, ctx))).toEqual(["b", "a"]);
  });
});

describe("fits", () => {
  it("rpm: in a sliding minute of one-second steps", () => {
    const { router, clock } = setup();
    const c = cand("a", { rpm: 2 });
    expect(router.fits(c, 0)).toBe(true);
    router.count(c.key, 0);
    clock.advance(30_000);
    router.count(c.key, 0);
    expect(router.fits(c, 0)).toBe(false);
    clock.advance(29_999); // the first is 59.999 s old: still in the window
    expect(router.fits(c, 0)).toBe(false);
    clock.advance(1);
    expect(router.fits(c, 0)).toBe(true);
    expect(router.fits(cand("a", { rpm: 1 }), 0)).toBe(false);
  });

  it("tpm: the tokens counted plus this request's", () => {
    const { router } = setup();
    const c = cand("a", { tpm: 1000 });
    router.count(c.key, 900);
    expect(router.fits(c, 100)).toBe(true);
    expect(router.fits(c, 101)).toBe(false);
    expect(router.fits(cand("fresh", { tpm: 1000 }), 1000)).toBe(true);
    expect(router.fits(cand("fresh", { tpm: 1000 }), 1001)).toBe(false);
  });

  it("no limits: always", () => {
    const { router } = setup();
    for (let i = 0; i < 100; i++) router.count("p:a", 1_000_000);
    expect(router.fits(cand("a"), 1_000_000_000)).toBe(true);
  });

  it("a zero limit: never", () => {
    const { router, context } = setup();
    expect(router.fits(cand("a", { rpm: 0 }), 0)).toBe(false);
    expect(router.fits(cand("a", { tpm: 0 }), 1)).toBe(false);
    const cs = [cand("a", { tpm: 0 }), cand("b", { tpm: 10 })];
    expect(names(router.order("g", "usage-based", cs, context({ estimatedTokens: 0 })))).toEqual(["b", "a"]);
  });

  it("true-ups correct the tokens counted, down and up", () => {
    const { router, clock } = setup();
    const c = cand("a", { tpm: 1000 });
    router.count(c.key, 900);
    clock.advance(5000);
    router.trueUp(c.key, -400);
    expect(router.fits(c, 500)).toBe(true);
    expect(router.fits(c, 501)).toBe(false);
    router.trueUp(c.key, 200);
    expect(router.fits(c, 300)).toBe(true);
    expect(router.fits(c, 301)).toBe(false);
    // Never below nothing: taking back more than was counted leaves an empty window, not credit.
    router.trueUp(c.key, -5000);
    expect(router.fits(c, 1000)).toBe(true);
    expect(router.fits(c, 1001)).toBe(false);
  });

  it("a true-up down takes from as many steps of the window as it needs", () => {
    const { router, clock } = setup();
    const c = cand("a", { tpm: 1000 });
    router.count(c.key, 300);
    clock.advance(10_000);
    router.count(c.key, 300);
    clock.advance(10_000);
    router.trueUp(c.key, -400);
    expect(router.fits(c, 800)).toBe(true);
    expect(router.fits(c, 801)).toBe(false);
  });

  it("true-ups work on a deployment not counted this minute", () => {
    const { router, clock } = setup();
    const c = cand("a", { tpm: 1000 });
    router.count(c.key, 100);
    clock.advance(120_000);
    router.count("p:other", 1); // lets the router drop the emptied usage of a
    router.trueUp(c.key, 700);
    expect(router.fits(c, 300)).toBe(true);
    expect(router.fits(c, 301)).toBe(false);
    router.trueUp("p:never", -10);
    expect(router.fits(cand("never", { tpm: 10 }), 10)).toBe(true);
  });
});

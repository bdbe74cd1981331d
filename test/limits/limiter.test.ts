import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { formatReset, LocalLimiter, type Admission, type Refusal } from "../../src/limits/limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { LIMIT_OPS } from "../../src/limits/redis-ops.js";
import { RedisLink } from "../../src/redis/link.js";
import { redisTestServer } from "../support/redis.js";
import { SlidingWindow } from "../../src/core/window.js";
import type { LimitSet, LimitSubject } from "../../src/policy/limit-subjects.js";

const none: LimitSet = { rpm: null, tpm: null, rpd: null, maxParallel: null };
const key = (limits: Partial<LimitSet>, id = "k1"): LimitSubject => ({ scope: "key", id, limits: { ...none, ...limits } });

function clock(start = 1_000_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) };
}

/** A limiter under test: the same scenarios run in process and in Redis (on the same fake clock). */
interface UnderTest {
  admit(subjects: LimitSubject[], tokens: number, requestId?: string, upTo?: number): Promise<Admission | Refusal>;
  finish(a: Admission, actualTokens: number | null): void;
}

const redisUrl = await redisTestServer();
const links: RedisLink[] = [];
afterAll(() => links.forEach((l) => l.close()));

const implementations: Array<{ name: string; make: (now: () => number) => Promise<UnderTest> }> = [
  {
    name: "in process",
    make: (now) => {
      const l = new LocalLimiter(now);
      let n = 0;
      return Promise.resolve({ admit: (s, t, id, upTo) => Promise.resolve(l.admit(s, t, id ?? `r${n++}`, upTo)), finish: (a, t) => l.finish(a, t) });
    },
  },
  ...(redisUrl
    ? [
        {
          name: "in Redis",
          make: async (now: () => number) => {
            // Redis's clock is replaced by the test's for every batch; each test counts under subject ids of its own.
            const link = new RedisLink(redisUrl, [LIMIT_OPS], { log: () => {}, describeFallback: () => "", clock: now });
            links.push(link);
            await link.start();
            const l = new RedisLimiter(link, { failure: "closed", leaseMs: 600_000, instanceId: randomUUID() });
            const run = randomUUID().slice(0, 8);
            let n = 0;
            return {
              admit: (s: LimitSubject[], t: number, id?: string, upTo?: number) =>
                l.admit(
                  s.map((x) => ({ ...x, id: `${x.id}-${run}` })),
                  t,
                  id ?? `r${n++}`,
                  upTo,
                ),
              finish: (a: Admission, t: number | null) => l.finish(a, t),
            } satisfies UnderTest;
          },
        },
      ]
    : []),
];

const admitted = (r: Admission | Refusal): Admission => {
  if (r.refused) throw new Error(`refused: ${r.reason}`);
  return r;
};
const refused = (r: Admission | Refusal): Refusal => {
  if (!r.refused) throw new Error("admitted");
  return r;
};

describe("SlidingWindow", () => {
  it("remembers a count for 59 to 60 steps of the period, never longer", () => {
    const w = new SlidingWindow(60_000);
    const t0 = 1_000_000_000_500; // half-way through a 1-second step
    w.add(1, t0);
    expect(w.total(t0 + 58_999)).toBe(1);
    expect(w.total(t0 + 59_499)).toBe(1); // the step ends at t0 + 500 ms; it leaves 60 steps after its start
    expect(w.total(t0 + 59_500)).toBe(0);
  });

  it("waitFor names the moment the oldest counts leave", () => {
    const w = new SlidingWindow(60_000);
    const t0 = 2_000_000_000_000;
    w.add(2, t0);
    w.add(1, t0 + 10_000);
    expect(w.waitFor(1, 3, t0 + 20_000)).toBe(40_000); // the two at t0 leave at t0 + 60 s
    expect(w.waitFor(3, 3, t0 + 20_000)).toBe(50_000); // all three must leave
    expect(w.waitFor(4, 3, t0 + 20_000)).toBe(Infinity);
    expect(w.waitFor(0, 3, t0 + 20_000)).toBe(0);
    expect(w.emptyIn(t0 + 20_000)).toBe(50_000);
  });

  it("takes a count back only while its step is in the window", () => {
    const w = new SlidingWindow(60_000);
    const t0 = 3_000_000_000_000;
    const s = w.add(5, t0);
    w.remove(2, s, t0 + 1000);
    expect(w.total(t0 + 1000)).toBe(3);
    w.remove(10, s, t0 + 2000); // never below zero
    expect(w.total(t0 + 2000)).toBe(0);
    const s2 = w.add(4, t0 + 3000);
    w.remove(4, s2, t0 + 3000 + 60_000); // gone already: nothing to take from the new steps
    w.add(1, t0 + 3000 + 60_000);
    expect(w.total(t0 + 3000 + 60_000)).toBe(1);
  });
});

describe.each(implementations)("the same limits, counted $name", ({ make }) => {
  it("rpm: admits exactly the limit in a burst, refuses the next with the time until one leaves, admits again after it", async () => {
    const c = clock();
    const l = await make(c.now);
    const s = [key({ rpm: 3 })];
    for (let i = 0; i < 3; i++) {
      admitted(await l.admit(s, 0));
      c.advance(5_000);
    }
    const r = refused(await l.admit(s, 0));
    expect(r.reason).toContain("3 requests per minute");
    expect(r.waitMs).toBe(45_000); // the first leaves 60 s after it was counted
    expect(r.report.requests).toEqual({ limit: 3, remaining: 0, resetMs: 55_000 });
    c.advance(44_999);
    expect((await l.admit(s, 0)).refused).toBe(true);
    c.advance(1);
    expect(admitted(await l.admit(s, 0)).report.requests?.remaining).toBe(0);
  });

  it("rpd counts a day, rpm a minute, and the report names the tighter", async () => {
    const c = clock();
    const l = await make(c.now);
    const s = [key({ rpm: 10, rpd: 4 })];
    expect(admitted(await l.admit(s, 0)).report.requests).toMatchObject({ limit: 4, remaining: 3 });
    for (let i = 0; i < 3; i++) {
      c.advance(61_000);
      admitted(await l.admit(s, 0));
    }
    c.advance(61_000);
    const r = refused(await l.admit(s, 0));
    expect(r.reason).toContain("4 requests per day");
    // The day is counted in 24-minute steps: the first request leaves 60 steps after the start of its step.
    const step = 86_400_000 / 60;
    const t0 = 1_000_000_000_000;
    expect(r.waitMs).toBe((Math.floor(t0 / step) + 60) * step - (t0 + 4 * 61_000));
    expect(r.waitMs).toBeGreaterThan(86_400_000 - step - 4 * 61_000);
  });

  it("one check across key, user and team: refused by one, counted by none", async () => {
    const c = clock();
    const l = await make(c.now);
    const k = key({ rpm: 100 });
    const team: LimitSubject = { scope: "team", id: "t1", limits: { ...none, rpm: 2 } };
    admitted(await l.admit([k, team], 0));
    admitted(await l.admit([k, team], 0));
    const r = refused(await l.admit([k, team], 0));
    expect(r.reason).toContain("team t1");
    // The key's own window was not charged by the refusal: 98 left after the two admitted.
    expect(admitted(await l.admit([k], 0)).report.requests).toMatchObject({ limit: 100, remaining: 97 });
  });

  it("max_parallel: a slot is taken per request in flight and given back once, however often finish is called", async () => {
    const c = clock();
    const l = await make(c.now);
    const s = [key({ maxParallel: 2 })];
    const a = admitted(await l.admit(s, 0));
    const b = admitted(await l.admit(s, 0));
    expect(refused(await l.admit(s, 0)).reason).toContain("2 of 2 concurrent requests");
    l.finish(a, 10);
    l.finish(a, 10);
    admitted(await l.admit(s, 0));
    expect((await l.admit(s, 0)).refused).toBe(true);
    l.finish(b, null);
    admitted(await l.admit(s, 0));
  });

  it("tpm: counts the estimate up front, trues up to the actual count, refuses what can never fit", async () => {
    const c = clock();
    const l = await make(c.now);
    const s = [key({ tpm: 1000 })];
    const a = admitted(await l.admit(s, 600));
    expect(a.report.tokens).toMatchObject({ limit: 1000, remaining: 400 });
    expect(refused(await l.admit(s, 500)).reason).toContain("1000 tokens per minute");
    l.finish(a, 100); // used far less than estimated
    const b = admitted(await l.admit(s, 500));
    expect(b.report.tokens?.remaining).toBe(400);
    l.finish(b, 900); // used more than estimated: the excess counts too
    expect(refused(await l.admit(s, 1)).report.tokens?.remaining).toBe(0);
    const never = refused(await l.admit(s, 1001));
    expect(never.waitMs).toBe(Infinity);
    expect(never.reason).toContain("lower max_tokens");
  });

  it("a request that never reached an upstream is taken back entirely", async () => {
    const c = clock();
    const l = await make(c.now);
    const s = [key({ rpm: 1, tpm: 100, rpd: 1 })];
    const a = admitted(await l.admit(s, 50));
    l.finish(a, null);
    const b = admitted(await l.admit(s, 50));
    expect(b.report.requests?.remaining).toBe(0);
    expect(b.report.tokens?.remaining).toBe(50);
  });

  it("output nobody bounded (upTo) is counted as far as the window has room: concurrent unbounded requests cannot all start", async () => {
    const l = await make(clock().now);
    const s = [key({ tpm: 1000 })];
    const a = admitted(await l.admit(s, 100, "r1", 4096));
    expect(a.report.tokens?.remaining).toBe(0); // 100 + the 900 left
    expect(refused(await l.admit(s, 100, "r2", 4096)).reason).toContain("tokens per minute");
    l.finish(a, 150); // the true-up gives back what the output did not use
    const b = admitted(await l.admit(s, 100, "r3", 4096));
    expect(b.report.tokens?.remaining).toBe(0);
    l.finish(b, 100);
    expect(admitted(await l.admit(s, 50, "r4")).report.tokens?.remaining).toBe(1000 - 150 - 100 - 50);
  });
});

describe("LocalLimiter, in process only", () => {
  it("forgets idle subjects, keeps those with requests in flight", () => {
    const c = clock();
    const l = new LocalLimiter(c.now);
    l.finish(admitted(l.admit([key({ rpm: 5 }, "idle")], 0)), 0);
    const busy = admitted(l.admit([key({ maxParallel: 1 }, "busy")], 0));
    expect(l.size).toBe(2);
    c.advance(120_000);
    admitted(l.admit([key({ rpm: 5 }, "other")], 0));
    expect(l.size).toBe(2); // "idle" went, "busy" stays
    l.finish(busy, 0);
    expect(refused(l.admit([key({ maxParallel: 0 }, "busy")], 0)).reason).toContain("0 of 0");
  });

  it("a max_parallel set while requests are in flight counts them", () => {
    const l = new LocalLimiter(clock().now);
    const held = admitted(l.admit([key({ rpm: 100 })], 0)); // in flight before the limit exists
    expect(refused(l.admit([key({ rpm: 100, maxParallel: 1 })], 0)).reason).toContain("1 of 1 concurrent requests");
    l.finish(held, 0);
    admitted(l.admit([key({ rpm: 100, maxParallel: 1 })], 0));
  });

  it("the default clock is monotonic", () => {
    const l = new LocalLimiter();
    const s = [key({ rpm: 1 })];
    admitted(l.admit(s, 0));
    const realNow = Date.now;
    Date.now = () => realNow() - 3_600_000; // the wall clock set back an hour
    try {
      const r = refused(l.admit(s, 0));
      expect(r.waitMs).toBeLessThanOrEqual(60_000);
    } finally {
      Date.now = realNow;
    }
  });
});

describe("formatReset", () => {
  it("uses OpenAI's duration form", () => {
    expect(formatReset(17)).toBe("17ms");
    expect(formatReset(1000)).toBe("1s");
    expect(formatReset(59_001)).toBe("1m0s");
    expect(formatReset(360_000)).toBe("6m0s");
    expect(formatReset(7_503_000)).toBe("2h5m3s");
  });
});

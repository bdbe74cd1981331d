/**
 * An adversarial review of the sums owed to Redis (`budgets.owe`, src/redis/owed.ts): attempts to
 * make a budget be overspent or counted twice, or memory grow without bound. Each test asserts the
 * correct behaviour. Three of these failed when first written (a sum counted twice after Redis
 * lost its data and another instance seeded the hash; a mark left in the hash per sum; owed sums
 * overflowing the link's carry so that a settlement carried before them was refused) and pin the
 * fixes; the others pin behaviour that held under attack.
 *
 * Every Redis here is the test's own (ownRedis); some links reach it through a small TCP proxy of
 * the test's own, which can cut one instance off (refuse and drop its connections), hold what it
 * sends, or drop what Redis answers it, while other instances keep talking to Redis directly.
 * The ledger (`ledgerSpend`) is replaced by a map the test fills, so a test decides what the
 * usage table holds when a hash is seeded.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BudgetBook, type Assignment } from "../../src/budgets/book.js";
import { BUDGET_OPS, SharedBudgets } from "../../src/budgets/shared.js";
import { RedisLink } from "../../src/redis/link.js";
import { ownRedis } from "../support/own-redis.js";
import { testAssignment } from "../support/assignment.js";
import { redisProxy, type RedisProxy } from "../support/redis-proxy.js";

/** What the usage ledger holds per subject id (micro-USD), as `ledgerSpend` would sum it. */
const ledger = vi.hoisted(() => new Map<string, number>());
vi.mock("../../src/store/repos/budgets.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/store/repos/budgets.js")>()),
  ledgerSpend: (_db: unknown, _type: unknown, subjectId: string) => Promise.resolve(ledger.get(subjectId) ?? 0),
}));

const redis = await ownRedis();
if (!redis && process.env.CI === "true") throw new Error("redis-server is required in CI");
const links: RedisLink[] = [];
const proxies: RedisProxy[] = [];
let admin: RedisLink;

beforeAll(async () => {
  await redis?.start();
  if (redis) admin = await newLink(redis.url, []);
});
afterAll(async () => {
  links.forEach((l) => l.close());
  proxies.forEach((p) => p.close());
  await redis?.stop();
});

const LIMIT = 1_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newLink(url: string, sets = [BUDGET_OPS]): Promise<RedisLink> {
  const link = new RedisLink(url, sets, { log: () => {}, describeFallback: () => "this instance's own book" });
  links.push(link);
  await link.start();
  return link;
}

/** A proxy to the test's Redis for one instance's link, closed after the tests. */
async function proxy(target: string): Promise<RedisProxy> {
  const p = await redisProxy(target);
  proxies.push(p);
  return p;
}

let seq = 0;
function assignmentOf(id: string, over: Partial<Assignment["budget"]> = {}, subjectType: Assignment["subjectType"] = "key"): Assignment {
  return testAssignment(id, LIMIT, over, subjectType);
}
const hashOf = (a: Assignment) => `switchboard:budget:${a.id}:${a.periodStart.getTime()}`;
const newId = (what: string) => `${what}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

/** One gateway instance: its link (direct, or through a proxy) and its shared budgets. */
async function instance(url = redis!.url): Promise<{ link: RedisLink; shared: SharedBudgets }> {
  const link = await newLink(url);
  const shared = new SharedBudgets(link, undefined as never, new BudgetBook({ alert: () => {}, reset: () => {} }), { failure: "open" });
  return { link, shared };
}

const spendOf = async (hash: string) => Number(await admin.command(["HGET", hash, "spend"]));
const reservedOf = async (hash: string) => Number(await admin.command(["HGET", hash, "reserved"]));

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(20);
  }
  return cond();
}

/** Drops the link's connection from Redis's side (Redis keeps its data); resolves once the link knows. */
async function killConnection(link: RedisLink): Promise<void> {
  const id = Number(await link.command(["CLIENT", "ID"]));
  await admin.command(["CLIENT", "KILL", "ID", id]);
  expect(await until(() => !link.ready, 1000)).toBe(true);
}

/** Waits (bounded) until what `shared` owes is counted: b799242's `flushOwed`, or `owed.drain` of later versions. */
async function flushOwed(shared: SharedBudgets, ms: number): Promise<void> {
  const s = shared as unknown as { flushOwed?: (ms: number) => Promise<void>; owed?: { drain?: (ms: number) => Promise<void> } };
  if (typeof s.flushOwed === "function") return s.flushOwed(ms);
  return s.owed?.drain?.(ms);
}

describe.runIf(redis)("owed spend under attack", () => {
  it("after Redis lost its data, a sum owed by an instance that reconnects after another instance seeded the hash from the ledger is not counted twice (the data's epoch changed)", async () => {
    const a = assignmentOf(newId("reseed"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    // Instance A reaches Redis through a proxy (it can be cut off alone); instance B directly.
    const px = await proxy(redis!.url);
    const A = await instance(px.url);
    const B = await instance();
    const bookA = a;
    const bookB = assignmentOf(a.id);

    // A is cut off: it judges alone and spends $0.30, which the ledger records (usage is written to the database).
    px.cut(true);
    expect(await until(() => !A.link.ready, 1000)).toBe(true);
    const r = await A.shared.reserve([bookA], 400_000);
    A.shared.settle(r, 300_000);
    ledger.set(bookA.subjectId, 300_000);

    // Meanwhile Redis restarts without its data (as FLUSHALL leaves it); B's next request seeds the hash from the ledger: $0.30 spent.
    await admin.command(["FLUSHALL"]);
    await B.shared.reserve([bookB], 100_000);
    expect(await spendOf(hash)).toBe(300_000);

    // A gets through again and pays what it owes: but the seeded figure has it already.
    px.cut(false);
    expect(await until(() => A.link.ready, 3000)).toBe(true);
    await flushOwed(A.shared, 1000);
    await sleep(300);
    // $0.30 was spent in all (the ledger's figure), not $0.60: otherwise every instance refuses requests the budget still covers.
    expect(await spendOf(hash)).toBe(300_000);
  });

  it("no owed sum leaves a mark in the budget's hash that lives as long as the hash (for a budget that never resets, as long as it is used): Redis memory grows with every sum", async () => {
    const a = assignmentOf(newId("marks"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const A = await instance();
    for (let i = 1; i <= 3; i++) {
      await killConnection(A.link);
      const r = await A.shared.reserve([a], 10_000);
      A.shared.settle(r, 10_000);
      expect(await until(() => A.link.ready, 3000)).toBe(true);
      expect(await until(async () => (await spendOf(hash)) === i * 10_000, 3000)).toBe(true);
    }
    // The hash of a budget that never resets is kept 30 days past its last use, so its marks
    // (one per sum: per outage, per flap of a slow Redis) pile up for as long as it is used.
    const fields = (await admin.command(["HKEYS", hash])) as string[];
    expect(fields.sort()).toEqual(["reserved", "spend"]);
  });

  it("owed sums (one per assignment, retried anyway) do not join the link's carry for a Redis that stopped reading; once they overflow it, everything carried is refused, so the settlement of a request reserved in Redis is lost: its reservation stays and its cost never counts", async () => {
    const s = assignmentOf(newId("crowded"));
    const hash = hashOf(s);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const A = await instance();
    // A request reserved in Redis before Redis stalls.
    const shared = await A.shared.reserve([s], 500_000);
    expect(await reservedOf(hash)).toBe(500_000);
    redis!.pause();
    try {
      // Redis stops reading: more than 8 MiB wait to be written, so batches are refused unsent (NotSentError).
      const big = "x".repeat(1024 * 1024);
      for (let i = 0; i < 24; i++) A.link.command(["ECHO", big]).catch(() => {});
      await sleep(50);
      // The request ends: its settlement is carried, to lead the first batch Redis reads (as before b799242).
      A.shared.settle(shared, 400_000);
      await sleep(300);
      // Meanwhile requests of 4,200 keys with budgets are judged alone and end: 4,200 sums owed,
      // which join the carry (up to 4,096 operations) until it overflows.
      const others = Array.from({ length: 4200 }, (_, i) => assignmentOf(newId(`crowd-${i}`)));
      const local = await Promise.all(others.map((a) => A.shared.reserve([a], 2_000)));
      local.forEach((r) => A.shared.settle(r, 1_000));
      await sleep(2000);
    } finally {
      redis!.resume();
    }
    // Once Redis reads again, the settlement runs: $0.40 spent, the $0.50 reservation given back.
    expect(await until(async () => (await reservedOf(hash)) === 0 && (await spendOf(hash)) === 400_000, 4000)).toBe(true);
  });

  it("holds: a sum whose first attempt went unanswered (and ran later) is sent again with the same amount, and spend added while it is in flight is a sum of its own: each counted once", async () => {
    const a = assignmentOf(newId("retry"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const A = await instance();
    redis!.pause();
    try {
      const r1 = await A.shared.reserve([a], 200_000); // 250 ms, then judged alone
      A.shared.settle(r1, 100_000); // owed; the attempt leaves at once and goes unanswered
      await sleep(50);
      const r2 = await A.shared.reserve([a], 200_000);
      A.shared.settle(r2, 50_000); // while the first sum is in flight
      await sleep(1400); // the first sum is sent again (retry), still unanswered
    } finally {
      redis!.resume();
    }
    expect(await until(async () => (await spendOf(hash)) === 150_000, 3000)).toBe(true);
    await sleep(1300); // past another retry: a second count would show
    expect(await spendOf(hash)).toBe(150_000);
    expect(await reservedOf(hash)).toBe(0); // the late reservations were given back
  });

  it("holds: a reply lost after Redis ran the sum (connection dropped mid-send): the sum sent again is not counted again", async () => {
    const a = assignmentOf(newId("lost-reply"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const px = await proxy(redis!.url);
    const A = await instance(px.url);
    px.cut(true);
    expect(await until(() => !A.link.ready, 1000)).toBe(true);
    const r = await A.shared.reserve([a], 300_000);
    A.shared.settle(r, 300_000);
    // When A is back, its first batch (the owed sum) runs in Redis but the answer is lost.
    let first = true;
    A.link.onChange((degraded) => {
      if (!degraded && first) {
        first = false;
        px.mute(true);
      }
    });
    px.cut(false);
    expect(await until(async () => (await spendOf(hash)) === 300_000, 3000)).toBe(true);
    await sleep(300); // unanswered: given up on
    px.mute(false);
    px.drop(); // the connection goes; A connects again and sends the sum again under the same id
    expect(await until(() => A.link.ready, 3000)).toBe(true);
    await flushOwed(A.shared, 1000);
    await sleep(1300);
    expect(await spendOf(hash)).toBe(300_000);
  });

  it("holds: one reservation on a key's, a user's (track only) and a team's budget judged alone: each hash gets the cost once", async () => {
    const key = assignmentOf(newId("multi-key"), {}, "key");
    const user = assignmentOf(newId("multi-user"), { mode: "track" }, "user");
    const team = assignmentOf(newId("multi-team"), {}, "team");
    const list = [key, user, team];
    for (const a of list) await admin.command(["HSET", hashOf(a), "spend", 0, "reserved", 0]);
    const A = await instance();
    await killConnection(A.link);
    const r = await A.shared.reserve(list, 300_000);
    A.shared.settle(r, 120_000);
    A.shared.settle(r, 120_000); // settled twice by two exit paths: idempotent
    expect(await until(() => A.link.ready, 3000)).toBe(true);
    await flushOwed(A.shared, 1000);
    await sleep(200);
    for (const a of list) {
      expect(await spendOf(hashOf(a))).toBe(120_000);
      expect(await reservedOf(hashOf(a))).toBe(0);
    }
  });

  it("holds: a reservation Redis made late (given back) and the same request's cost owed: spent once, nothing left reserved", async () => {
    const a = assignmentOf(newId("late"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const A = await instance();
    redis!.pause();
    try {
      const r = await A.shared.reserve([a], 600_000);
      A.shared.settle(r, 200_000);
      await sleep(100);
    } finally {
      redis!.resume();
    }
    expect(await until(async () => (await spendOf(hash)) === 200_000 && (await reservedOf(hash)) === 0, 3000)).toBe(true);
    await sleep(1300);
    expect(await spendOf(hash)).toBe(200_000);
    expect(await reservedOf(hash)).toBe(0);
    // $0.80 left: exactly that fits, not more.
    await expect(A.shared.reserve([a], 800_001)).rejects.toThrow(/cannot cover/);
    await expect(A.shared.reserve([a], 800_000)).resolves.toBeDefined();
  });

  it("holds: SCRIPT FLUSH while an owed sum is on its way (NOSCRIPT, sent again with EVAL): counted once", async () => {
    const a = assignmentOf(newId("noscript"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const px = await proxy(redis!.url);
    const A = await instance(px.url);
    px.hold(true); // what A sends waits in the proxy
    const r = await A.shared.reserve([a], 300_000); // unanswered: judged alone
    A.shared.settle(r, 250_000);
    await sleep(50);
    await admin.command(["SCRIPT", "FLUSH"]);
    px.hold(false); // Redis gets the batches now: NOSCRIPT, then EVAL
    expect(await until(async () => (await spendOf(hash)) === 250_000 && (await reservedOf(hash)) === 0, 3000)).toBe(true);
    await sleep(1300);
    expect(await spendOf(hash)).toBe(250_000);
    expect(await reservedOf(hash)).toBe(0);
  });

  it("holds: sums owed on more assignments than one batch holds (600 > 512 operations) are all counted, once", async () => {
    const list = Array.from({ length: 600 }, (_, i) => assignmentOf(newId(`many-${i}`)));
    await Promise.all(list.map((a) => admin.command(["HSET", hashOf(a), "spend", 0, "reserved", 0])));
    const A = await instance();
    await killConnection(A.link);
    for (const a of list) A.shared.settle(await A.shared.reserve([a], 2_000), 1_000);
    expect(await until(() => A.link.ready, 3000)).toBe(true);
    await flushOwed(A.shared, 2000);
    await sleep(1300);
    const spends = await Promise.all(list.map((a) => spendOf(hashOf(a))));
    expect(spends.filter((s) => s !== 1_000)).toEqual([]);
  });

  it("holds: at shutdown with Redis paused, the wait for what is owed is bounded, and the sum is counted at most once when Redis resumes", async () => {
    const a = assignmentOf(newId("shutdown"));
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const A = await instance();
    redis!.pause();
    let waited = 0;
    try {
      const r = await A.shared.reserve([a], 100_000);
      A.shared.settle(r, 70_000);
      const t = Date.now();
      await flushOwed(A.shared, 500);
      waited = Date.now() - t;
      A.link.close();
    } finally {
      redis!.resume();
    }
    expect(waited).toBeLessThan(1000);
    await sleep(300);
    expect([0, 70_000]).toContain(await spendOf(hash));
  });
});

/**
 * An adversarial review of the data epoch (`switchboard:epoch`, read by every batch), of ops the
 * link must not carry (`carry: false`) and of reservations extended for a retry
 * (`extendReservation`). Each test asserts the correct behaviour: those named "holds" pinned
 * behaviour that held under attack; the other failed when written (a settlement after Redis lost
 * its data gave back other requests' reservations) and pins the fix. Two more cases the review
 * found (a cost spent alone across a data loss, after another instance seeded the hash again; a
 * cost spent alone before another instance first seeded a hash) are described in docs/budgets.md.
 *
 * Every Redis here is the test's own (ownRedis); some links reach it through a TCP proxy that can
 * cut one instance off while others keep talking to Redis. The ledger (`ledgerSpend`) is a map the
 * test fills, so a test decides what the usage table holds when a hash is seeded.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BudgetBook, extendReservation, type Assignment } from "../../src/budgets/book.js";
import { BUDGET_OPS, SharedBudgets } from "../../src/budgets/shared.js";
import { EPOCH_KEY, RedisLink } from "../../src/redis/link.js";
import { ownRedis } from "../support/own-redis.js";
import { testAssignment } from "../support/assignment.js";
import { redisProxy, type RedisProxy } from "../support/redis-proxy.js";

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
const newId = (what: string) => `${what}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
const hashOf = (a: Assignment) => `switchboard:budget:${a.id}:${a.periodStart.getTime()}`;

async function instance(url = redis!.url): Promise<{ link: RedisLink; shared: SharedBudgets; book: BudgetBook }> {
  const link = await newLink(url);
  const book = new BudgetBook({ alert: () => {}, reset: () => {} });
  const shared = new SharedBudgets(link, undefined as never, book, { failure: "open" });
  return { link, shared, book };
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

describe.runIf(redis)("epoch, carry and extended reservations under attack", () => {
  it("a reservation made in Redis before Redis lost its data, settled after the hash was reseeded, does not give back reservations it never held there (other requests' reservations)", async () => {
    const a = testAssignment(newId("stale-release"), LIMIT);
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const A = await instance();
    const B = await instance();
    const ra = await A.shared.reserve([a], 500_000);
    await admin.command(["FLUSHALL"]);
    ledger.set(a.subjectId, 0);
    const bookB = testAssignment(a.id, LIMIT);
    // Two requests on B reserve the whole budget in the reseeded hash.
    await B.shared.reserve([bookB], 500_000);
    await B.shared.reserve([bookB], 500_000);
    expect(await reservedOf(hash)).toBe(1_000_000);
    // A's request (reserved against the lost data) ends without cost.
    A.shared.settle(ra, 0);
    await sleep(100);
    // The reseeded hash never held A's $0.50: B's two reservations still hold the whole budget.
    expect(await reservedOf(hash)).toBe(1_000_000);
    await expect(B.shared.reserve([bookB], 500_000)).rejects.toThrow(/cannot cover/);
  });

  it("holds: a batch that cannot leave refuses its carry:false ops at once and carries the others, keys and arguments intact whatever their counts (filtered)", async () => {
    const px = await proxy(redis!.url);
    const link = await newLink(px.url);
    const x = testAssignment(newId("carried-x"), LIMIT);
    const y = testAssignment(newId("carried-y"), LIMIT);
    for (const h of [hashOf(x), hashOf(y)]) await admin.command(["HSET", h, "spend", 0, "reserved", 100]);
    const results: Array<Promise<string>> = [];
    const tag = (p: Promise<unknown>) =>
      results.push(
        p.then(
          (v) => `ok ${JSON.stringify(v)}`,
          (e: Error) => `err ${e.message}`,
        ),
      );
    let armed = true;
    link.beforeSend(() => {
      if (!armed) return;
      armed = false;
      // owe: 3 keys, 4 args (not carried); settle: 2 keys, 8 args; reserve: 2 keys, 8 args; owe again; settle of y.
      tag(link.call("budgets.owe", [hashOf(x), "m1", EPOCH_KEY], [7, 0, 1000, ""], undefined, { carry: false }));
      tag(link.call("budgets.settle", [hashOf(x), EPOCH_KEY], [11, 0, LIMIT, 0, "", 2, 50, 90]));
      tag(link.call("budgets.reserve", [hashOf(x), hashOf(y)], [5, 2, LIMIT, 1, -1, LIMIT, 1, -1]));
      tag(link.call("budgets.owe", [hashOf(y), "m2", EPOCH_KEY, "extra-key"], [13, 0, 1000, "", "extra-arg"], undefined, { carry: false }));
      tag(link.call("budgets.settle", [hashOf(y), EPOCH_KEY], [17, 100, LIMIT, 0, "", 0]));
    });
    px.cut(true);
    expect(await until(() => !link.ready, 1000)).toBe(true);
    link.wake();
    expect(await until(() => results.length === 5, 1000)).toBe(true);
    px.cut(false);
    expect(await until(() => link.ready, 3000)).toBe(true);
    link.wake();
    const out = await Promise.all(results);
    expect(out[0]).toMatch(/^err /);
    expect(out[3]).toMatch(/^err /);
    expect(out[1]).toBe("ok [11]");
    expect(out[2]).toBe("ok [0,11,105,0,105]");
    expect(out[4]).toBe("ok [17]");
    expect(await reservedOf(hashOf(y))).toBe(5);
    expect(await admin.command(["EXISTS", "m1", "m2"])).toBe(0);
  });

  it("holds: a retry's extra reservation held elsewhere (Redis reservation, then the book's while Redis is cut off) is given back in each place once, however often the request is settled", async () => {
    const a = testAssignment(newId("extend"), LIMIT);
    const hash = hashOf(a);
    await admin.command(["HSET", hash, "spend", 0, "reserved", 0]);
    const px = await proxy(redis!.url);
    const A = await instance(px.url);
    const r = await A.shared.reserve([a], 200_000);
    expect(r.shared).toBe(true);
    px.cut(true);
    expect(await until(() => !A.link.ready, 1000)).toBe(true);
    const more = await A.shared.reserve([a], 100_000);
    expect(more.shared).toBe(false);
    extendReservation(r, more);
    expect(r.entries[0].micros).toBe(200_000);
    expect(a.reservedMicros).toBe(300_000);
    px.cut(false);
    expect(await until(() => A.link.ready, 3000)).toBe(true);
    A.shared.settle(r, 150_000);
    A.shared.settle(r, 150_000);
    expect(more.settled).toBe(true);
    expect(await until(async () => (await reservedOf(hash)) === 0 && (await spendOf(hash)) === 150_000, 2000)).toBe(true);
    expect(a.reservedMicros).toBe(0);
    await sleep(200);
    expect(await spendOf(hash)).toBe(150_000);
    expect(A.shared.owed.size).toBe(0);
  });
});

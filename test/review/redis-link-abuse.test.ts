/**
 * Shared budgets when Redis answers late, drops the connection or loses its data. A reservation
 * that Redis holds must be given back when the request ends, or the budget stays blocked for
 * everyone until its hash expires (a whole period; 30 days for a budget that never resets)
 * although nothing was spent; and a cost must count in Redis, or other instances spend it again.
 *
 * A settlement that could not leave while the connection was down waits for it (the link carries
 * the ends of requests); a reservation Redis made after the link stopped waiting is given back
 * (`late`); a settlement that finds the hash gone does not recreate it with its own cost alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetBook, type Assignment } from "../../src/budgets/book.js";
import { BUDGET_OPS, SharedBudgets } from "../../src/budgets/shared.js";
import { RedisLink } from "../../src/redis/link.js";
import { ownRedis } from "../support/own-redis.js";
import { testAssignment } from "../support/assignment.js";

const redis = await ownRedis();
const links: RedisLink[] = [];

beforeAll(async () => {
  await redis?.start();
});
afterAll(async () => {
  links.forEach((l) => l.close());
  await redis?.stop();
});

const LIMIT = 1_000_000;
const REQUEST_MAX = 600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A budget of $1 on one key, its Redis hash seeded (nothing spent), behind a link of its own. */
async function budgetBehindLink(id: string): Promise<{ link: RedisLink; shared: SharedBudgets; assignment: Assignment; hash: string }> {
  const link = new RedisLink(redis!.url, [BUDGET_OPS], { log: () => {}, describeFallback: () => "this instance's own book" });
  links.push(link);
  await link.start();
  const assignment = testAssignment(id, LIMIT);
  const hash = `switchboard:budget:${id}:0`;
  await link.command(["HSET", hash, "spend", 0, "reserved", 0]);
  // The ledger is never read: the hash is seeded above.
  const shared = new SharedBudgets(link, undefined as never, new BudgetBook({ alert: () => {}, reset: () => {} }), { failure: "open" });
  return { link, shared, assignment, hash };
}

describe.runIf(redis)("shared budgets when Redis answers late or not at all", () => {
  it("a reservation Redis applied after the link gave up on it is given back as soon as Redis answers", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(`late-${Math.random()}`);
    redis!.pause();
    // The link gives up after 250 ms; the request goes on under the local book (failure: open).
    const reserving = shared.reserve([assignment], REQUEST_MAX);
    await sleep(400);
    redis!.resume();
    const reservation = await reserving;
    // Redis runs the batch it was sent once it answers again, and its late answer gives the reservation back.
    await sleep(100);
    expect(Number(await link.command(["HGET", hash, "reserved"]))).toBe(0);
    // The request ends having spent nothing (judged by the local book meanwhile): nothing more to give back.
    shared.settle(reservation, 0);
    await sleep(100);
    expect(Number(await link.command(["HGET", hash, "reserved"]))).toBe(0);
    // So the next request of the same size fits the untouched budget.
    await expect(shared.reserve([assignment], REQUEST_MAX)).resolves.toBeDefined();
  });

  it("a settlement the link could not send (the connection dropped) is sent once Redis is back", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(`dropped-${Math.random()}`);
    const reservation = await shared.reserve([assignment], REQUEST_MAX);
    expect(Number(await link.command(["HGET", hash, "reserved"]))).toBe(REQUEST_MAX);
    // The connection drops (Redis itself keeps its data) just as the request ends.
    const id = Number(await link.command(["CLIENT", "ID"]));
    const admin = new RedisLink(redis!.url, [], { log: () => {}, describeFallback: () => "" });
    links.push(admin);
    await admin.start();
    await admin.command(["CLIENT", "KILL", "ID", id]);
    for (let i = 0; i < 100 && link.ready; i++) await sleep(5);
    expect(link.ready).toBe(false);
    shared.settle(reservation, 100_000);
    for (let i = 0; i < 50 && !link.ready; i++) await sleep(50);
    expect(link.ready).toBe(true);
    await sleep(100);
    expect(await link.command(["HMGET", hash, "spend", "reserved"])).toEqual(["100000", "0"]);
  });

  it("a request that ends after Redis lost its data does not make the budget forget what was spent before", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(`restarted-${Math.random()}`);
    // $0.90 of the $1 was spent before (the ledger has it; Redis was seeded with it).
    await link.command(["HSET", hash, "spend", 900_000]);
    const reservation = await shared.reserve([assignment], 50_000);
    // Redis restarts without its data while the request is in flight.
    await link.command(["FLUSHALL"]);
    shared.settle(reservation, 1);
    await sleep(100);
    // The next request must be judged against the ledger's $0.90 (a missing hash is seeded from
    // the ledger), not against the $0.000001 the settlement wrote into an empty Redis.
    expect(await link.command(["HGET", hash, "spend"])).not.toBe("1");
  });
});

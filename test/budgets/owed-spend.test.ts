/**
 * Spend of requests an instance judged alone while Redis did not answer (`limits.redis_failure:
 * open`) is owed to Redis and counted there once Redis answers again, exactly once per sum even
 * when a first attempt went unanswered and ran later.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetBook, extendReservation, type Assignment } from "../../src/budgets/book.js";
import { BUDGET_OPS, SharedBudgets } from "../../src/budgets/shared.js";
import { EPOCH_KEY, RedisLink } from "../../src/redis/link.js";
import { ownRedis } from "../support/own-redis.js";
import { testAssignment } from "../support/assignment.js";

const redis = await ownRedis();
if (!redis && process.env.CI === "true") throw new Error("redis-server is required in CI");
const links: RedisLink[] = [];

beforeAll(async () => {
  await redis?.start();
});
afterAll(async () => {
  links.forEach((l) => l.close());
  await redis?.stop();
});

const LIMIT = 1_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newLink(): Promise<RedisLink> {
  const link = new RedisLink(redis!.url, [BUDGET_OPS], { log: () => {}, describeFallback: () => "this instance's own book" });
  links.push(link);
  await link.start();
  return link;
}

/** A budget of $1 on one key, its Redis hash seeded with `spent`, behind a link of its own. */
async function budgetBehindLink(spent = 0): Promise<{ link: RedisLink; shared: SharedBudgets; assignment: Assignment; hash: string }> {
  const id = `owed-${Math.random().toString(36).slice(2)}`;
  const link = await newLink();
  const assignment = testAssignment(id, LIMIT);
  const hash = `switchboard:budget:${id}:0`;
  await link.command(["HSET", hash, "spend", spent, "reserved", 0]);
  // The ledger is never read: the hash is seeded above.
  const shared = new SharedBudgets(link, undefined as never, new BudgetBook({ alert: () => {}, reset: () => {} }), { failure: "open" });
  return { link, shared, assignment, hash };
}

const spendOf = async (link: RedisLink, hash: string) => Number(await link.command(["HGET", hash, "spend"]));

describe.runIf(redis)("spend owed to Redis by an instance that judged alone", () => {
  it("budgets.owe counts a sum once per mark (the mark expires), and drops one owed to data Redis has lost (a hash that is gone, or a new epoch)", async () => {
    const { link, hash } = await budgetBehindLink(500);
    for (let i = 0; i < 100 && !link.epoch; i++) await sleep(5);
    const epoch = link.epoch!;
    expect(await link.command(["GET", EPOCH_KEY])).toBe(epoch);
    const mark = `switchboard:owed:test-${Math.random()}`;
    const owe = (n: number, sum: number, key = hash, owedTo = epoch) => link.call("budgets.owe", [key, `${mark}:${n}`, EPOCH_KEY], [sum, 0, 60_000, owedTo]);
    expect(await owe(1, 100)).toBe(1);
    expect(await owe(1, 100)).toBe(0);
    expect(await spendOf(link, hash)).toBe(600);
    expect(Number(await link.command(["PTTL", `${mark}:1`]))).toBeGreaterThan(50_000);
    expect(await owe(2, 100)).toBe(1);
    expect(await spendOf(link, hash)).toBe(700);
    // A sum of an instance that never learnt the epoch counts as long as the hash is there.
    expect(await owe(3, 100, hash, "")).toBe(1);
    expect(await spendOf(link, hash)).toBe(800);
    const gone = `${hash}:gone`;
    expect(await owe(4, 100, gone)).toBe(-1);
    expect(await link.command(["EXISTS", gone])).toBe(0);
    // Owed to data this Redis no longer holds (it was replaced, and the hash seeded again from the ledger).
    expect(await owe(5, 100, hash, "an-older-epoch")).toBe(-2);
    expect(await spendOf(link, hash)).toBe(800);
  });

  it("a Redis that lost its data drops what was owed to it, even once another instance has seeded the hash again from the ledger (which has those costs)", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(0);
    for (let i = 0; i < 100 && !link.epoch; i++) await sleep(5);
    const admin = await newLink();
    await admin.command(["CLIENT", "KILL", "ID", Number(await link.command(["CLIENT", "ID"]))]);
    for (let i = 0; i < 100 && link.ready; i++) await sleep(5);
    const r = await shared.reserve([assignment], 300_000);
    shared.settle(r, 300_000);
    // Meanwhile Redis loses its data, and another instance names the new data and seeds the hash
    // from the ledger, which has the $0.30 (a new epoch, as every instance's link sets on a Redis without one).
    await admin.command(["FLUSHALL"]);
    await admin.command(["SET", EPOCH_KEY, "after-the-loss"]);
    await admin.command(["HSET", hash, "spend", 300_000, "reserved", 0]);
    for (let i = 0; i < 50 && !link.ready; i++) await sleep(50);
    await shared.owed.drain(1000);
    expect(shared.owed.size).toBe(0);
    expect(await spendOf(admin, hash)).toBe(300_000);
    expect(link.epoch).toBe("after-the-loss");
  });

  it("what two requests spent while Redis was paused is in Redis's spend once it answers, once, though the first attempt to send it went unanswered", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(100_000);
    redis!.pause();
    // Two requests judged by this instance alone (the link gives up after 250 ms).
    const [r1, r2] = await Promise.all([shared.reserve([assignment], 300_000), shared.reserve([assignment], 300_000)]);
    shared.settle(r1, 200_000);
    shared.settle(r2, 50_000);
    // The sum leaves with the next batch and goes unanswered too: Redis will run it when it resumes.
    await sleep(400);
    expect(link.degraded).toBe(true);
    redis!.resume();
    // Redis answers again: the late batch runs, the sum is sent again under the same id (after
    // at most a second, or as soon as a request's batch is answered) and counted once.
    for (let i = 0; i < 60 && (await spendOf(link, hash)) === 100_000; i++) await sleep(50);
    await sleep(1300); // past the retry: a second count would show
    expect(await spendOf(link, hash)).toBe(350_000);
    // The next reservation is judged with it: $0.35 spent, $0.65 left.
    await expect(shared.reserve([assignment], 700_000)).rejects.toThrow(/cannot cover/);
    await expect(shared.reserve([assignment], 650_000)).resolves.toBeDefined();
  });

  it("the first request judged once Redis answers again is judged with what was spent meanwhile (the sum leads its batch)", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(0);
    // The connection drops (Redis keeps its data) and requests are judged alone meanwhile.
    const admin = await newLink();
    const id = Number(await link.command(["CLIENT", "ID"]));
    await admin.command(["CLIENT", "KILL", "ID", id]);
    for (let i = 0; i < 100 && link.ready; i++) await sleep(5);
    expect(link.ready).toBe(false);
    const r = await shared.reserve([assignment], 900_000);
    shared.settle(r, 900_000);
    for (let i = 0; i < 50 && !link.ready; i++) await sleep(50);
    expect(link.ready).toBe(true);
    // Asked at once: the owed $0.90 is counted in the same batch, ahead of this reservation.
    await expect(shared.reserve([assignment], 200_000)).rejects.toThrow(/cannot cover/);
    expect(await spendOf(link, hash)).toBe(900_000);
  });

  it("more reserved for a retry while Redis does not answer (held in the book) is given back in the book, not taken off what Redis holds for other requests", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(0);
    const first = await shared.reserve([assignment], 100_000);
    await shared.reserve([assignment], 200_000); // another request, still running
    expect(Number(await link.command(["HGET", hash, "reserved"]))).toBe(300_000);
    redis!.pause();
    // The first request's attempt failed after spending; its retry needs $0.05 more, judged alone.
    const more = await shared.reserve([assignment], 50_000);
    extendReservation(first, more);
    redis!.resume();
    await sleep(300); // Redis runs the late reservation and the link gives it back
    expect(Number(await link.command(["HGET", hash, "reserved"]))).toBe(300_000);
    shared.settle(first, 80_000);
    for (let i = 0; i < 40 && Number(await link.command(["HGET", hash, "reserved"])) === 300_000; i++) await sleep(25);
    // Redis gives back the $0.10 it held for the first request, no more: the other request's $0.20 stays.
    expect(await link.command(["HMGET", hash, "reserved", "spend"])).toEqual(["200000", "80000"]);
  });

  it("at shutdown an instance waits (briefly) until what it owes is counted", async () => {
    const { link, shared, assignment, hash } = await budgetBehindLink(0);
    const admin = await newLink();
    await admin.command(["CLIENT", "KILL", "ID", Number(await link.command(["CLIENT", "ID"]))]);
    for (let i = 0; i < 100 && link.ready; i++) await sleep(5);
    const r = await shared.reserve([assignment], 100_000);
    shared.settle(r, 70_000);
    for (let i = 0; i < 50 && !link.ready; i++) await sleep(50);
    await shared.owed.drain(500);
    expect(shared.owed.size).toBe(0);
    expect(await admin.command(["HGET", hash, "spend"])).toBe("70000");
  });
});

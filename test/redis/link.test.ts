/**
 * The Redis link (src/redis/link.ts): operations asked for in one turn leave in one call, each
 * answer goes to its caller, the ends merged by `beforeSend` go first, and a Redis that does not
 * answer fails the batch in bounded time, is logged once, and is used again when it answers.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { RedisLink, type RedisOpSet } from "../../src/redis/link.js";
import type { RespConnection } from "../../src/redis/resp.js";
import { ownRedis, type OwnRedis } from "../support/own-redis.js";
import { redisTestServer } from "../support/redis.js";

const OPS: RedisOpSet = {
  ops: [
    // Appends ARGV[a + 1] to the list KEYS[k] and answers the list's length.
    { name: "push", lua: "return redis.call('RPUSH', KEYS[k], ARGV[a + 1])" },
    { name: "fail", lua: "return redis.call('INCR', KEYS[k])" }, // fails on a list
    { name: "echo", lua: "return { ARGV[a + 1], ARGV[a + 2] }" },
  ],
};

const url = await redisTestServer();
const links: RedisLink[] = [];
const own: OwnRedis[] = [];
afterAll(async () => {
  links.forEach((l) => l.close());
  await Promise.all(own.map((r) => r.stop()));
});

async function linkTo(target: string, log: (l: string) => void = () => {}): Promise<RedisLink> {
  const l = new RedisLink(target, [OPS], { log, describeFallback: () => "falling back" });
  links.push(l);
  await l.start();
  return l;
}

/** Counts the batches the link sends (each one EVALSHA on its connection). */
function batches(l: RedisLink): { readonly count: number } {
  const spy = vi.spyOn((l as unknown as { conn: RespConnection }).conn, "send");
  return {
    get count() {
      return spy.mock.calls.filter(([args]) => args[0] === "EVALSHA" || args[0] === "EVAL").length;
    },
  };
}

describe.runIf(url)("the Redis link", () => {
  it("sends every operation asked for in one turn as one call, runs them in order and answers each caller", async () => {
    const l = await linkTo(url!);
    const spy = batches(l);
    const key = `test:link:${Math.random()}`;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => l.call("push", [key], [i])));
    expect(spy.count).toBe(1);
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await l.command(["LRANGE", key, 0, -1])).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    // The next turn is the next call.
    expect(await l.call("echo", [], ["a", 2])).toEqual(["a", "2"]);
    expect(spy.count).toBe(2);
    await l.command(["DEL", key]);
  });

  it("an operation that fails in Redis fails alone", async () => {
    const l = await linkTo(url!);
    const key = `test:link:${Math.random()}`;
    const [a, b, c] = await Promise.allSettled([l.call("push", [key], ["x"]), l.call("fail", [key], []), l.call("push", [key], ["y"])]);
    expect(a).toEqual({ status: "fulfilled", value: 1 });
    expect(b.status).toBe("rejected");
    expect(String((b as PromiseRejectedResult).reason)).toContain("WRONGTYPE");
    expect(c).toEqual({ status: "fulfilled", value: 2 });
    expect(l.degraded).toBe(false);
    await l.command(["DEL", key]);
  });

  it("what beforeSend adds leaves in the same call, ahead of the turn's operations; wake() sends it alone within 2 ms", async () => {
    const l = await linkTo(url!);
    const key = `test:link:${Math.random()}`;
    const ended: string[] = [];
    l.beforeSend(() => {
      for (const v of ended.splice(0)) void l.call("push", [key], [v]);
    });
    const spy = batches(l);
    const started = l.call("push", [key], ["started"]);
    ended.push("ended-1", "ended-2");
    await started;
    expect(spy.count).toBe(1);
    expect(await l.command(["LRANGE", key, 0, -1])).toEqual(["ended-1", "ended-2", "started"]);
    ended.push("ended-3");
    l.wake();
    await new Promise((r) => setTimeout(r, 20));
    expect(spy.count).toBe(2); // alone, no request opened a batch meanwhile
    await l.call("echo", [], [1, 2]);
    expect(spy.count).toBe(3);
    expect(await l.command(["LRANGE", key, 0, -1])).toEqual(["ended-1", "ended-2", "started", "ended-3"]);
    await l.command(["DEL", key]);
  });

  it("refuses an operation it does not know", async () => {
    const l = await linkTo(url!);
    await expect(l.call("nope", [], [])).rejects.toThrow("unknown Redis operation 'nope'");
  });
});

describe.runIf(url)("the Redis link when Redis stops answering (a redis-server of the test's own)", () => {
  it("fails the batch within 250 ms, logs once, and is used again as soon as Redis answers", async () => {
    const r = await ownRedis();
    if (!r) return;
    own.push(r);
    await r.start();
    const lines: string[] = [];
    const l = await linkTo(r.url, (line) => lines.push(line));
    expect(await l.call("echo", [], [1, 2])).toEqual(["1", "2"]);
    r.pause();
    const t0 = Date.now();
    const settled = await Promise.allSettled([l.call("echo", [], [1, 2]), l.call("echo", [], [3, 4])]);
    const waited = Date.now() - t0;
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toContain("no answer in 250 ms");
    expect(waited).toBeGreaterThanOrEqual(240);
    expect(waited).toBeLessThan(1000);
    expect(l.degraded).toBe(true);
    await Promise.allSettled([l.call("echo", [], [5, 6])]); // still down: no second log line
    expect(lines).toEqual(["redis: not answering (no answer in 250 ms): falling back until Redis answers"]);
    r.resume();
    let answered: unknown;
    for (let i = 0; i < 50 && answered === undefined; i++) {
      answered = await l.call("echo", [], [7, 8]).catch(() => undefined);
      if (answered === undefined) await new Promise((res) => setTimeout(res, 100));
    }
    expect(answered).toEqual(["7", "8"]);
    expect(l.degraded).toBe(false);
    expect(lines[1]).toBe("redis: answering again: limits and budgets are shared through Redis again");
  });
});

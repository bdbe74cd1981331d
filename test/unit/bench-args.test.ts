/** The benchmark's flags (src/bench/args.ts), its Redis mode's refusals and the report's limits header. */
import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "../../src/bench/args.js";
import { runBench } from "../../src/bench/index.js";
import { freePort } from "../../src/bench/procs.js";
import { randomBytes } from "node:crypto";
import { checkRedis, displayRedisUrl, expectCountsInRedis, expectNoCountsInRedis, redisKeysOf } from "../../src/bench/redis.js";
import { formatReport, type BenchReport } from "../../src/bench/report.js";
import { redisCommand, redisTestServer } from "../support/redis.js";

describe("bench flags", () => {
  it("takes --redis-url with a space or an equals sign, beside the other flags", () => {
    expect(parseBenchArgs(["--redis-url", "redis://127.0.0.1:6379", "--kinds", "fixed-rate"])).toEqual({ redisUrl: "redis://127.0.0.1:6379", kinds: ["fixed-rate"] });
    expect(parseBenchArgs(["--redis-url=redis://:pw@h:1/2"])).toEqual({ redisUrl: "redis://:pw@h:1/2" });
    expect(parseBenchArgs(["--json"])).toEqual({ json: true }); // no Redis unless asked for
  });

  it("takes the /v1/messages target and the metrics switch", () => {
    expect(parseBenchArgs(["--targets", "direct,gateway,messages", "--metrics", "off"])).toEqual({ targets: ["direct", "gateway", "messages"], metrics: false });
    expect(parseBenchArgs(["--metrics=on"])).toEqual({ metrics: true });
    expect(() => parseBenchArgs(["--metrics", "maybe"])).toThrow('--metrics needs on or off, got "maybe"');
  });

  it("refuses the /v1/messages target without the gateway it is measured on", async () => {
    await expect(runBench({ targets: ["direct", "messages"], out: () => {}, log: () => {} })).rejects.toThrow("--targets messages measures the gateway's /v1/messages: add gateway");
  });

  it("refuses --redis-url without a value", () => {
    expect(() => parseBenchArgs(["--redis-url"])).toThrow("--redis-url needs a redis:// URL");
    expect(() => parseBenchArgs(["--redis-url="])).toThrow("--redis-url needs a redis:// URL");
  });
});

describe("bench --redis-url refusals, before anything starts", () => {
  /** runBench with progress and output captured: a refusal must come before either. */
  async function refusal(opts: Parameters<typeof runBench>[0]): Promise<{ message: string; logged: string[] }> {
    const logged: string[] = [];
    const error = await runBench({ ...opts, log: (l) => logged.push(l), out: (t) => logged.push(t), env: {} }).then(
      () => new Error("runBench did not refuse"),
      (e: Error) => e,
    );
    return { message: error.message, logged };
  }

  it("refuses a Redis that does not answer, in one line naming the URL", async () => {
    const port = await freePort(); // nothing listens there
    const { message, logged } = await refusal({ redisUrl: `redis://127.0.0.1:${port}` });
    expect(message).toMatch(new RegExp(`^--redis-url redis://127\\.0\\.0\\.1:${port}: Redis does not answer \\(.*ECONNREFUSED.*\\)$`));
    expect(message).not.toContain("\n");
    expect(logged).toEqual([]); // no process was started, nothing was printed
  });

  it("refuses what is not a redis:// URL, and hides a password", async () => {
    expect((await refusal({ redisUrl: "http://127.0.0.1:6379" })).message).toBe('--redis-url needs a redis:// or rediss:// URL, got "http://127.0.0.1:6379"');
    expect((await refusal({ redisUrl: "127.0.0.1:6379" })).message).toBe('--redis-url needs a redis:// or rediss:// URL, got "127.0.0.1:6379"');
    const port = await freePort();
    const { message } = await refusal({ redisUrl: `redis://:s3cret@127.0.0.1:${port}` });
    expect(message).toContain(`--redis-url redis://:***@127.0.0.1:${port}: Redis does not answer`);
    expect(message).not.toContain("s3cret");
  });

  it("refuses the Redis mode where no rate-limit check would run", async () => {
    const a = await refusal({ redisUrl: "redis://127.0.0.1:6379", virtualKey: false });
    expect(a).toEqual({ message: "--redis-url measures the rate-limit check, which runs on the virtual key: drop --master-key", logged: [] });
    const b = await refusal({ redisUrl: "redis://127.0.0.1:6379", targets: ["direct", "passthrough"] });
    expect(b).toEqual({ message: "--redis-url applies to the gateway, which --targets leaves out", logged: [] });
  });

  it("accepts a Redis that answers", async (ctx) => {
    const url = await redisTestServer();
    if (!url) return ctx.skip();
    await expect(checkRedis(url)).resolves.toBeUndefined();
  });

  it("finds the Redis keys named after the bench key's id, and only those", async (ctx) => {
    const url = await redisTestServer();
    if (!url) return ctx.skip();
    const id = `key_${randomBytes(10).toString("hex")}`;
    const other = `key_${randomBytes(10).toString("hex")}`;
    expect(await redisKeysOf(url, id)).toEqual([]); // a new key: nothing counted yet
    await expect(expectNoCountsInRedis(url, id)).resolves.toBeUndefined();
    await expect(expectCountsInRedis(url, id)).rejects.toThrow(`--redis-url: the gateway answered, but Redis holds no counts of the bench key ${id}: its limits were not checked in Redis`);
    const mine = [`switchboard:rl:key:${id}:m`, `switchboard:rl:key:${id}:t`];
    try {
      for (const k of [...mine, `switchboard:rl:key:${other}:m`]) await redisCommand(url, "HSET", k, "1", "1");
      expect(await redisKeysOf(url, id)).toEqual(mine);
      await expect(expectCountsInRedis(url, id)).resolves.toBeUndefined();
      await expect(expectNoCountsInRedis(url, id)).rejects.toThrow(`--redis-url: Redis already holds counts of the new bench key ${id} (${mine.join(", ")}): refusing to measure on them`);
    } finally {
      await redisCommand(url, "DEL", ...mine, `switchboard:rl:key:${other}:m`);
    }
  });
});

describe("bench report header", () => {
  const report = (settings: Partial<BenchReport["settings"]>): string =>
    formatReport({
      settings: { durationSec: 1, warmupSec: 1, threads: 1, connections: 32, rate: 3000, pinned: true, store: "postgres", auth: "virtual key", loadAvgAtStart: 0, ...settings },
      scenarios: [],
      targets: [],
      notes: [],
    });

  it("names where the limits are counted", () => {
    expect(report({ limits: "redis", redisUrl: displayRedisUrl("redis://:pw@10.0.0.5:6380/1") })).toContain(
      '; limits: in process ("gateway") and in Redis ("gateway-redis", redis://:***@10.0.0.5:6380/1); ',
    );
    expect(report({ limits: "redis", redisUrl: displayRedisUrl("redis://127.0.0.1:6379") })).toContain('; limits: in process ("gateway") and in Redis ("gateway-redis", redis://127.0.0.1:6379); ');
    expect(report({ limits: "in process" })).toContain("; limits: in process; ");
    expect(report({ limits: "none", auth: "master key" })).toContain("; limits: none (master key); ");
    expect(report({})).not.toContain("limits:"); // a report from before the setting
  });
});

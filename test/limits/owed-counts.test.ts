/**
 * `limits.owe`: what an instance admitted alone while Redis did not answer, counted in a subject's
 * windows once per mark, only in the windows the subject has.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { LIMIT_OPS } from "../../src/limits/redis-ops.js";
import { RedisLink } from "../../src/redis/link.js";
import { ownRedis } from "../support/own-redis.js";

const redis = await ownRedis();
if (!redis && process.env.CI === "true") throw new Error("redis-server is required in CI");
let link: RedisLink;

beforeAll(async () => {
  await redis?.start();
  if (!redis) return;
  link = new RedisLink(redis.url, [LIMIT_OPS], { log: () => {}, describeFallback: () => "" });
  await link.start();
});
afterAll(async () => {
  link?.close();
  await redis?.stop();
});

it.runIf(redis)("counts requests and tokens once per mark, in the windows the subject has, and keeps the mark for the time asked", async () => {
  const key = `switchboard:rl:key:owed-${Math.random()}`;
  const mark = `switchboard:owed:test-${Math.random()}`;
  // rpm and tpm, no rpd: 3 requests and 120 tokens.
  expect(await link.call("limits.owe", [key, `${mark}:1`], [60_000, 3, 120, 1, 1, 0])).toBe(1);
  expect(await link.call("limits.owe", [key, `${mark}:1`], [60_000, 3, 120, 1, 1, 0])).toBe(0);
  expect(await link.command(["HMGET", key, "msum", "tsum", "dsum"])).toEqual(["3", "120", null]);
  expect(Number(await link.command(["PTTL", `${mark}:1`]))).toBeGreaterThan(50_000);
  // Another sum adds to the same windows; a subject with only rpd counts only there.
  expect(await link.call("limits.owe", [key, `${mark}:2`], [60_000, 1, 40, 1, 1, 0])).toBe(1);
  expect(await link.command(["HMGET", key, "msum", "tsum"])).toEqual(["4", "160"]);
  const daily = `${key}:daily`;
  expect(await link.call("limits.owe", [daily, `${mark}:3`], [60_000, 2, 500, 0, 0, 1])).toBe(1);
  expect(await link.command(["HMGET", daily, "msum", "tsum", "dsum"])).toEqual([null, null, "2"]);
});

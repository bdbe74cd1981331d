#!/usr/bin/env node
// The Redis link's own latency, apart from the rest of the gateway: a fixed-rate stream of
// simulated requests against a Redis, each doing 100 µs of CPU work (as the gateway does before
// its limit check), one rate-limit-like and one budget-like operation in the same batch through
// <root>'s link (dist/redis/link.js), then 50 µs more. Prints p50/p90/p99 of each request's time
// from its start to its end, so the floor a request pays for Redis on this machine is known
// (the CPU work alone is 0.15 ms). Bounded: [seconds] × [rate] requests. Build first (npm run build).
//   node scripts/redis-link-latency.mjs <root> [rate 3000] [seconds 4] [redis-url redis://127.0.0.1:6379]
// e.g. taskset -c 0 node scripts/redis-link-latency.mjs "$PWD" 300 3
const [root, rateArg = "3000", secsArg = "4", url = "redis://127.0.0.1:6379"] = process.argv.slice(2);
if (!root) {
  console.error("usage: node scripts/redis-link-latency.mjs <root> [rate] [seconds] [redis-url]");
  process.exit(2);
}
const rate = Number(rateArg);
const total = Math.min(200_000, Math.round(rate * Number(secsArg)));
const { RedisLink } = await import(`${root}/dist/redis/link.js`);
const OPS = {
  ops: [
    {
      name: "check",
      lua: "local v = redis.call('HMGET', KEYS[k], 'x', 'y')\nredis.call('HSET', KEYS[k], 'x', tonumber(v[1] or '0') + 1, 'y', now)\nredis.call('PEXPIRE', KEYS[k], 60000)\nreturn { 0, 1, 2 }",
    },
    { name: "reserve", lua: "redis.call('HMGET', KEYS[k], 'spend', 'reserved')\nredis.call('HINCRBY', KEYS[k], 'reserved', 1)\nreturn { 0, 1 }" },
  ],
};
const link = new RedisLink(url, [OPS], { log: (l) => console.error(l), describeFallback: () => "nothing" });
await link.start();
if (!link.ready) {
  console.error(`Redis at ${url} does not answer`);
  process.exit(1);
}
const spin = (us) => {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
};
const took = [];
const interval = 1000 / rate;
const t0 = performance.now() + 50;
let sent = 0;
let done = 0;
const deadline = setTimeout(
  () => {
    console.error(`gave up after ${done} of ${total} requests`);
    process.exit(1);
  },
  (total / rate) * 1000 + 30_000,
);
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (sent < total && t0 + sent * interval <= now) {
      sent++;
      // Each request arrives as its own task, as HTTP requests do.
      setImmediate(() => {
        const start = performance.now();
        spin(100);
        Promise.all([link.call("check", ["link-latency:rl"], []), link.call("reserve", ["link-latency:budget"], [])]).then(() => {
          spin(50);
          took.push(performance.now() - start);
          if (++done === total) resolve();
        });
      });
    }
    if (sent < total) setTimeout(tick, 0);
  };
  tick();
});
clearTimeout(deadline);
took.sort((a, b) => a - b);
const q = (f) => took[Math.floor(f * (took.length - 1))].toFixed(3);
console.log(`${total} requests at ${rate}/s: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms`);
await link.command(["DEL", "link-latency:rl", "link-latency:budget"]);
link.close();

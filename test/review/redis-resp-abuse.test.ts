/**
 * The Redis link's own connection (src/redis/resp.ts, src/redis/link.ts) against environments
 * that misbehave, found by a review that tried to break it: ends of requests refused unsent while
 * Redis does not read (carried, never lost), a password for a Redis without one, a Redis user
 * without the SCRIPT command, an answer to no command, `close()` while connecting, a server that
 * accepts but never answers, `SCRIPT FLUSH` under load (each operation runs once, none lost), and
 * refusal messages that must not show a password.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { parseRedisUrl } from "../../src/config/redis-url.js";
import { configSchema } from "../../src/config/schema.js";
import { RedisLink, type RedisOpSet } from "../../src/redis/link.js";
import { RespConnection } from "../../src/redis/resp.js";
import { ownRedis, type OwnRedis } from "../support/own-redis.js";
import { redisTestServer } from "../support/redis.js";

const url = await redisTestServer();
const owned: OwnRedis[] = [];
const links: RedisLink[] = [];
const servers: Server[] = [];
afterAll(async () => {
  links.forEach((l) => l.close());
  servers.forEach((s) => s.close());
  for (const r of owned) {
    r.resume();
    await r.stop();
  }
});

async function own(args: string[] = []): Promise<OwnRedis | null> {
  const r = await ownRedis(args);
  if (!r) return null;
  owned.push(r);
  await r.start();
  return r;
}

function link(target: string, ops: RedisOpSet, log: (s: string) => void = () => {}): RedisLink {
  const l = new RedisLink(target, [ops], { log, describeFallback: () => "fallback" });
  links.push(l);
  return l;
}

/** A server on loopback that accepts and does what `onSocket` makes it do; counts its connections. */
async function fakeServer(onSocket: (s: Socket) => void = () => {}): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    s.on("error", () => {});
    sockets.push(s);
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, sockets };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ends of requests in a batch refused while Redis does not read", () => {
  it("are carried and run once Redis reads again: a settlement is never lost unsent", async () => {
    const r = await own();
    if (!r) return;
    const l = link(r.url, {
      ops: [
        { name: "incr", lua: "return redis.call('INCRBY', KEYS[k], ARGV[a + 1])" },
        { name: "noop", lua: "return 0" },
      ],
    });
    await l.start();
    const key = `review:carry:${Math.random()}`;
    let endDue = false;
    l.beforeSend(() => {
      if (!endDue) return;
      endDue = false;
      l.call("incr", [key], [1]).catch(() => {});
    });
    r.pause();
    // 1 MiB operations, one batch a turn, until the connection refuses to hold more unwritten.
    const big = "x".repeat(1 << 20);
    let refused = "";
    for (let i = 0; i < 200 && !refused; i++) {
      l.call("noop", [], [big]).catch((e: Error) => {
        if (e.message.includes("not reading")) refused = e.message;
      });
      await sleep(5);
    }
    expect(refused).toBe("Redis is not reading its connection");
    // A request ends now: its settlement rides the next batch, which is refused unsent.
    endDue = true;
    l.wake();
    await sleep(50);
    expect(await l.command(["GET", key]).catch(() => "refused")).toBe("refused");
    r.resume();
    // No request comes: the carried end is sent again by itself once Redis reads.
    let counted: unknown = null;
    for (let i = 0; i < 50 && counted === null; i++) {
      await sleep(100);
      counted = await l.command(["GET", key]).catch(() => null);
    }
    expect(counted).toBe("1");
  }, 30_000);
});

describe("connecting", () => {
  it.runIf(url)("a password in the URL of a Redis without one: connects, as common clients do", async () => {
    const base = new URL(url!);
    const c = new RespConnection(parseRedisUrl(`redis://:leftover-password@${base.host}`));
    await expect(c.connect()).resolves.toBeUndefined();
    expect(await c.send(["PING"])).toBe("PONG");
    c.close();
  });

  it("a Redis user without the SCRIPT command: the link gets ready and runs its batches (EVAL when EVALSHA finds nothing)", async () => {
    const r = await own(["--user", "app", "on", ">pw", "~*", "&*", "+@all", "-script"]);
    if (!r) return;
    const logs: string[] = [];
    const l = link(`redis://app:pw@${new URL(r.url).host}`, { ops: [{ name: "one", lua: "return 1" }] }, (s) => logs.push(s));
    await l.start();
    expect(l.ready).toBe(true);
    expect(await l.call("one", [], [])).toBe(1);
    expect(await l.call("one", [], [])).toBe(1);
    expect(logs).toEqual([]);
  });

  it("a user named without a password signs in as that user, not as the default one", async () => {
    const r = await own(["--user", "app", "on", "nopass", "~*", "&*", "+@all"]);
    if (!r) return;
    const c = new RespConnection(parseRedisUrl(`redis://app@${new URL(r.url).host}`));
    await c.connect();
    expect(await c.send(["ACL", "WHOAMI"])).toBe("app");
    c.close();
  });

  it("close() while connecting fails the connect() under way instead of leaving it pending", async () => {
    const { port } = await fakeServer();
    const c = new RespConnection({ host: "127.0.0.1", port, tls: false, db: 0 }, { hello: [["PING"]] });
    const p = c.connect().then(
      () => "resolved",
      (e: Error) => `rejected: ${e.message}`,
    );
    await sleep(50); // connected, waiting for the first answers
    c.close();
    expect(await Promise.race([p, sleep(1000).then(() => "pending")])).toBe("rejected: connection closed");
  });

  it("a link closed during start() does not log 'not answering' afterwards", async () => {
    const { port } = await fakeServer();
    const logs: string[] = [];
    const l = link(`redis://127.0.0.1:${port}`, { ops: [{ name: "x", lua: "return 1" }] }, (s) => logs.push(s));
    const started = l.start();
    await sleep(50);
    l.close();
    await started;
    expect(logs).toEqual([]);
  });

  it("a server that accepts but never answers the first commands counts as down after 2 s, and is tried again", async () => {
    const { port, sockets } = await fakeServer();
    const downs: string[] = [];
    const c = new RespConnection({ host: "127.0.0.1", port, tls: false, db: 0 }, { hello: [["PING"]], onDown: (e) => downs.push(e.message) });
    void c.connect().catch(() => {});
    await sleep(3000);
    c.close();
    expect(downs[0]).toBe("not ready in 2000 ms");
    expect(sockets.length).toBeGreaterThan(1);
  }, 10_000);
});

describe("answers", () => {
  it("an answer to no command drops the connection, and the commands after it fail instead of waiting forever", async () => {
    const { port } = await fakeServer((s) => {
      let n = 0;
      s.on("data", () => {
        if (++n === 1) s.write("+PONG\r\n+EXTRA\r\n"); // one answer too many
      });
    });
    const c = new RespConnection({ host: "127.0.0.1", port, tls: false, db: 0 });
    await c.connect();
    const first = await c.send(["PING"]).catch((e: Error) => e.message);
    expect(["PONG", "an answer from Redis to no command"]).toContain(first);
    await sleep(50);
    const next = await Promise.race([c.send(["PING"]).then(String, (e: Error) => `failed: ${e.message}`), sleep(1000).then(() => "pending")]);
    expect(next).toMatch(/^failed: connection/);
    c.close();
  });

  it("SCRIPT FLUSH while batches are under way: every operation runs exactly once, none is lost", async () => {
    const r = await own();
    if (!r) return;
    const l = link(r.url, { ops: [{ name: "push", lua: "return redis.call('RPUSH', KEYS[k], ARGV[a + 1])" }] });
    await l.start();
    const flusher = new RespConnection(parseRedisUrl(r.url));
    await flusher.connect();
    let flushing = true;
    let flushes = 0;
    const flushLoop = (async () => {
      while (flushing) {
        await flusher.send(["SCRIPT", "FLUSH"]);
        flushes++;
        await sleep(Math.random() * 2);
      }
    })();
    const key = `review:noscript:${Math.random()}`;
    const answered: number[] = [];
    const all: Array<Promise<unknown>> = [];
    let i = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      for (let j = 1 + Math.floor(Math.random() * 5); j > 0; j--) {
        const v = i++;
        all.push(l.call("push", [key], [v]).then(() => answered.push(v)));
      }
      await new Promise((res) => setImmediate(res));
    }
    await Promise.all(all);
    flushing = false;
    await flushLoop;
    const list: number[] = [];
    for (let from = 0; ; from += 10_000) {
      const page = (await flusher.send(["LRANGE", key, from, from + 9_999])) as string[];
      list.push(...page.map(Number));
      if (page.length < 10_000) break;
    }
    flusher.close();
    expect(flushes).toBeGreaterThan(10);
    expect(answered.length).toBe(i); // every call answered (none failed)
    expect(new Set(list).size).toBe(list.length); // none ran twice
    expect(list.length).toBe(i); // none lost
  }, 20_000);
});

describe("redis_url refusals", () => {
  it.each(["redis://:s3cr/et@cache:6379", "redis://app:pa/ss@cache:99999", "redis://u:p@ss@cache/x"])("do not show the password of %s", (bad) => {
    expect(() => parseRedisUrl(bad)).toThrow();
    let message = "";
    try {
      parseRedisUrl(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toMatch(/s3cr|et@|pa\/ss|p@ss/);
    const parsed = configSchema.safeParse({ redis_url: bad });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).not.toMatch(/s3cr|et@|pa\/ss|p@ss/);
  });
});

/**
 * The link's Redis connection (src/redis/resp.ts): answers decoded whole whatever way the bytes
 * arrive, commands encoded with their byte lengths, the URL read strictly, and memory bounded
 * against a server that floods it or stops reading. A real Redis checks authentication,
 * database selection and transactions.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { parseRedisUrl } from "../../src/config/redis-url.js";
import { encode, INCOMPLETE, parse, parsedTo, RedisReplyError, RespConnection, type Reply } from "../../src/redis/resp.js";
import { ownRedis, type OwnRedis } from "../support/own-redis.js";
import { redisTestServer } from "../support/redis.js";

/** Parses every answer in `bytes`, fed in pieces of `step` bytes as a socket would deliver them. */
function parseAll(bytes: Buffer, step: number): Reply[] {
  const out: Reply[] = [];
  let pending = Buffer.alloc(0);
  for (let i = 0; i < bytes.length; i += step) {
    pending = Buffer.concat([pending, bytes.subarray(i, i + step)]);
    let at = 0;
    for (;;) {
      const r = parse(pending, at);
      if (r === INCOMPLETE) break;
      out.push(r);
      at = parsedTo();
    }
    pending = pending.subarray(at);
  }
  expect(pending.length).toBe(0);
  return out;
}

describe("RESP answers", () => {
  const wire = Buffer.from(
    [":42", ":-7", "+OK", "-NOSCRIPT No matching script", "$5", "héll", "$-1", "*-1", "*0", "*3", ":1", "*2", "$2", "ab", "-ERR inner", "$0", "", "*2", ":0", "*2", "*1", ":9", "$3", "a\r\n"].join(
      "\r\n",
    ) + "\r\n",
  );

  it.each([1, 2, 3, 7, wire.length])("decodes every type, nested, fed %i bytes at a time", (step) => {
    const got = parseAll(wire, step);
    expect(got.slice(0, 3)).toEqual([42, -7, "OK"]);
    expect(got[3]).toBeInstanceOf(RedisReplyError);
    expect((got[3] as Error).message).toBe("NOSCRIPT No matching script");
    expect(got[4]).toBe("héll"); // 5 bytes in UTF-8
    expect(got.slice(5, 7)).toEqual([null, null]);
    expect(got[7]).toEqual([]);
    const nested = got[8] as Reply[];
    expect(nested[0]).toBe(1);
    expect((nested[1] as Reply[])[0]).toBe("ab");
    expect((nested[1] as Reply[])[1]).toBeInstanceOf(RedisReplyError);
    expect(nested[2]).toBe("");
    expect(got[9]).toEqual([0, [[9], "a\r\n"]]);
    expect(got).toHaveLength(10);
  });

  it("encodes a command as bulk strings with their lengths in bytes", () => {
    expect(encode(["SET", "kö", 12])).toBe("*3\r\n$3\r\nSET\r\n$3\r\nkö\r\n$2\r\n12\r\n");
  });
});

describe("redis_url", () => {
  it("reads host, port, user, password, database and TLS", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379")).toEqual({ host: "127.0.0.1", port: 6379, tls: false, db: 0 });
    expect(parseRedisUrl("rediss://user:p%40ss@cache.internal/3")).toEqual({ host: "cache.internal", port: 6379, tls: true, username: "user", password: "p@ss", db: 3 });
    expect(parseRedisUrl("redis://:secret@[::1]:7000")).toEqual({ host: "::1", port: 7000, tls: false, password: "secret", db: 0 });
  });

  it.each([
    ["http://cache:6379", "scheme 'http:' is not supported"],
    ["redis://cache:6379?db=2", "options in the URL"],
    ["redis://cache:6379/zero", "the path must be a database number"],
    ["cache:6379", "scheme 'cache:' is not supported"],
    ["not a url", "is not a URL"],
  ])("refuses %s", (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});

/** A server on loopback that does what `onSocket` makes it do. */
async function fakeServer(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on("error", () => {}); // the connection under test drops it
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port };
}

describe("the connection against a server that misbehaves", () => {
  const servers: Server[] = [];
  const conns: RespConnection[] = [];
  afterAll(() => {
    conns.forEach((c) => c.close());
    servers.forEach((s) => s.close());
  });
  const connectTo = async (port: number) => {
    const c = new RespConnection({ host: "127.0.0.1", port, tls: false, db: 0 });
    conns.push(c);
    await c.connect();
    return c;
  };

  it.each([
    ["one string announced as 100 MB", (s: Socket) => s.write("$100000000\r\n")],
    ["an array of small items that keeps coming", (s: Socket) => s.write(`*2000000\r\n${":1\r\n".repeat(300_000)}`)],
  ])("drops the connection, failing what waits, when an answer exceeds 1 MiB: %s", async (_, flood) => {
    const { server, port } = await fakeServer((s) => s.once("data", () => flood(s)));
    servers.push(server);
    const c = await connectTo(port);
    await expect(c.send(["GET", "big"])).rejects.toThrow("an answer larger than 1 MiB");
    expect(c.status).not.toBe("ready");
  });

  it("drops the connection on a byte that starts no RESP answer, without throwing out of the socket", async () => {
    const { server, port } = await fakeServer((s) => s.once("data", () => s.write("!garbage\r\n")));
    servers.push(server);
    const c = await connectTo(port);
    await expect(c.send(["PING"])).rejects.toThrow("unexpected answer from Redis");
  });

  it("refuses commands at once while more than 8 MiB wait to be written to a server that does not read", async () => {
    const held: Socket[] = [];
    const { server, port } = await fakeServer((s) => {
      s.pause();
      held.push(s);
    });
    servers.push(server);
    const c = await connectTo(port);
    const big = "x".repeat(1 << 20);
    let refused: Error | undefined;
    const sent: Array<Promise<Reply>> = [];
    for (let i = 0; i < 200 && !refused; i++) {
      const p = c.send(["SET", "k", big]);
      p.catch((e: Error) => (refused ??= e));
      sent.push(p);
      await new Promise((r) => setImmediate(r));
    }
    expect(refused?.message).toBe("Redis is not reading its connection");
    // Bounded: the kernel's buffers plus 8 MiB, not 200 MiB.
    expect(sent.length).toBeLessThan(60);
    c.close();
    await Promise.allSettled(sent);
    held.forEach((s) => s.destroy());
  });
});

const url = await redisTestServer();

describe.runIf(url)("the connection against Redis", () => {
  it("pipelines commands and matches each answer to its command; a transaction answers all its commands", async () => {
    const c = new RespConnection(parseRedisUrl(url!));
    await c.connect();
    const key = `test:resp:${Math.random()}`;
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => c.send(["RPUSH", key, i])));
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(
      await c.transaction([
        ["DEL", key],
        ["HSET", key, "a", 1],
        ["HGET", key, "a"],
        ["HGET", key, "missing"],
      ]),
    ).toEqual([1, 1, "1", null]);
    await expect(c.send(["NOSUCHCOMMAND"])).rejects.toThrow(/unknown command/);
    await c.send(["DEL", key]);
    c.close();
  });
});

let own: OwnRedis | null = null;
afterAll(async () => {
  await own?.stop();
});

describe.runIf(url)("the connection against a Redis with a password (a redis-server of the test's own)", () => {
  it("authenticates and selects the database from the URL, and says why when the password is wrong", async () => {
    own = await ownRedis(["--requirepass", "s3cret"]);
    if (!own) return;
    await own.start();
    const base = new URL(own.url);
    const good = new RespConnection(parseRedisUrl(`redis://:s3cret@${base.host}/5`));
    await good.connect();
    await good.send(["SET", "in-db-5", "yes"]);
    expect(await good.send(["GET", "in-db-5"])).toBe("yes");
    const db0 = new RespConnection(parseRedisUrl(`redis://:s3cret@${base.host}/0`));
    await db0.connect();
    expect(await db0.send(["GET", "in-db-5"])).toBeNull();
    good.close();
    db0.close();
    const downs: Error[] = [];
    const bad = new RespConnection(parseRedisUrl(`redis://:wrong@${base.host}`), { onDown: (e) => downs.push(e) });
    await expect(bad.connect()).rejects.toThrow(/WRONGPASS|invalid password/);
    expect(bad.status).not.toBe("ready");
    expect(downs[0]?.message).toMatch(/WRONGPASS|invalid password/);
    bad.close();
  });
});

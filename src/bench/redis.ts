/**
 * The benchmark's Redis mode (`--redis-url`): the URL is checked before anything starts, and the
 * bench key's counts are looked up in Redis to show the gateway really counts there, on a key
 * that had nothing counted before the run.
 */
import { Redis } from "ioredis";
import { request } from "undici";

const CHECK_TIMEOUT_MS = 3000;

/** The URL as the report prints it: without a password. */
export function displayRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

/** Undefined for a `redis://` or `rediss://` URL with a host; otherwise what is wrong with it. */
export function redisUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `--redis-url needs a redis:// or rediss:// URL, got "${url}"`;
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") return `--redis-url needs a redis:// or rediss:// URL, got "${displayRedisUrl(url)}"`;
  if (!u.hostname) return `--redis-url has no host: "${displayRedisUrl(url)}"`;
  return undefined;
}

async function withRedis<T>(url: string, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: CHECK_TIMEOUT_MS,
    commandTimeout: CHECK_TIMEOUT_MS,
  });
  // ioredis rejects with "Connection is closed." once it gives up: the socket's own error says why.
  let cause: Error | undefined;
  r.on("error", (e: Error) => (cause ??= e));
  try {
    await r.connect();
    return await f(r);
  } catch (e) {
    throw cause ?? e;
  } finally {
    r.disconnect();
  }
}

/** Resolves when Redis at `url` answers PING; rejects with one line naming the URL and the cause. */
export async function checkRedis(url: string): Promise<void> {
  const problem = redisUrlProblem(url);
  if (problem) throw new Error(problem);
  try {
    const pong = await withRedis(url, (r) => r.ping());
    if (pong !== "PONG") throw new Error(`PING answered ${JSON.stringify(pong)}`);
  } catch (e) {
    const why = ((e as Error).message || String(e)).split("\n")[0];
    throw new Error(`--redis-url ${displayRedisUrl(url)}: Redis does not answer (${why})`);
  }
}

/** The Redis keys whose names contain `id` (the gateway names a key's windows after its id). */
export function redisKeysOf(url: string, id: string): Promise<string[]> {
  const pattern = `*${id.replace(/[*?[\]\\]/g, "\\$&")}*`;
  return withRedis(url, async (r) => {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== "0");
    return found.sort();
  });
}

/** Before the first request: the new key has nothing counted in Redis (no earlier run's counts skew this one). */
export async function expectNoCountsInRedis(url: string, keyId: string): Promise<void> {
  const left = await redisKeysOf(url, keyId);
  if (left.length > 0) throw new Error(`--redis-url: Redis already holds counts of the new bench key ${keyId} (${left.join(", ")}): refusing to measure on them`);
}

/** After the sanity requests: they were counted in Redis under the key's id, so the limits are checked there. */
export async function expectCountsInRedis(url: string, keyId: string): Promise<void> {
  if ((await redisKeysOf(url, keyId)).length === 0) {
    throw new Error(`--redis-url: the gateway answered, but Redis holds no counts of the bench key ${keyId}: its limits were not checked in Redis`);
  }
}

/** The gateway's Redis state from its /readyz: "connected", "degraded", or what went wrong. */
export async function gatewayRedisState(port: number): Promise<string> {
  try {
    const r = await request(`http://127.0.0.1:${port}/readyz`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const j = (await r.body.json()) as { checks?: { redis?: { status?: string; state?: string; error?: string } } };
    const redis = j.checks?.redis;
    if (!redis) return "no Redis check in /readyz";
    return redis.status === "ok" ? (redis.state ?? "no state in /readyz") : (redis.error ?? "error");
  } catch (e) {
    return (e as Error).message;
  }
}

/** The process id of the Redis server at `url` (from INFO server), or undefined. */
export async function redisProcessId(url: string): Promise<number | undefined> {
  try {
    const info = await withRedis(url, (r) => r.info("server"));
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

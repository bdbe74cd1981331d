/**
 * The benchmark's Redis mode (`--redis-url`): the URL is checked before anything starts, and the
 * bench key's counts are looked up in Redis to show the gateway really counts there, on a key
 * that had nothing counted before the run.
 */
import { Redis } from "ioredis";

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

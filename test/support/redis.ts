/**
 * Redis for tests: `TEST_REDIS_URL` (default redis://127.0.0.1:6379). When it does not answer:
 * with CI=true the suite fails loudly; otherwise the Redis runs are skipped with a console note.
 */
import { Redis } from "ioredis";

export const DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379";

let probed: Promise<string | null> | undefined;

export function redisTestServer(): Promise<string | null> {
  probed ??= (async () => {
    const url = process.env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    r.on("error", () => {});
    try {
      await r.connect();
      await r.ping();
      return url;
    } catch (err) {
      const why = `Redis test server ${url} unreachable: ${(err as Error).message}`;
      if (process.env.CI === "true") throw new Error(`${why} (CI=true: Redis tests are required)`);
      console.warn(`[tests] ${why} — skipping the Redis runs (set TEST_REDIS_URL).`);
      return null;
    } finally {
      r.disconnect();
    }
  })();
  return probed;
}

/** One command on the test server, on a connection of its own. */
export async function redisCommand(url: string, ...args: [string, ...Array<string | number>]): Promise<unknown> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on("error", () => {});
  try {
    return await r.call(...args);
  } finally {
    r.disconnect();
  }
}

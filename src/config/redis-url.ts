/**
 * `redis_url`: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Read once
 * when the configuration loads, so a URL the gateway would only half understand is refused at
 * start instead of connecting somewhere else.
 */

/** Where to connect, from a `redis://` or `rediss://` URL. */
export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

/** Reads a `redis_url`; throws, saying what is wrong, on another scheme, options (`?…`) or a database that is not a number. */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${redact(url)}' is not a URL (expected redis://[[user]:password@]host[:port][/db], or rediss:// for TLS)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new Error(`scheme '${u.protocol}' is not supported (redis:// or rediss://)`);
  if (u.search || u.hash) throw new Error("options in the URL (?…, #…) are not supported: give host, port, user, password and database only");
  if (!u.hostname) throw new Error("no host");
  const path = u.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) throw new Error(`the path must be a database number, not '${path}'`);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === "rediss:",
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: path === "" ? 0 : Number(path),
  };
}

/** The URL without what stands before its last "@" (a user and password, even one with "/" or "@" unencoded). */
function redact(url: string): string {
  return url.replace(/\/\/.*@/, "//…@");
}

/**
 * Start-up errors about the PostgreSQL server in one line naming the setting: a `DATABASE_URL`
 * that is not a PostgreSQL URL is refused before any connection is tried, and a failed connection
 * says "database", the host and port, and why (never the password).
 */
import { StartupError } from "./data-dir.js";

const EXPECTED = "expected postgres://user:password@host:5432/database";

/** Throws a `StartupError` unless `url` is a PostgreSQL connection URL (`postgres://` or `postgresql://`). */
export function checkDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StartupError(`DATABASE_URL is not a valid PostgreSQL URL (${EXPECTED})`);
  }
  if (parsed.protocol === "socket:") return; // pg's socket:/path/to/dir?db=name form
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StartupError(`DATABASE_URL is not a valid PostgreSQL URL: it starts with "${parsed.protocol}//", not "postgres://" (${EXPECTED})`);
  }
  if (!parsed.hostname && !parsed.searchParams.get("host")) {
    throw new StartupError(`DATABASE_URL is not a valid PostgreSQL URL: it names no host (${EXPECTED})`);
  }
}

/** `host:port` of a connection URL, for messages (no user, no password). */
export function databaseAddress(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === "socket:") return u.pathname;
    const host = u.hostname || u.searchParams.get("host") || "localhost";
    return `${host}:${u.port || "5432"}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

/**
 * The error to report when the first use of the database at start-up failed: a `StartupError`
 * naming the database for connection failures; other errors (a failed migration, a schema newer
 * than this version knows) are returned as they are.
 */
export function databaseStartError(err: unknown, url: string): unknown {
  const why = connectionFailure(err);
  if (why === null) return err;
  return new StartupError(`could not connect to the database at ${databaseAddress(url)} (DATABASE_URL): ${why}`);
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed (temporary)",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset by the server",
  EPIPE: "connection closed by the server",
  EACCES: "permission denied",
  ENOENT: "no such socket",
};

/** PostgreSQL's SQLSTATEs met while connecting: authentication, a missing database or role, too many clients, starting up. */
const CONNECT_SQLSTATE = /^(28|3D|08|53300|57P03)/;

function connectionFailure(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { code?: string; errors?: unknown[] };
  const code = e.code ?? firstCode(e.errors);
  const network = code === undefined ? undefined : NETWORK[code];
  if (network) return network;
  if (code && CONNECT_SQLSTATE.test(code)) return e.message;
  if (/timeout exceeded when trying to connect|connection timeout/i.test(e.message)) return "no answer (connection timed out)";
  if (/Connection terminated unexpectedly/i.test(e.message)) return "the server closed the connection";
  if (/The server does not support SSL connections|self[- ]signed certificate|certificate/i.test(e.message)) return e.message;
  return null;
}

function firstCode(errors: unknown[] | undefined): string | undefined {
  const first = errors?.find((x): x is { code: string } => typeof (x as { code?: unknown })?.code === "string");
  return first?.code;
}

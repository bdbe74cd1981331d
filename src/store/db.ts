/**
 * Store connections. One SQL dialect for both deployments: kysely's PostgresDialect over a
 * `pg.Pool`, connected either to a PostgreSQL server (`databaseUrl`) or to the embedded store: a
 * PostgreSQL server the gateway creates in `<dataDir>/pg`, starts and stops (./embedded/).
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Kysely, PostgresDialect, sql } from "./kysely.js";
import pg from "pg";
import { postgresBinaries, reachableBinaries } from "./embedded/binaries.js";
import { DATABASE, ensureCluster, readPassword, SUPERUSER } from "./embedded/cluster.js";
import { importFromPglite } from "./embedded/from-pglite.js";
import { checkOwnership, postgresRunAs } from "./embedded/run-as.js";
import { startServer, type EmbeddedServer } from "./embedded/server.js";
import type { Database } from "./schema.js";
import { checkDatabaseUrl } from "./connect-errors.js";

export type StoreKind = "embedded" | "postgres";

export interface Store {
  db: Kysely<Database>;
  kind: StoreKind;
  /** Which store and where, for the start-up line; never a password. */
  description: string;
  /** Resolves when `select 1` answers within the ping timeout; rejects otherwise. */
  ping(): Promise<void>;
  /** A ping, plus the embedded server's state (for /readyz); rejects with what is wrong. */
  health(): Promise<Record<string, unknown>>;
  /** Ends the pool (and stops the embedded server). Safe to call more than once. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** PostgreSQL connection string; empty or absent → embedded store. */
  databaseUrl?: string;
  /** Directory of the embedded store (created if missing); the cluster lives in `<dataDir>/pg`. */
  dataDir: string;
  /** Pool size (default 10). */
  poolMax?: number;
  /** `ping()` timeout (default 2000 ms). */
  pingTimeoutMs?: number;
  /** Called with background pool errors (e.g. an idle connection dropped by the server). */
  onError?: (err: Error) => void;
  /** Called with one line about what opening did beyond the ordinary (a PGlite database moved over). */
  onNotice?: (line: string) => void;
}

const DEFAULT_POOL_MAX = 10;
const DEFAULT_PING_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

/** Opens the store. PostgreSQL connects lazily; the embedded store is ready when this resolves. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const onError = opts.onError ?? (() => {});
  const pingTimeoutMs = opts.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const poolMax = opts.poolMax ?? DEFAULT_POOL_MAX;

  if (opts.databaseUrl) {
    checkDatabaseUrl(opts.databaseUrl);
    const db = kysely(new pg.Pool({ connectionString: opts.databaseUrl, ...poolSettings(poolMax) }), onError);
    const ping = pinger(db, pingTimeoutMs);
    return makeStore(
      "postgres",
      db,
      describeUrl(opts.databaseUrl),
      ping,
      async () => {
        await ping();
        return { engine: "postgres" };
      },
      () => db.destroy(),
    );
  }

  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const runAs = await postgresRunAs(dataDir);
  const bins = await reachableBinaries(postgresBinaries(), runAs);
  await checkOwnership(join(dataDir, "pg"), runAs);
  await ensureCluster(dataDir, bins, runAs);
  const server = await startServer(dataDir, bins, runAs);
  try {
    const password = await readPassword(dataDir);
    const pool = new pg.Pool({ host: server.host, port: server.port, user: SUPERUSER, password, database: DATABASE, ...poolSettings(poolMax) });
    const db = kysely(pool, onError);
    const ping = pinger(db, pingTimeoutMs);
    const description = `embedded PostgreSQL ${server.version} in ${join(opts.dataDir, "pg")} (${server.listen})`;
    const store = makeStore(
      "embedded",
      db,
      description,
      ping,
      () => embeddedHealth(server, ping),
      async () => {
        await db.destroy();
        await server.stop();
      },
    );
    const moved = await importFromPglite(store, dataDir).catch(async (err: unknown) => {
      await store.close();
      throw err;
    });
    if (moved) {
      const counts =
        Object.entries(moved.rows)
          .map(([t, n]) => `${t} ${n}`)
          .join(", ") || "rows copied at an earlier start";
      opts.onNotice?.(`moved the PGlite database of ${opts.dataDir} to PostgreSQL (${counts}); the old one is kept in ${moved.backup}`);
    }
    return store;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

function poolSettings(max: number): pg.PoolConfig {
  return { max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, idleTimeoutMillis: 30_000 };
}

function kysely(pool: pg.Pool, onError: (err: Error) => void): Kysely<Database> {
  // Without a listener an idle client's error (server restart) would crash the process.
  pool.on("error", onError);
  // pg-pool drops its error listener while a client is checked out: a reset mid-query would be uncaught.
  pool.on("connect", (client) => client.on("error", () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function embeddedHealth(server: EmbeddedServer, ping: () => Promise<void>): Promise<Record<string, unknown>> {
  const state = server.state();
  if (state.status !== "running") {
    throw new Error(`embedded PostgreSQL (pid ${state.pid}) ${state.status}${state.exit ? ` (${state.exit})` : ""}`);
  }
  await ping();
  return { engine: `embedded PostgreSQL ${server.version}`, server: state.status, pid: state.pid, listen: server.listen };
}

/** `PostgreSQL at host:port/db (DATABASE_URL)`, without user or password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get("host") || "localhost";
    return `PostgreSQL at ${host}:${u.port || 5432}${u.pathname || "/"} (DATABASE_URL)`;
  } catch {
    return "PostgreSQL (DATABASE_URL)";
  }
}

function pinger(db: Kysely<Database>, ms: number): () => Promise<void> {
  return () =>
    withTimeout(
      sql`select 1`.execute(db).then(() => undefined),
      ms,
      "database ping",
    );
}

function makeStore(kind: StoreKind, db: Kysely<Database>, description: string, ping: () => Promise<void>, health: () => Promise<Record<string, unknown>>, shutdown: () => Promise<void>): Store {
  let closing: Promise<void> | null = null;
  return { db, kind, description, ping, health, close: () => (closing ??= shutdown()) };
}

/** Rejects with a clear error when `promise` has not settled within `ms` (the timer is always cleared). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

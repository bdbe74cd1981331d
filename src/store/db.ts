/**
 * Store connections. One SQL dialect for both deployments: kysely's PostgresDialect over a
 * `pg.Pool`, backed either by a PostgreSQL server (`databaseUrl`) or by embedded PGlite in
 * `<dataDir>/db` reached through PGlite's node-postgres adapter.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";

export type StoreKind = "embedded" | "postgres";

export interface Store {
  db: Kysely<Database>;
  kind: StoreKind;
  /** Resolves when `select 1` answers within the ping timeout; rejects otherwise. */
  ping(): Promise<void>;
  /** Ends the pool (and the embedded database). Safe to call more than once. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** PostgreSQL connection string; empty or absent → embedded store. */
  databaseUrl?: string;
  /** Directory of the embedded store (created if missing); the database lives in `<dataDir>/db`. */
  dataDir: string;
  /** Pool size for PostgreSQL (default 10). The embedded store always uses one connection. */
  poolMax?: number;
  /** `ping()` timeout (default 2000 ms). */
  pingTimeoutMs?: number;
  /** Called with background pool errors (e.g. an idle connection dropped by the server). */
  onError?: (err: Error) => void;
}

const DEFAULT_POOL_MAX = 10;
const DEFAULT_PING_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

/** Opens the store. PostgreSQL connects lazily; the embedded store is ready when this resolves. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const onError = opts.onError ?? (() => {});
  const pingTimeoutMs = opts.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;

  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? DEFAULT_POOL_MAX,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
    });
    // Without a listener an idle client's error (server restart) would crash the process.
    pool.on("error", onError);
    // pg-pool drops its error listener while a client is checked out: a reset mid-query would be uncaught.
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return makeStore("postgres", db, pingTimeoutMs, async () => {
      await db.destroy();
    });
  }

  await mkdir(join(opts.dataDir, "db"), { recursive: true });
  const dir = await realpath(join(opts.dataDir, "db")); // PGlite's file system does not follow a symlink
  if (!existsSync(join(dir, "PG_VERSION"))) await createEmbeddedCluster(dir);
  const lite = new PGlite(dir, { startParams: EMBEDDED_START_PARAMS });
  await lite.waitReady;
  const pool = embeddedPool(lite);
  pool.on("error", onError);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return makeStore("embedded", db, pingTimeoutMs, async () => {
    await db.destroy();
    await lite.close();
  });
}

/**
 * PGlite's PostgreSQL keeps its shared buffers in the process's WebAssembly memory, which is never
 * given back: 16 MB instead of PostgreSQL's 128 MB takes ~135 MB off the gateway's resident
 * memory. The ledger's inserts touch few pages; measured, the same CPU per inserted row
 * (docs/performance.md, "Embedded store").
 */
const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];

/**
 * Creates a new embedded database in `dir` (PGlite's initdb) in a short-lived child process.
 * initdb grows the WebAssembly memory to ~600 MB, which the process that ran it would keep for
 * good; the gateway then opens the finished directory at a fraction of that.
 *
 * The database is made in a directory of its own next to `dir` and moved in when complete, so a
 * start cut short (a crash, a kill) leaves no half-made database, only that directory, which a
 * later start removes once its process is gone. Two processes creating at once each make their
 * own; the first to move it in wins and the other opens that one. Where `dir` cannot be
 * replaced (a mount point, a file system that refuses the rename), it is made in place.
 */
async function createEmbeddedCluster(dir: string): Promise<void> {
  if (await holdsFiles(dir)) {
    throw new Error(`${dir} holds files but no embedded database (no PG_VERSION): move them away, or set data_dir to another directory`);
  }
  const parent = dirname(dir);
  await removeAbandonedCreations(parent, basename(dir));
  if ((await stat(dir)).dev !== (await stat(parent)).dev) return initdb(dir, dir); // a mount point
  const making = join(parent, `${basename(dir)}${CREATING}${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(making);
  try {
    await initdb(making, dir);
    await rename(making, dir); // over the empty directory
  } catch (err) {
    await rm(making, { recursive: true, force: true }).catch(() => {});
    if (existsSync(join(dir, "PG_VERSION"))) return; // another process moved its database in first
    if (!(err as NodeJS.ErrnoException).syscall) throw err; // initdb itself failed
    if (await holdsFiles(dir)) throw err;
    await initdb(dir, dir); // the rename was refused: in place, then
  }
}

/** Anything in `dir` but the `lost+found` of a freshly made file system. */
async function holdsFiles(dir: string): Promise<boolean> {
  return (await readdir(dir)).some((f) => f !== "lost+found");
}

const CREATING = ".creating-";
/** At most this long for initdb (it takes ~3 s). */
const INITDB_TIMEOUT_MS = 120_000;

/** Removes `<name>.creating-<pid>-…` directories whose process has gone. */
async function removeAbandonedCreations(parent: string, name: string): Promise<void> {
  for (const f of await readdir(parent)) {
    if (!f.startsWith(name + CREATING)) continue;
    const pid = Number(f.slice(name.length + CREATING.length).split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    await rm(join(parent, f), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // there, but someone else's
  }
}

/** Runs PGlite's initdb on `target` in a child process; `dir` names the database in errors. */
async function initdb(target: string, dir: string): Promise<void> {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const script =
    `const { PGlite } = require(${JSON.stringify(entry)});` +
    `(async () => { const lite = new PGlite(process.argv[1]); await lite.waitReady; await lite.close(); })()` +
    `.catch((e) => { process.stderr.write("\\n${INITDB_FAILED}" + (e instanceof Error ? e.message : JSON.stringify(e)) + "\\n"); process.exit(1); });`;
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ["-e", script, target], { maxBuffer: 1 << 20, timeout: INITDB_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`could not create the embedded database in ${dir}: ${initdbFailure(err, stderr)}`));
      else resolve();
    });
  });
}

const INITDB_FAILED = "switchboard-initdb-failed: ";

/** Our script's own line; else the error node reported (a process that could not start); else the end of its output. */
function initdbFailure(err: Error & { killed?: boolean }, stderr: string): string {
  const lines = stderr.split("\n");
  const ours = lines.find((l) => l.startsWith(INITDB_FAILED));
  if (ours) return ours.slice(INITDB_FAILED.length);
  if (err.killed) return `no answer within ${INITDB_TIMEOUT_MS / 1000} s`;
  return lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? (stderr.trim().split("\n").slice(-5).join("\n") || err.message);
}

/**
 * A one-connection pool over PGlite. Each pg client gets its own adapter connection from
 * `createPgConfig(lite)`: reusing one adapter object for a replacement client (after pg-pool
 * destroys a client) delivers the old client's late "end" event to the new one and breaks the
 * pool for good. Idle clients are never closed, so in practice the one client lives forever.
 */
function embeddedPool(lite: PGlite): pg.Pool {
  class EmbeddedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, ...(createPgConfig(lite) as unknown as pg.ClientConfig) });
    }
  }
  return new pg.Pool({ Client: EmbeddedClient, max: 1, idleTimeoutMillis: 0 });
}

function makeStore(
  kind: StoreKind,
  db: Kysely<Database>,
  pingTimeoutMs: number,
  shutdown: () => Promise<void>,
): Store {
  let closing: Promise<void> | null = null;
  return {
    db,
    kind,
    ping: () => withTimeout(sql`select 1`.execute(db).then(() => undefined), pingTimeoutMs, "database ping"),
    close: () => (closing ??= shutdown()),
  };
}

/** Rejects with a clear error when `promise` has not settled within `ms` (the timer is always cleared). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Versioned schema migrations. Applied versions are rows of `schema_migrations`; each pending
 * migration runs in its own transaction, under a PostgreSQL advisory lock held by one
 * connection, so instances that migrate at the same time apply every migration exactly once.
 */
import { sql } from "./kysely.js";
import type { Kysely } from "kysely";
import type { Store } from "./db.js";
import { MIGRATIONS, type Migration } from "./migrations/index.js";
import type { Database } from "./schema.js";

/** The newest schema version this build knows. */
export const LATEST_SCHEMA_VERSION: number = checkedLatest(MIGRATIONS);

/** Arbitrary constant naming Switchboard's migration lock in `pg_advisory_lock(bigint)`. */
const MIGRATION_LOCK_KEY = 5_349_405_142_520_001;

export interface MigrateResult {
  /** Versions applied by this call, in order (empty when the schema was already current). */
  applied: number[];
  /** Highest applied version after the call. */
  current: number;
}

export interface SchemaStatus {
  current: number;
  latest: number;
  /** Known versions not applied yet, in order. */
  pending: number[];
}

/**
 * Applies every pending migration. Refuses (throws) when the database is newer than this build.
 * `migrations` replaces the built-in list (tests only).
 */
export async function migrate(store: Store, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const latest = migrations === MIGRATIONS ? LATEST_SCHEMA_VERSION : checkedLatest(migrations);
  return store.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`.execute(conn);
    const unlock = () => sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`.execute(conn);
    let result: MigrateResult;
    try {
      result = await applyPending(conn, migrations, latest);
    } catch (err) {
      await unlock().catch(() => undefined); // keep the original error
      throw err;
    }
    await unlock();
    return result;
  });
}

/** Runs with the lock held, on the one connection that holds it. */
async function applyPending(conn: Kysely<Database>, migrations: readonly Migration[], latest: number): Promise<MigrateResult> {
  await createMigrationsTable(conn);
  const done = await appliedVersions(conn);
  assertKnown(maxOf(done), latest);
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await conn.transaction().execute(async (trx) => {
      await m.up(trx);
      await trx.insertInto("schema_migrations").values({ version: m.version, name: m.name }).execute();
    });
    done.add(m.version);
    applied.push(m.version);
  }
  return { applied, current: maxOf(done) };
}

/** Which versions are applied and which are pending. Does not create or change anything. */
export async function schemaStatus(store: Store): Promise<SchemaStatus> {
  const done = (await migrationsTableExists(store.db)) ? await appliedVersions(store.db) : new Set<number>();
  return {
    current: maxOf(done),
    latest: LATEST_SCHEMA_VERSION,
    pending: MIGRATIONS.filter((m) => !done.has(m.version)).map((m) => m.version),
  };
}

/** Throws when the database holds a schema version this build does not know (refuse to serve). */
export async function assertSchemaNotNewer(store: Store): Promise<void> {
  assertKnown((await schemaStatus(store)).current, LATEST_SCHEMA_VERSION);
}

function assertKnown(current: number, latest: number): void {
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this switchboard knows (${latest}); upgrade switchboard`);
  }
}

async function createMigrationsTable(db: Kysely<Database>): Promise<void> {
  await db.schema
    .createTable("schema_migrations")
    .ifNotExists()
    .addColumn("version", "integer", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("applied_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

async function migrationsTableExists(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ t: string | null }>`select to_regclass('schema_migrations')::text as t`.execute(db);
  return rows[0]?.t != null;
}

async function appliedVersions(db: Kysely<Database>): Promise<Set<number>> {
  const rows = await db.selectFrom("schema_migrations").select("version").execute();
  return new Set(rows.map((r) => r.version));
}

function maxOf(versions: Set<number>): number {
  let max = 0;
  for (const v of versions) if (v > max) max = v;
  return max;
}

/** The migration list must be strictly increasing positive versions; a mistake here is a bug. */
function checkedLatest(list: readonly Migration[]): number {
  let prev = 0;
  for (const m of list) {
    if (!Number.isInteger(m.version) || m.version <= prev) {
      throw new Error(`migrations out of order: version ${m.version} (${m.name}) after ${prev}`);
    }
    prev = m.version;
  }
  return prev;
}

import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/db.js";
import { assertSchemaNotNewer, LATEST_SCHEMA_VERSION, migrate, schemaStatus } from "../../src/store/migrate.js";
import { MIGRATIONS, type Migration } from "../../src/store/migrations/index.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "./backends.js";

const backends = await storeBackends();
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

describe("migration list", () => {
  it("has strictly increasing versions ending at LATEST_SCHEMA_VERSION", () => {
    expect(ALL_VERSIONS.length).toBeGreaterThan(0);
    ALL_VERSIONS.forEach((v, i) => expect(v).toBe(i === 0 ? 1 : ALL_VERSIONS[i - 1] + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(ALL_VERSIONS.at(-1));
  });
});

describe.each(backends)("migrations on $kind", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t?.dispose();
  });

  it("reports every migration pending on a fresh database", async () => {
    expect(await schemaStatus(t.store)).toEqual({ current: 0, latest: LATEST_SCHEMA_VERSION, pending: ALL_VERSIONS });
    await expect(assertSchemaNotNewer(t.store)).resolves.toBeUndefined();
  });

  it("applies each migration exactly once when two instances migrate at the same time", async () => {
    // PostgreSQL: a second pool, as a second gateway would have. The embedded server belongs to
    // one process: the two calls share the store's pool, each on a connection of its own.
    const other = t.kind === "postgres" ? await openStore(t.options) : t.store;
    try {
      const [a, b] = await Promise.all([migrate(t.store), migrate(other)]);
      expect([...a.applied, ...b.applied].sort((x, y) => x - y)).toEqual(ALL_VERSIONS);
      expect([a.current, b.current]).toEqual([LATEST_SCHEMA_VERSION, LATEST_SCHEMA_VERSION]);
    } finally {
      if (other !== t.store) await other.close();
    }
    const rows = await t.store.db.selectFrom("schema_migrations").selectAll().orderBy("version").execute();
    expect(rows.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    expect(rows[0].applied_at).toBeInstanceOf(Date);
  });

  it("is idempotent", async () => {
    expect(await migrate(t.store)).toEqual({ applied: [], current: LATEST_SCHEMA_VERSION });
    expect(await schemaStatus(t.store)).toEqual({
      current: LATEST_SCHEMA_VERSION,
      latest: LATEST_SCHEMA_VERSION,
      pending: [],
    });
  });

  it("creates the usage ledger with its unique (request_id, attempt) key and created_at index", async () => {
    const { rows } = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where tablename = 'usage' order by indexname`.execute(t.store.db);
    expect(rows.map((r) => r.indexname)).toEqual([
      "usage_client_request_id_idx",
      "usage_created_at_idx",
      "usage_key_created_idx",
      "usage_metadata_idx",
      "usage_pkey",
      "usage_request_id_attempt_key",
      "usage_tags_idx",
      "usage_team_created_idx",
      "usage_user_created_idx",
    ]);
    expect(rows.find((r) => r.indexname === "usage_request_id_attempt_key")!.indexdef).toContain("UNIQUE INDEX usage_request_id_attempt_key ON public.usage USING btree (request_id, attempt)");
  });

  it("rolls back a failing migration entirely and records nothing for it", async () => {
    const broken: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: "broken",
      async up(db) {
        await db.schema.createTable("half_done").addColumn("x", "integer").execute();
        throw new Error("boom in migration");
      },
    };
    await expect(migrate(t.store, [...MIGRATIONS, broken])).rejects.toThrow("boom in migration");
    const { rows } = await sql<{ t: string | null }>`select to_regclass('half_done')::text as t`.execute(t.store.db);
    expect(rows[0].t).toBeNull();
    expect((await schemaStatus(t.store)).current).toBe(LATEST_SCHEMA_VERSION);
    // The lock was released: a normal migrate still runs.
    expect(await migrate(t.store)).toEqual({ applied: [], current: LATEST_SCHEMA_VERSION });
  });

  it("refuses a database whose schema is newer than this build", async () => {
    const message = `database schema version 9999 is newer than this switchboard knows (${LATEST_SCHEMA_VERSION}); upgrade switchboard`;
    await t.store.db.insertInto("schema_migrations").values({ version: 9999, name: "from the future" }).execute();
    try {
      await expect(assertSchemaNotNewer(t.store)).rejects.toThrow(message);
      await expect(migrate(t.store)).rejects.toThrow(message);
      expect(await schemaStatus(t.store)).toEqual({ current: 9999, latest: LATEST_SCHEMA_VERSION, pending: [] });
    } finally {
      await t.store.db.deleteFrom("schema_migrations").where("version", "=", 9999).execute();
    }
    await expect(assertSchemaNotNewer(t.store)).resolves.toBeUndefined();
  });
});

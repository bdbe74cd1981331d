/**
 * Migration 5 gives users and teams the rate and concurrency limits keys have, on a database
 * already at version 4 with users and teams in it: their limits are null (no limit), the rest of
 * each row is kept, and the columns take whole numbers afterwards.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, migrate, schemaStatus } from "../../src/store/migrate.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "./backends.js";

const backends = await storeBackends();
const LIMITS = ["rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"];

describe.each(backends)("user and team limits migration on $kind", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t?.dispose();
  });

  it("adds four nullable integer columns to users and teams; existing rows get null", async () => {
    const db = t.store.db;
    expect(
      await migrate(
        t.store,
        MIGRATIONS.filter((m) => m.version <= 4),
      ),
    ).toEqual({ applied: [1, 2, 3, 4], current: 4 });
    await sql`insert into teams (team_id, name, metadata, blocked) values ('old-team', 'Old', '{"cc":"7"}'::jsonb, true)`.execute(db);
    await sql`insert into users (user_id, alias, team_id, metadata) values ('old-user', 'Olga', 'old-team', '{"tier":2}'::jsonb)`.execute(db);

    expect(await schemaStatus(t.store)).toMatchObject({ current: 4, pending: MIGRATIONS.filter((m) => m.version > 4).map((m) => m.version) });
    const result = await migrate(t.store);
    expect(result.applied).toContain(5);
    expect(result.current).toBe(LATEST_SCHEMA_VERSION);

    const { rows: columns } = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }>`
      select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
      where table_schema = current_schema() and table_name in ('users', 'teams') and column_name in ('rpm_limit', 'tpm_limit', 'rpd_limit', 'max_parallel')
      order by table_name, column_name`.execute(db);
    expect(columns).toEqual(
      ["teams", "users"].flatMap((table) => [...LIMITS].sort().map((column) => ({ table_name: table, column_name: column, data_type: "integer", is_nullable: "YES", column_default: null }))),
    );

    const team = await db.selectFrom("teams").selectAll().where("team_id", "=", "old-team").executeTakeFirstOrThrow();
    expect(team).toMatchObject({ name: "Old", metadata: { cc: "7" }, blocked: true, rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null });
    const user = await db.selectFrom("users").selectAll().where("user_id", "=", "old-user").executeTakeFirstOrThrow();
    expect(user).toMatchObject({ alias: "Olga", team_id: "old-team", metadata: { tier: 2 }, rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null });

    await db.updateTable("users").set({ rpm_limit: 60, max_parallel: 3 }).where("user_id", "=", "old-user").execute();
    await db.updateTable("teams").set({ tpm_limit: 2_147_483_647, rpd_limit: 100 }).where("team_id", "=", "old-team").execute();
    expect(await db.selectFrom("users").select(["rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"]).where("user_id", "=", "old-user").executeTakeFirstOrThrow()).toEqual({
      rpm_limit: 60,
      tpm_limit: null,
      rpd_limit: null,
      max_parallel: 3,
    });
    expect(await db.selectFrom("teams").select(["rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"]).where("team_id", "=", "old-team").executeTakeFirstOrThrow()).toEqual({
      rpm_limit: null,
      tpm_limit: 2_147_483_647,
      rpd_limit: 100,
      max_parallel: null,
    });
  });
});

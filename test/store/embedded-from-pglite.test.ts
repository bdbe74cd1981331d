/**
 * Moving an embedded store of an earlier version (PGlite in `<data_dir>/db`) to the embedded
 * PostgreSQL server. The PGlite database is made here the way earlier versions made it (PGlite
 * over node-postgres, the same migrations), holding keys, budgets and ledger rows; then a start
 * moves it, and `switchboard migrate --from-pglite` (the built CLI) on a copy does the same.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createPgConfig } from "@electric-sql/pglite/node-postgres";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/db.js";
import { LATEST_SCHEMA_VERSION, migrate } from "../../src/store/migrate.js";
import { insertBudget, replaceAssignment } from "../../src/store/repos/budgets.js";
import { insertKey } from "../../src/store/repos/keys.js";
import type { Database } from "../../src/store/schema.js";
import { insertUsageRecords } from "../../src/usage/ledger.js";
import { usageRecord } from "../usage/fixtures.js";
import { CLI, runCli } from "../support/cli.js";
import { STORE_HOOK_TIMEOUT_MS } from "./backends.js";

const TABLES = ["api_keys", "budgets", "budget_assignments", "usage"] as const;
const NOW = new Date("2026-03-04T05:06:07.891Z");
let root: string;
let template: string; // a data dir holding the PGlite database, copied per test
let before: Record<string, unknown[]>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sb-from-pglite-"));
  template = join(root, "template");
  mkdirSync(template);
  const lite = new PGlite(join(template, "db"));
  await lite.waitReady;
  const store = pgliteStore(lite);
  await migrate(store);
  await insertBudget(
    store.db,
    "bud_1",
    {
      max_budget_micros: 12_345_678,
      duration_sec: 86_400,
      duration_months: null,
      mode: "enforce",
      alert_thresholds: [50, 90],
      alert_webhook_url: null,
      max_request_micros: 1_000_001,
      metadata: { team: "red" },
    },
    NOW,
  );
  for (const i of [1, 2, 3]) {
    await insertKey(
      store.db,
      {
        id: `key_${i}`,
        key_hash: `hash-${i}`,
        key_prefix: `sb-${i}`,
        key_name: `key ${i}`,
        user_id: null,
        team_id: null,
        expires_at: i === 3 ? NOW : null,
        is_active: i !== 2,
        metadata: { n: i, note: "line one\nline two" },
        allowed_models: i === 1 ? ["gpt-4o"] : null,
        allowed_ips: null,
        budget_id: i === 1 ? "bud_1" : null,
        rpm_limit: 60 * i,
        tpm_limit: null,
        rpd_limit: null,
        max_parallel: null,
      },
      NOW,
    );
  }
  await replaceAssignment(store.db, "key", "key_1", "bud_1", NOW);
  expect(
    await insertUsageRecords(
      store.db,
      Array.from({ length: 1203 }, (_, i) =>
        usageRecord({ requestId: `req_${i}`, cost: { inputMicros: 9_007_199_254_740_000 + i, cachedMicros: 0, cacheWriteMicros: 0, outputMicros: 1, totalMicros: 9_007_199_254_740_001 + i } }),
      ),
    ),
  ).toBe(1203);
  before = await snapshot(store.db);
  await store.close();
}, STORE_HOOK_TIMEOUT_MS);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("a PGlite data dir of an earlier version", () => {
  it("is moved to PostgreSQL at the first start: every row, the sequences, and the old database kept as db.pglite-migrated", async () => {
    const dataDir = join(root, "start");
    cpSync(template, dataDir, { recursive: true });
    const notices: string[] = [];
    const store = await openStore({ dataDir, onNotice: (l) => notices.push(l) });
    try {
      expect(notices).toEqual([
        `moved the PGlite database of ${dataDir} to PostgreSQL (api_keys 3, budget_assignments 1, budgets 1, usage 1203); the old one is kept in ${join(dataDir, "db.pglite-migrated")}`,
      ]);
      expect(await snapshot(store.db)).toEqual(before);
      expect(readdirSync(dataDir).sort()).toEqual(["db.pglite-migrated", "pg", "pg.owner"]);
      // The ledger's id sequence carries on where PGlite's was.
      await insertUsageRecords(store.db, [usageRecord({ requestId: "after" })]);
      const { rows } = await sql<{ id: string }>`select id::text as id from usage where request_id = 'after'`.execute(store.db);
      expect(rows).toEqual([{ id: "1204" }]);
    } finally {
      await store.close();
    }
    // The next start finds nothing to move and keeps the row written after the move.
    const again = await openStore({ dataDir, onNotice: (l) => notices.push(l) });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from usage`.execute(again.db);
    await again.close();
    expect(rows).toEqual([{ n: 1204 }]);
    expect(notices).toHaveLength(1);
  }, 120_000);

  it.runIf(existsSync(CLI))(
    "is moved by `switchboard migrate --from-pglite`, which refuses a data dir with nothing to move",
    async () => {
      const dataDir = join(root, "cli");
      cpSync(template, dataDir, { recursive: true });
      const env = { SWITCHBOARD_DATA_DIR: dataDir };
      const r = await runCli(["migrate", "--from-pglite"], { env, timeoutMs: 120_000 });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(
        `moved the PGlite database of ${dataDir} to PostgreSQL (api_keys 3, budget_assignments 1, budgets 1, usage 1203); the old one is kept in ${join(dataDir, "db.pglite-migrated")}\n` +
          // The new store is created at the latest schema; the copied rows fit it.
          `schema is up to date (version ${LATEST_SCHEMA_VERSION})\n`,
      );
      expect(r.code).toBe(0);
      const store = await openStore({ dataDir });
      try {
        expect(await snapshot(store.db)).toEqual(before);
      } finally {
        await store.close();
      }
      const again = await runCli(["migrate", "--from-pglite"], { env });
      expect(again).toEqual({
        code: 1,
        stdout: "",
        stderr: `switchboard migrate --from-pglite: no PGlite database in ${join(dataDir, "db")} (already moved; the old one is in ${join(dataDir, "db.pglite-migrated")})\n`,
      });
    },
    120_000,
  );
});

/** Every row of the tables that matter, as text, in a fixed order; plus the schema versions. */
async function snapshot(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const { rows } = await sql<{ r: string }>`select row_to_json(x)::text as r from ${sql.table(t)} x order by 1`.execute(db);
    out[t] = rows.map((r) => r.r);
  }
  const { rows } = await sql<{ version: number }>`select version from schema_migrations order by version`.execute(db);
  out.version = rows.map((r) => r.version);
  return out;
}

/** A store over PGlite, opened the way earlier versions opened the embedded store. */
function pgliteStore(lite: PGlite): Store {
  class EmbeddedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, ...(createPgConfig(lite) as unknown as pg.ClientConfig) });
    }
  }
  const pool = new pg.Pool({ Client: EmbeddedClient, max: 1, idleTimeoutMillis: 0 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: "embedded",
    description: "PGlite",
    ping: async () => {},
    health: () => Promise.resolve({}),
    close: async () => {
      await db.destroy();
      await lite.close();
    },
  };
}

/**
 * Moving an embedded store made by earlier versions (PGlite, PostgreSQL compiled to WebAssembly,
 * in `<data_dir>/db`) to the embedded PostgreSQL server. It runs at the first start that finds
 * `<data_dir>/db` (or with `switchboard migrate --from-pglite`):
 *
 * 1. a child process opens the PGlite database and writes its schema version, its sequences and
 *    every table's rows, 500 at a time, as JSON (PGlite's memory stays out of the gateway);
 * 2. the new database gets the same schema version, then the rows and sequences in one
 *    transaction: a start cut short leaves empty tables, and the next start copies again;
 * 3. `<data_dir>/db` is renamed `<data_dir>/db.pglite-migrated`: the backup, which this code never
 *    reads again (delete it when the new store has proved itself).
 *
 * Which tables, in which order, and how rows are loaded is shared with `switchboard export` and
 * `import` (../table-copy.ts). Each row travels as the JSON text PostgreSQL makes of it
 * (`row_to_json`) and is read back with `json_populate_recordset`: bigints, numerics and
 * timestamps keep their exact text.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rename } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "../kysely.js";
import type { Store } from "../db.js";
import { migrate } from "../migrate.js";
import { MIGRATIONS } from "../migrations/index.js";
import { firstTableWithRows, insertJsonRows, restoreSequences, SEQUENCES_SQL, TABLES_SQL, type SequenceValue } from "../table-copy.js";

export const PGLITE_DIR = "db";
export const PGLITE_BACKUP = "db.pglite-migrated";

export interface PgliteImport {
  /** Rows copied per table (empty when an earlier start had copied them already). */
  rows: Record<string, number>;
  /** Where the PGlite database now is. */
  backup: string;
}

interface Header {
  versions: number[];
  tables: string[];
  sequences: SequenceValue[];
}

const FAILED = "switchboard-pglite-failed: ";

/** Reads the PGlite database in `argv[1]` and writes a header line, then `<table>\t<json array>` lines. */
const READER = (entry: string) => `
const { PGlite } = require(${JSON.stringify(entry)});
const out = (s) => new Promise((r) => (process.stdout.write(s) ? r() : process.stdout.once("drain", r)));
const ident = (t) => '"' + t.replace(/"/g, '""') + '"';
(async () => {
  const lite = new PGlite(process.argv[1]);
  await lite.waitReady;
  const hasVersions = (await lite.query("select to_regclass('schema_migrations') is not null as ok")).rows[0].ok;
  const versions = hasVersions ? (await lite.query("select version from schema_migrations order by version")).rows.map((r) => r.version) : [];
  const tables = (await lite.query(${JSON.stringify(TABLES_SQL)})).rows.map((r) => r.t);
  const sequences = (await lite.query(${JSON.stringify(SEQUENCES_SQL)})).rows;
  await out(JSON.stringify({ versions, tables, sequences }) + "\\n");
  await lite.transaction(async (tx) => {
    for (const t of tables) {
      await tx.query("declare c no scroll cursor for select row_to_json(x)::text as r from " + ident(t) + " x");
      for (;;) {
        const { rows } = await tx.query("fetch 500 from c");
        if (rows.length === 0) break;
        await out(t + "\\t[" + rows.map((r) => r.r.replace(/[\\r\\n]/g, " ")).join(",") + "]\\n");
      }
      await tx.query("close c");
    }
  });
  await lite.close();
})().catch((e) => {
  process.stderr.write("\\n${FAILED}" + (e instanceof Error ? e.message : JSON.stringify(e)) + "\\n");
  process.exit(1);
});
`;

/** Copies `<dataDir>/db` into `store` when it is there; null when there is no PGlite database. */
export async function importFromPglite(store: Store, dataDir: string): Promise<PgliteImport | null> {
  const source = join(dataDir, PGLITE_DIR);
  if (!existsSync(join(source, "PG_VERSION"))) return null;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  } catch {
    throw new Error(`${source} holds an embedded database of an earlier version (PGlite), and reading it needs the package @electric-sql/pglite: run npm install`);
  }
  const child = spawn(process.execPath, ["-e", READER(entry), source], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => void (stderr = (stderr + b.toString("utf8")).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const fail = async (why: string) => {
    child.kill("SIGKILL");
    await exited;
    const ours = stderr
      .split("\n")
      .find((l) => l.startsWith(FAILED))
      ?.slice(FAILED.length);
    return new Error(`could not move the PGlite database in ${source} to PostgreSQL: ${ours ?? why}`);
  };
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw await fail(stderr.trim().split("\n").slice(-3).join(" ") || "no output");
  const header = JSON.parse(first.value) as Header;
  const rows: Record<string, number> = {};
  try {
    if ((await firstTableWithRows(store.db, header.tables)) === null) {
      await migrate(
        store,
        MIGRATIONS.filter((m) => header.versions.includes(m.version)),
      );
      await store.db.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx); // rows in any order despite foreign keys
        for (let next = await lines.next(); !next.done; next = await lines.next()) {
          const tab = next.value.indexOf("\t");
          const table = next.value.slice(0, tab);
          rows[table] = (rows[table] ?? 0) + (await insertJsonRows(trx, table, next.value.slice(tab + 1)));
        }
        const code = await exited;
        if (code !== 0) throw new Error(`reader exited with ${code}`);
        await restoreSequences(trx, header.sequences);
      });
    }
  } catch (err) {
    throw await fail((err as Error).message);
  }
  child.kill("SIGKILL"); // done with it (when the rows were there already, it is still writing)
  await exited;
  const backup = join(dataDir, existsSync(join(dataDir, PGLITE_BACKUP)) ? `${PGLITE_BACKUP}-${Date.now()}` : PGLITE_BACKUP);
  await rename(source, backup);
  const byName = Object.fromEntries(Object.entries(rows).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { rows: byName, backup };
}

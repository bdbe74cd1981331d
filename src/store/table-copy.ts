/**
 * Copying the gateway's tables as data: which tables there are (in an order in which their rows
 * can be inserted), their sequences, and loading rows given as JSON. Used by `switchboard export`
 * and `switchboard import` (../cli/) and by the move of a PGlite database (./embedded/from-pglite.ts).
 *
 * Tables are found in the database itself, never listed here: every base table of the current
 * schema except `schema_migrations` (the schema version travels on its own) and `ui_sessions`
 * (dashboard sessions stand for the master key of the gateway that made them: they never travel;
 * sign in again after a move). A row travels as the
 * JSON text PostgreSQL makes of it (`row_to_json`) and is read back with `json_populate_recordset`,
 * so bigints, numerics and timestamps keep their exact text.
 */
import { sql, type Kysely } from "./kysely.js";
import type { Database } from "./schema.js";

/**
 * The tables to copy, parents before children (a table comes after every table its foreign keys
 * point to), then by name. Plain SQL with one column `t`, so the PGlite reader runs it too.
 */
export const TABLES_SQL = `
with recursive
  tab as (
    select c.oid, c.relname::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relname not in ('schema_migrations', 'ui_sessions')),
  fk as (select conrelid as child, confrelid as parent from pg_constraint where contype = 'f' and conrelid <> confrelid),
  depth(oid, d) as (
    select oid, 0 from tab
    union all
    select fk.child, depth.d + 1 from depth join fk on fk.parent = depth.oid where depth.d < 64)
select tab.name as t from tab join depth using (oid) group by tab.name order by max(depth.d), tab.name`;

/** The current schema's sequences and their values (text; null when never used). Columns `name`, `value`. */
export const SEQUENCES_SQL = `select sequencename::text as name, last_value::text as value from pg_sequences where schemaname = current_schema() order by 1`;

export interface SequenceValue {
  name: string;
  /** bigint as text; null when the sequence was never used. */
  value: string | null;
}

/** The tables to copy, in insertion order (see `TABLES_SQL`). */
export async function listTables(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql.raw<{ t: string }>(TABLES_SQL).execute(db);
  return rows.map((r) => r.t);
}

/** The current schema's sequences with their values. */
export async function listSequences(db: Kysely<Database>): Promise<SequenceValue[]> {
  const { rows } = await sql.raw<SequenceValue>(SEQUENCES_SQL).execute(db);
  return rows;
}

/** Each table's column names. */
export async function tableColumns(db: Kysely<Database>, tables: readonly string[]): Promise<Map<string, Set<string>>> {
  const { rows } = await sql<{ t: string; c: string }>`
    select table_name::text as t, column_name::text as c from information_schema.columns
    where table_schema = current_schema() and table_name = any(${[...tables]}::text[])`.execute(db);
  const out = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const r of rows) out.get(r.t)?.add(r.c);
  return out;
}

/**
 * Inserts the rows of a JSON array into `table`; returns how many. `field` names the member of
 * each element that holds the row (the element itself when absent).
 */
export async function insertJsonRows(db: Kysely<Database>, table: string, jsonArray: string, field?: string): Promise<number> {
  const rows = field === undefined ? sql`${jsonArray}::json` : sql`(select coalesce(json_agg(e.v -> ${field}), '[]') from json_array_elements(${jsonArray}::json) as e(v))`;
  const {
    rows: [r],
  } = await sql<{ n: number }>`
    with ins as (insert into ${sql.table(table)} select * from json_populate_recordset(null::${sql.table(table)}, ${rows}) returning 1)
    select count(*)::int as n from ins`.execute(db);
  return r?.n ?? 0;
}

/** Sets each sequence to its value (those never used are left as they are). */
export async function restoreSequences(db: Kysely<Database>, sequences: readonly SequenceValue[]): Promise<void> {
  for (const s of sequences) {
    if (s.value !== null) await sql`select setval(${s.name}::text::regclass, ${s.value}::bigint)`.execute(db);
  }
}

/** The first of `tables` that exists and holds a row, or null. */
export async function firstTableWithRows(db: Kysely<Database>, tables: readonly string[]): Promise<string | null> {
  for (const t of tables) {
    const { rows } = await sql<{ t: string | null }>`select to_regclass(${t})::text as t`.execute(db);
    if (rows[0]?.t == null) continue;
    const { rows: any } = await sql<{ x: number }>`select 1 as x from ${sql.table(t)} limit 1`.execute(db);
    if (any.length > 0) return t;
  }
  return null;
}

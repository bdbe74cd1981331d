/**
 * The kysely `Database` interface: the TypeScript picture of the tables the migrations in
 * `./migrations/` create. Column names are snake_case as in SQL.
 *
 * Ledger columns are typed `ColumnType<T, T, never>` so an UPDATE of them does not compile:
 * the usage ledger is append-only.
 */
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** A column that can be read and inserted but never updated. */
type AppendOnly<T> = ColumnType<T, T, never>;
/** A column with a database default that can be set on insert but never updated. */
type AppendOnlyDefault<T> = ColumnType<T, T | undefined, never>;

/** `schema_migrations`: one row per applied migration. */
export interface SchemaMigrationsTable {
  version: AppendOnly<number>;
  name: AppendOnly<string>;
  applied_at: ColumnType<Date, Date | undefined, never>;
}

/** `usage`: the ledger, one row per upstream attempt, unique on (request_id, attempt). */
export interface UsageTable {
  /** bigserial; node-postgres returns int8 as a string. */
  id: Generated<string>;
  request_id: AppendOnly<string>;
  attempt: AppendOnly<number>;
  created_at: AppendOnlyDefault<Date>;
  requested_model: AppendOnly<string>;
  provider: AppendOnly<string>;
  model: AppendOnly<string>;
  endpoint: AppendOnly<string>;
  status: AppendOnly<number>;
  error_code: AppendOnly<string | null>;
  prompt_tokens: AppendOnly<number>;
  completion_tokens: AppendOnly<number>;
  total_tokens: AppendOnly<number>;
  usage_estimated: AppendOnly<boolean>;
  streamed: AppendOnly<boolean>;
  ttft_ms: AppendOnly<number | null>;
  total_ms: AppendOnly<number>;
  overhead_ms: AppendOnly<number>;
  key_id: AppendOnly<string | null>;
  user_id: AppendOnly<string | null>;
}

export interface Database {
  schema_migrations: SchemaMigrationsTable;
  usage: UsageTable;
}

export type UsageRow = Selectable<UsageTable>;
export type NewUsageRow = Insertable<UsageTable>;

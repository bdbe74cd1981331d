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
  team_id: AppendOnlyDefault<string | null>;
  cached_tokens: AppendOnlyDefault<number>;
  cache_write_tokens: AppendOnlyDefault<number>;
  reasoning_tokens: AppendOnlyDefault<number>;
  /** bigint micro-USD; node-postgres returns int8 as a string. */
  cost_input_micros: ColumnType<string, number | undefined, never>;
  cost_cached_micros: ColumnType<string, number | undefined, never>;
  cost_cache_write_micros: ColumnType<string, number | undefined, never>;
  cost_output_micros: ColumnType<string, number | undefined, never>;
  cost_total_micros: ColumnType<string, number | undefined, never>;
  price_version: AppendOnlyDefault<string | null>;
  receipt: ColumnType<Record<string, unknown> | null, string | null | undefined, never>;
}

/** `prices`: per-model price overrides set through /v1/pricing (USD per million tokens; numeric as strings). */
export interface PricesTable {
  model: string;
  input_per_million: ColumnType<string, string | number, string | number>;
  output_per_million: ColumnType<string, string | number, string | number>;
  cached_input_per_million: ColumnType<string | null, string | number | null, string | number | null>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface BudgetsTable {
  budget_id: string;
  max_budget_micros: ColumnType<string, number, number>;
  duration_sec: number | null;
  duration_months: number | null;
  mode: ColumnType<"enforce" | "track", "enforce" | "track" | undefined, "enforce" | "track">;
  alert_thresholds: ColumnType<number[], string | undefined, string>;
  alert_webhook_url: string | null;
  max_request_micros: ColumnType<string | null, number | null, number | null>;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface BudgetAssignmentsTable {
  id: Generated<string>;
  budget_id: string;
  subject_type: "key" | "user" | "team";
  subject_id: string;
  period_start: ColumnType<Date, Date | undefined, Date>;
  alerts_sent: ColumnType<number[], string | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface BudgetResetsTable {
  id: Generated<string>;
  assignment_id: ColumnType<string, string, never>;
  budget_id: ColumnType<string, string, never>;
  subject_type: ColumnType<string, string, never>;
  subject_id: ColumnType<string, string, never>;
  period_start: ColumnType<Date, Date, never>;
  period_end: ColumnType<Date, Date, never>;
  spend_micros: ColumnType<string, number, never>;
  reset_at: ColumnType<Date, Date | undefined, never>;
}

/** jsonb columns: objects in, objects out (node-postgres parses jsonb). */
type Json<T> = ColumnType<T, string, string>;

export interface TeamsTable {
  team_id: string;
  name: string | null;
  budget_id: string | null;
  metadata: Json<Record<string, unknown>>;
  blocked: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface UsersTable {
  user_id: string;
  alias: string | null;
  team_id: string | null;
  budget_id: string | null;
  metadata: Json<Record<string, unknown>>;
  blocked: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ApiKeysTable {
  id: string;
  /** sha256 of the whole key, hex. The key itself is never stored. */
  key_hash: string;
  /** The first characters of the key, for display (`sb-live-ab12…`). */
  key_prefix: string;
  key_name: string | null;
  user_id: string | null;
  team_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: Date | null;
  is_active: ColumnType<boolean, boolean | undefined, boolean>;
  revoked_at: Date | null;
  metadata: Json<Record<string, unknown>>;
  allowed_models: Json<string[] | null>;
  allowed_ips: Json<string[] | null>;
  budget_id: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  rpd_limit: number | null;
  max_parallel: number | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: ColumnType<Date, Date | undefined, never>;
  actor: ColumnType<string, string, never>;
  action: ColumnType<string, string, never>;
  target_type: ColumnType<string, string, never>;
  target_id: ColumnType<string | null, string | null, never>;
  source_ip: ColumnType<string | null, string | null, never>;
  request_id: ColumnType<string | null, string | null, never>;
  changes: ColumnType<Record<string, unknown>, string, never>;
}

export interface Database {
  schema_migrations: SchemaMigrationsTable;
  usage: UsageTable;
  teams: TeamsTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  prices: PricesTable;
  budgets: BudgetsTable;
  budget_assignments: BudgetAssignmentsTable;
  budget_resets: BudgetResetsTable;
}

export type UsageRow = Selectable<UsageTable>;
export type NewUsageRow = Insertable<UsageTable>;

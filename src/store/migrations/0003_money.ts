import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/**
 * Money: cost and token details on every ledger row (integer micro-USD, with the price version
 * used), price overrides set through the API, budgets, their assignments to keys, users and
 * teams, and the reset log.
 */
export const migration0003Money: Migration = {
  version: 3,
  name: "money",
  async up(db) {
    await db.schema
      .alterTable("usage")
      .addColumn("cached_tokens", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("cache_write_tokens", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("reasoning_tokens", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("cost_input_micros", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("cost_cached_micros", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("cost_cache_write_micros", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("cost_output_micros", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("cost_total_micros", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("price_version", "text")
      .addColumn("receipt", "jsonb")
      .execute();
    await db.schema.createIndex("usage_key_created_idx").on("usage").columns(["key_id", "created_at"]).execute();
    await db.schema.createIndex("usage_user_created_idx").on("usage").columns(["user_id", "created_at"]).execute();
    await db.schema.createIndex("usage_team_created_idx").on("usage").columns(["team_id", "created_at"]).execute();

    await db.schema
      .createTable("prices")
      .addColumn("model", "text", (c) => c.primaryKey())
      .addColumn("input_per_million", "numeric", (c) => c.notNull())
      .addColumn("output_per_million", "numeric", (c) => c.notNull())
      .addColumn("cached_input_per_million", "numeric")
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute();

    await db.schema
      .createTable("budgets")
      .addColumn("budget_id", "text", (c) => c.primaryKey())
      .addColumn("max_budget_micros", "bigint", (c) => c.notNull())
      .addColumn("duration_sec", "integer")
      .addColumn("duration_months", "integer")
      .addColumn("mode", "text", (c) => c.notNull().defaultTo("enforce"))
      .addColumn("alert_thresholds", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn("alert_webhook_url", "text")
      .addColumn("max_request_micros", "bigint")
      .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable("budget_assignments")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("budget_id", "text", (c) => c.notNull().references("budgets.budget_id").onDelete("cascade"))
      .addColumn("subject_type", "text", (c) => c.notNull())
      .addColumn("subject_id", "text", (c) => c.notNull())
      .addColumn("period_start", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("alerts_sent", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint("budget_assignments_subject_key", ["subject_type", "subject_id"])
      .execute();
    await db.schema
      .createTable("budget_resets")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("assignment_id", "bigint", (c) => c.notNull())
      .addColumn("budget_id", "text", (c) => c.notNull())
      .addColumn("subject_type", "text", (c) => c.notNull())
      .addColumn("subject_id", "text", (c) => c.notNull())
      .addColumn("period_start", "timestamptz", (c) => c.notNull())
      .addColumn("period_end", "timestamptz", (c) => c.notNull())
      .addColumn("spend_micros", "bigint", (c) => c.notNull())
      .addColumn("reset_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
  },
};

import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/** Access control: teams, users, virtual keys (hash only), the admin audit log; usage rows name the team. */
export const migration0002Access: Migration = {
  version: 2,
  name: "access",
  async up(db) {
    await db.schema
      .createTable("teams")
      .addColumn("team_id", "text", (c) => c.primaryKey())
      .addColumn("name", "text")
      .addColumn("budget_id", "text")
      .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn("blocked", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable("users")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("alias", "text")
      .addColumn("team_id", "text", (c) => c.references("teams.team_id").onDelete("set null"))
      .addColumn("budget_id", "text")
      .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn("blocked", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable("api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("key_hash", "text", (c) => c.notNull().unique())
      .addColumn("key_prefix", "text", (c) => c.notNull())
      .addColumn("key_name", "text")
      .addColumn("user_id", "text", (c) => c.references("users.user_id").onDelete("set null"))
      .addColumn("team_id", "text", (c) => c.references("teams.team_id").onDelete("set null"))
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("expires_at", "timestamptz")
      .addColumn("is_active", "boolean", (c) => c.notNull().defaultTo(true))
      .addColumn("revoked_at", "timestamptz")
      .addColumn("metadata", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn("allowed_models", "jsonb")
      .addColumn("allowed_ips", "jsonb")
      .addColumn("budget_id", "text")
      .addColumn("rpm_limit", "integer")
      .addColumn("tpm_limit", "integer")
      .addColumn("rpd_limit", "integer")
      .addColumn("max_parallel", "integer")
      .execute();
    await db.schema.createIndex("api_keys_user_idx").on("api_keys").column("user_id").execute();
    await db.schema.createIndex("api_keys_team_idx").on("api_keys").column("team_id").execute();
    await db.schema
      .createTable("audit_events")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target_type", "text", (c) => c.notNull())
      .addColumn("target_id", "text")
      .addColumn("source_ip", "text")
      .addColumn("request_id", "text")
      .addColumn("changes", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .execute();
    await db.schema.createIndex("audit_events_at_idx").on("audit_events").column("at").execute();
    await db.schema.alterTable("usage").addColumn("team_id", "text").execute();
  },
};

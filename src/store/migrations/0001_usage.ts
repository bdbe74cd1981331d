import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/** The usage ledger: one append-only row per upstream attempt, unique on (request_id, attempt). */
export const migration0001Usage: Migration = {
  version: 1,
  name: "usage",
  async up(db) {
    await db.schema
      .createTable("usage")
      .addColumn("id", "bigserial", (c) => c.primaryKey())
      .addColumn("request_id", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("requested_model", "text", (c) => c.notNull())
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("endpoint", "text", (c) => c.notNull())
      .addColumn("status", "integer", (c) => c.notNull())
      .addColumn("error_code", "text")
      .addColumn("prompt_tokens", "integer", (c) => c.notNull())
      .addColumn("completion_tokens", "integer", (c) => c.notNull())
      .addColumn("total_tokens", "integer", (c) => c.notNull())
      .addColumn("usage_estimated", "boolean", (c) => c.notNull())
      .addColumn("streamed", "boolean", (c) => c.notNull())
      .addColumn("ttft_ms", "double precision")
      .addColumn("total_ms", "double precision", (c) => c.notNull())
      .addColumn("overhead_ms", "double precision", (c) => c.notNull())
      .addColumn("key_id", "text")
      .addColumn("user_id", "text")
      .addUniqueConstraint("usage_request_id_attempt_key", ["request_id", "attempt"])
      .execute();
    await db.schema.createIndex("usage_created_at_idx").on("usage").column("created_at").execute();
  },
};

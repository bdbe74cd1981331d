import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/**
 * Request logging: each ledger row's tags and metadata (jsonb, filtered with `@>` through GIN
 * indexes), and `request_content`, the prompt and completion of a row when content logging is
 * on, kept apart from the append-only ledger so that retention can delete it (by `created_at`).
 */
export const migration0009RequestLogging: Migration = {
  version: 9,
  name: "request_logging",
  async up(db) {
    await db.schema.alterTable("usage").addColumn("tags", "jsonb").addColumn("metadata", "jsonb").execute();
    await sql`create index usage_tags_idx on usage using gin (tags jsonb_path_ops) where tags is not null`.execute(db);
    await sql`create index usage_metadata_idx on usage using gin (metadata jsonb_path_ops) where metadata is not null`.execute(db);
    await db.schema
      .createTable("request_content")
      .addColumn("request_id", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("content", "jsonb", (c) => c.notNull())
      .addPrimaryKeyConstraint("request_content_pkey", ["request_id", "attempt"])
      .execute();
    await db.schema.createIndex("request_content_created_at_idx").on("request_content").column("created_at").execute();
  },
};

import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/**
 * Files and batches (`/v1/files`, `/v1/batches`): uploaded JSONL files, each batch with its own
 * state and lease (so one instance runs it, another takes over when the lease expires), and one
 * row per request line with its result (the output line's exact text). Output and error files are rows of `files` whose content
 * is read from the batch's lines.
 */
export const migration0008Batches: Migration = {
  version: 8,
  name: "batches",
  async up(db) {
    await db.schema
      .createTable("files")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("key_id", "text")
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("filename", "text", (c) => c.notNull())
      .addColumn("bytes", "bigint", (c) => c.notNull())
      .addColumn("lines", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("content", "bytea")
      .addColumn("batch_id", "text")
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("expires_at", "timestamptz")
      .execute();
    await db.schema.createIndex("files_key_created_idx").on("files").columns(["key_id", "created_at"]).execute();
    await db.schema
      .createTable("batches")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("key_id", "text")
      .addColumn("key_hash", "text")
      .addColumn("endpoint", "text", (c) => c.notNull())
      .addColumn("input_file_id", "text", (c) => c.notNull())
      .addColumn("completion_window", "text", (c) => c.notNull())
      .addColumn("metadata", "jsonb")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("errors", "jsonb")
      .addColumn("total", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("completed", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("failed", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("output_file_id", "text")
      .addColumn("error_file_id", "text")
      .addColumn("output_expires_seconds", "integer")
      .addColumn("native", "jsonb")
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn("expires_at", "timestamptz", (c) => c.notNull())
      .addColumn("in_progress_at", "timestamptz")
      .addColumn("finalizing_at", "timestamptz")
      .addColumn("completed_at", "timestamptz")
      .addColumn("failed_at", "timestamptz")
      .addColumn("expired_at", "timestamptz")
      .addColumn("cancelling_at", "timestamptz")
      .addColumn("cancelled_at", "timestamptz")
      .addColumn("lease_owner", "text")
      .addColumn("lease_until", "timestamptz")
      .execute();
    await db.schema.createIndex("batches_key_created_idx").on("batches").columns(["key_id", "created_at"]).execute();
    await db.schema.createIndex("batches_open_idx").on("batches").column("created_at").where(sql.ref("status"), "in", ["validating", "in_progress", "finalizing", "cancelling"]).execute();
    await db.schema
      .createTable("batch_lines")
      .addColumn("batch_id", "text", (c) => c.notNull().references("batches.id").onDelete("cascade"))
      .addColumn("idx", "integer", (c) => c.notNull())
      .addColumn("custom_id", "text", (c) => c.notNull())
      .addColumn("body", "json", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("runs", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("result", "text")
      .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint("batch_lines_pkey", ["batch_id", "idx"])
      .execute();
    await db.schema.createIndex("batch_lines_pending_idx").on("batch_lines").columns(["batch_id", "idx"]).where(sql.ref("state"), "=", "pending").execute();
  },
};

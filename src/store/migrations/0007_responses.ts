import type { Migration } from "./types.js";

/**
 * `responses`: Responses API answers kept with `store: true`, so that `previous_response_id`
 * continues a conversation and `GET /v1/responses/{id}` finds them. Owned by the key that
 * created them (null: the master key); deleted after `logging.retention_days` by `created_at`.
 */
export const migration0007Responses: Migration = {
  version: 7,
  name: "responses",
  async up(db) {
    await db.schema
      .createTable("responses")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("key_id", "text")
      .addColumn("user_id", "text")
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("previous_response_id", "text")
      .addColumn("history", "jsonb", (c) => c.notNull())
      .addColumn("input_items", "jsonb", (c) => c.notNull())
      .addColumn("output_items", "jsonb", (c) => c.notNull())
      .addColumn("response", "jsonb", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("responses_created_at_idx").on("responses").column("created_at").execute();
  },
};

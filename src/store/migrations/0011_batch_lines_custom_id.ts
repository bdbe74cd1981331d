import type { Migration } from "./types.js";

/**
 * Batch lines by custom_id: a native batch's results come back from the provider by custom_id,
 * each written to its line, so finding a line that way must not scan its batch.
 */
export const migration0011BatchLinesCustomId: Migration = {
  version: 11,
  name: "batch_lines_custom_id",
  async up(db) {
    await db.schema.createIndex("batch_lines_custom_id_idx").on("batch_lines").columns(["batch_id", "custom_id"]).execute();
  },
};

import type { Migration } from "./types.js";

/**
 * Dashboard sessions (`ui_sessions`): one row per signed-in browser, keyed by the SHA-256 of the
 * session id (the id itself is only ever in the cookie). Kept in the database so every instance
 * of the gateway knows every session, and a sign-out through one ends it on all.
 */
export const migration0010UiSessions: Migration = {
  version: 10,
  name: "ui_sessions",
  async up(db) {
    await db.schema
      .createTable("ui_sessions")
      .addColumn("id_hash", "text", (c) => c.primaryKey())
      .addColumn("created_at", "timestamptz", (c) => c.notNull())
      .addColumn("last_seen_at", "timestamptz", (c) => c.notNull())
      .addColumn("expires_at", "timestamptz", (c) => c.notNull())
      .addColumn("source_ip", "text")
      .execute();
    await db.schema.createIndex("ui_sessions_expires_at").on("ui_sessions").column("expires_at").execute();
  },
};

import { sql } from "../kysely.js";
import type { Migration } from "./types.js";

/**
 * Failed dashboard sign-ins by source address and time: the sign-in limit counts an address's
 * failures of the last minute in the audit log on every attempt, so that count must not scan it.
 */
export const migration0012AuditSignInFailures: Migration = {
  version: 12,
  name: "audit_sign_in_failures",
  async up(db) {
    await db.schema.createIndex("audit_events_sign_in_failed_idx").on("audit_events").columns(["source_ip", "at"]).where(sql.ref("action"), "=", "session.sign_in_failed").execute();
  },
};

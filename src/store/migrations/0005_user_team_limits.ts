import type { Migration } from "./types.js";

/**
 * Rate and concurrency limits on users and teams, as keys have them: requests per minute, tokens
 * per minute, requests per day and concurrent requests. Null (every existing row) means no limit.
 */
export const migration0005UserTeamLimits: Migration = {
  version: 5,
  name: "user_team_limits",
  async up(db) {
    for (const table of ["users", "teams"] as const) {
      await db.schema.alterTable(table).addColumn("rpm_limit", "integer").addColumn("tpm_limit", "integer").addColumn("rpd_limit", "integer").addColumn("max_parallel", "integer").execute();
    }
  },
};

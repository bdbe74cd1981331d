import type { Migration } from "./types.js";

/**
 * The client's own request id (`x-request-id`), kept beside the gateway's: the ledger's identity
 * is always the gateway's id, so a client reusing one id cannot make attempts collide. Indexed
 * for `GET /v1/logs?client_request_id=…`.
 */
export const migration0004ClientRequestId: Migration = {
  version: 4,
  name: "client_request_id",
  async up(db) {
    await db.schema.alterTable("usage").addColumn("client_request_id", "text").execute();
    await db.schema.createIndex("usage_client_request_id_idx").on("usage").column("client_request_id").where("client_request_id", "is not", null).execute();
  },
};

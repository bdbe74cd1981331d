import type { Kysely } from "kysely";

/**
 * One schema migration. `up` runs inside a transaction on the migrating connection.
 * Migrations take `Kysely<any>`: they describe the schema as it was at their version, not
 * the current `Database` interface. Never edit a released migration; add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own idiom for migrations: no Database interface describes every past version
  up(db: Kysely<any>): Promise<void>;
}

/**
 * Kysely's runtime values, loaded from its CommonJS build.
 *
 * Kysely ships the same code twice; its ES-module build is 262 files, and Node 20 takes about
 * 0.15 s to load them, a quarter of a restart. The CommonJS build loads in about a third of that.
 * Types still come from `kysely` itself (`import type`), so nothing else changes.
 */
import { createRequire } from "node:module";
import type * as K from "kysely";

const kysely = createRequire(import.meta.url)("kysely") as typeof K;

export const sql: typeof K.sql = kysely.sql;
export const Kysely: typeof K.Kysely = kysely.Kysely;
export type Kysely<DB> = K.Kysely<DB>;
export const PostgresDialect: typeof K.PostgresDialect = kysely.PostgresDialect;

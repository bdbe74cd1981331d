/**
 * Keyset pagination shared by the access-control repositories: rows ordered newest first by a
 * timestamp, then by id, both descending. The cursor names the last row of a page; it is opaque
 * to clients (base64url of JSON) and carries the timestamp at full microsecond precision, so
 * rows created within the same millisecond are never skipped or repeated.
 */
import { sql } from "../kysely.js";
import type { RawBuilder } from "kysely";

export interface Cursor {
  /** The row's timestamp, UTC, microseconds: `2024-05-01T12:00:00.123456Z`. */
  ts: string;
  id: string;
}

export interface PageRequest {
  limit: number;
  cursor: Cursor | null;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

const TS_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.id]), "utf8").toString("base64url");
}

/** The cursor a client sent back, or null when it is not one of ours (or its id does not match `idPattern`). */
export function decodeCursor(text: string, idPattern?: RegExp): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [ts, id] = value as unknown[];
  if (typeof ts !== "string" || !TS_PATTERN.test(ts) || Number.isNaN(Date.parse(ts))) return null;
  if (typeof id !== "string" || id.length === 0 || id.length > 256) return null;
  if (idPattern && !idPattern.test(id)) return null;
  return { ts, id };
}

/** Selects `column` as UTC text with microseconds (the cursor's form), independent of the session time zone. */
export function cursorTs(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** `(tsColumn, idColumn) < (cursor)`: the rows after the cursor in newest-first order. */
export function afterCursor(tsColumn: string, idColumn: string, c: Cursor, idType: "text" | "bigint" = "text"): RawBuilder<boolean> {
  const id = idType === "bigint" ? sql`${c.id}::bigint` : sql`${c.id}`;
  return sql<boolean>`(${sql.ref(tsColumn)}, ${sql.ref(idColumn)}) < (${c.ts}::timestamptz, ${id})`;
}

/** Rows fetched with `limit + 1` → one page and the cursor of its last row when more follow. */
export function toPage<R extends { cursor_ts: string }, T>(rows: R[], limit: number, idOf: (r: R) => string, map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    nextCursor: more && last ? encodeCursor({ ts: last.cursor_ts, id: idOf(last) }) : null,
  };
}

/** jsonb columns are written as JSON text (see `Json<T>` in ../schema.ts). */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** PostgreSQL error code of a failed statement (23505 unique violation, 23503 foreign key). */
export function pgErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

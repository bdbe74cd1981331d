/**
 * Stored Responses API answers (`responses`, migration 7): written once when a response is
 * created with `store: true`, read by id (to continue a conversation, or GET), deleted by id
 * (DELETE) or when older than the retention period.
 */
import type { Kysely, Selectable } from "kysely";
import type { Database, ResponsesTable } from "../schema.js";
import { json } from "./page.js";

export type StoredResponse = Selectable<ResponsesTable>;

export interface NewStoredResponse {
  id: string;
  key_id: string | null;
  user_id: string | null;
  created_at: Date;
  model: string;
  previous_response_id: string | null;
  history: unknown[];
  input_items: unknown[];
  output_items: unknown[];
  response: Record<string, unknown>;
}

export async function insertResponse(db: Kysely<Database>, r: NewStoredResponse): Promise<void> {
  await db
    .insertInto("responses")
    .values({ ...r, history: json(r.history), input_items: json(r.input_items), output_items: json(r.output_items), response: json(r.response) })
    .execute();
}

export async function findResponse(db: Kysely<Database>, id: string): Promise<StoredResponse | undefined> {
  return db.selectFrom("responses").selectAll().where("id", "=", id).executeTakeFirst();
}

/** True when a row was deleted. */
export async function deleteResponse(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.deleteFrom("responses").where("id", "=", id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes the responses created before `cutoff`; the number deleted. */
export async function deleteResponsesBefore(db: Kysely<Database>, cutoff: Date): Promise<number> {
  const r = await db.deleteFrom("responses").where("created_at", "<", cutoff).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** `?limit=&cursor=` → a page request; a page → the list object every listing returns. */
import { GatewayError } from "../core/errors.js";
import { decodeCursor, type Page, type PageRequest } from "../store/repos/page.js";
import { DEFAULT_PAGE_LIMIT } from "./schemas/common.js";

export function pageRequest(query: { limit?: number; cursor?: string }, idPattern?: RegExp): PageRequest {
  let cursor = null;
  if (query.cursor !== undefined) {
    cursor = decodeCursor(query.cursor, idPattern);
    if (!cursor) throw new GatewayError("invalid_request", "invalid query parameter 'cursor': not a cursor returned by this list", { param: "cursor" });
  }
  return { limit: query.limit ?? DEFAULT_PAGE_LIMIT, cursor };
}

export function listObject<T>(page: Page<T>): { object: "list"; data: T[]; next_cursor: string | null } {
  return { object: "list", data: page.data, next_cursor: page.nextCursor };
}

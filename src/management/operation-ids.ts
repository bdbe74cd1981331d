/**
 * `operationId`s for the OpenAPI document, so clients can be generated from it with readable
 * method names. Derived from the method and path (`POST /v1/keys` → `createKey`,
 * `GET /v1/keys/{id}` → `getKey`, `POST /v1/keys/{id}/rotate` → `rotateKey`), with the names
 * that read better spelled out. A route that sets its own `operationId` keeps it.
 */
const NAMED: Record<string, string> = {
  "get /v1/usage": "getUsageReport",
  "get /v1/audit": "listAuditEvents",
  "get /v1/logs": "listRequestLogs",
  "get /v1/logs/{request_id}": "getRequestReceipt",
  "post /v1/pricing": "setPrice",
  "get /v1/pricing": "listPrices",
  "delete /v1/pricing/{model}": "deletePrice",
};

const FOR_ITEM: Record<string, string> = { get: "get", patch: "update", put: "replace", delete: "delete" };

export function operationIdFor(method: string, path: string): string {
  const named = NAMED[`${method} ${path}`];
  if (named) return named;
  const parts = path.split("/").filter((p) => p && p !== "v1");
  const isParam = (p: string) => p.startsWith("{");
  const last = parts[parts.length - 1] ?? "";
  if (isParam(last)) return (FOR_ITEM[method] ?? method) + singular(parts[parts.length - 2] ?? "");
  if (parts.length >= 3 && isParam(parts[parts.length - 2])) {
    // A sub-resource or an action of one item: GET /v1/users/{id}/usage → getUserUsage, POST …/rotate → rotateKey.
    const owner = singular(parts[parts.length - 3]);
    return method === "get" ? `get${owner}${cap(last)}` : `${last}${owner}`;
  }
  return method === "get" ? `list${cap(last)}` : method === "post" ? `create${singular(last)}` : `${method}${cap(last)}`;
}

/** An OpenAPI document, as far as its operations go. */
export type OpenApiPaths = { paths?: Record<string, Record<string, unknown> | undefined> };

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Calls `f` with every operation of an OpenAPI document (its method, path and object, to change in place). */
export function forEachOperation(doc: OpenApiPaths, f: (method: string, path: string, op: { operationId?: string; security?: Array<Record<string, string[]>> }) => void): void {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {})) {
      if (METHODS.includes(method) && op && typeof op === "object") f(method, path, op);
    }
  }
}

/** Fills in every operation's `operationId` in an OpenAPI document (in place). */
export function addOperationIds(doc: OpenApiPaths): void {
  forEachOperation(doc, (method, path, op) => {
    op.operationId ??= operationIdFor(method, path);
  });
}

/** `batches` → `Batch`, `keys` → `Key`: English plurals of the collections the API has. */
function singular(s: string): string {
  return cap(/(ch|sh|ss|x)es$/.test(s) ? s.slice(0, -2) : s.endsWith("s") ? s.slice(0, -1) : s);
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

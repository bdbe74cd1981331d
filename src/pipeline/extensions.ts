/**
 * Gateway extension fields of a request body (`x-…`) never go upstream (see `stripExtensions`).
 * The routing ones (`x-fallback-chain`, `x-routing-hints`) are read by route.ts; any other a
 * request sends is named in a warning (`x-switchboard-warnings`, and the receipt) instead of
 * vanishing silently; so is the header `x-switchboard-cache`, whose feature is not built yet.
 */
import type { IncomingHttpHeaders } from "node:http";

/** Extensions the gateway reads (route.ts). */
const ROUTING_FIELDS: ReadonlySet<string> = new Set(["x-fallback-chain", "x-routing-hints"]);

/** Asks the response cache to skip its read or write: there is no response cache yet. */
export const CACHE_HEADER = "x-switchboard-cache";

/** At most this many unknown extension names are listed (a body may hold any number). */
const MAX_LISTED = 5;
const MAX_NAME = 64;

/** A client-chosen name, made safe and short for a response header. */
function printable(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.:-]/g, "?");
  return safe.length > MAX_NAME ? `${safe.slice(0, MAX_NAME)}…` : safe;
}

/** The warnings for the unknown extension fields of `body` and the cache header, in body order. */
export function extensionWarnings(body: Record<string, unknown>, headers: IncomingHttpHeaders): string[] {
  const warnings: string[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(body)) {
    if (!key.startsWith("x-")) continue;
    if (!ROUTING_FIELDS.has(key)) unknown.push(key);
  }
  if (headers[CACHE_HEADER] !== undefined) {
    warnings.push(`${CACHE_HEADER} is not in effect yet: there is no response cache in this version (the header was ignored)`);
  }
  if (unknown.length > 0) {
    const listed = unknown.slice(0, MAX_LISTED).map(printable).join(", ");
    const more = unknown.length > MAX_LISTED ? ` and ${unknown.length - MAX_LISTED} more` : "";
    const verb = unknown.length === 1 ? "is not a field" : "are not fields";
    warnings.push(`${listed}${more} ${verb} of this gateway (removed before the request went upstream)`);
  }
  return warnings;
}

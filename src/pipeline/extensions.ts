/**
 * Gateway extension fields of a request body (`x-…`) never go upstream (see `stripExtensions`).
 * None of them has an effect in this version, so each one a request sends is named in a warning
 * (`x-switchboard-warnings`, and the receipt) instead of vanishing silently; so are the headers
 * `x-switchboard-fallbacks` and `x-switchboard-cache`.
 */
import type { IncomingHttpHeaders } from "node:http";

/** Extensions whose feature is being built, and what that feature is. */
const NOT_IN_EFFECT_YET: Readonly<Record<string, string>> = {
  "x-fallback-chain": "per-request fallback chains are not available in this version",
  "x-routing-hints": "routing hints (auto routing) are not available in this version",
};

export const FALLBACKS_HEADER = "x-switchboard-fallbacks";
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

/** The warnings for the extension fields of `body` and the fallbacks header, in body order. */
export function extensionWarnings(body: Record<string, unknown>, headers: IncomingHttpHeaders): string[] {
  const warnings: string[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(body)) {
    if (!key.startsWith("x-")) continue;
    const why = Object.hasOwn(NOT_IN_EFFECT_YET, key) ? NOT_IN_EFFECT_YET[key] : undefined;
    if (why !== undefined) warnings.push(`${key} is not in effect yet: ${why} (the field was removed before the request went upstream)`);
    else unknown.push(key);
  }
  if (headers[FALLBACKS_HEADER] !== undefined) {
    warnings.push(`${FALLBACKS_HEADER} is not in effect yet: ${NOT_IN_EFFECT_YET["x-fallback-chain"]} (the header was ignored)`);
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

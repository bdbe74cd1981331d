/**
 * A request's tags (`x-switchboard-tags: a,b`) and metadata (the body's `metadata`, OpenAI's map
 * of strings), recorded with its ledger rows and filterable in `/v1/logs` and `/v1/usage`.
 * Bounded; anything beyond the bounds is a 400 `invalid_request`, never cut silently.
 */
import { GatewayError } from "../core/errors.js";
import type { RequestContext } from "./context.js";

export const TAGS_HEADER = "x-switchboard-tags";
export const MAX_TAGS = 16;
export const MAX_TAG_LENGTH = 64;
export const MAX_METADATA_PAIRS = 16;
export const MAX_METADATA_KEY_LENGTH = 64;
export const MAX_METADATA_VALUE_LENGTH = 512;

/** Visible ASCII without the comma (the separator). */
const TAG = /^[\x21-\x2b\x2d-\x7e]+$/;

/** The tags of `x-switchboard-tags` (trimmed, empty ones and repeats dropped), or undefined without any. */
export function readTags(headers: RequestContext["headers"]): string[] | undefined {
  const given = headers[TAGS_HEADER];
  if (given === undefined) return undefined;
  const text = Array.isArray(given) ? given.join(",") : given;
  const tags: string[] = [];
  for (const part of text.split(",")) {
    const tag = part.trim();
    if (!tag || tags.includes(tag)) continue;
    if (tag.length > MAX_TAG_LENGTH || !TAG.test(tag)) {
      throw new GatewayError("invalid_request", `${TAGS_HEADER}: each tag is 1 to ${MAX_TAG_LENGTH} visible ASCII characters without commas`, { param: TAGS_HEADER });
    }
    tags.push(tag);
    if (tags.length > MAX_TAGS) throw new GatewayError("invalid_request", `${TAGS_HEADER}: at most ${MAX_TAGS} tags`, { param: TAGS_HEADER });
  }
  return tags.length ? tags : undefined;
}

/** The body's `metadata`: an object of strings, bounded; undefined when absent, null or empty. */
export function readMetadata(raw: Record<string, unknown>): Record<string, string> | undefined {
  const m = raw.metadata;
  if (m === undefined || m === null) return undefined;
  if (typeof m !== "object" || Array.isArray(m)) throw new GatewayError("invalid_request", "metadata must be an object of strings", { param: "metadata" });
  const entries = Object.entries(m);
  if (entries.length > MAX_METADATA_PAIRS) throw new GatewayError("invalid_request", `metadata: at most ${MAX_METADATA_PAIRS} pairs`, { param: "metadata" });
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_METADATA_KEY_LENGTH) throw new GatewayError("invalid_request", `metadata: each key is 1 to ${MAX_METADATA_KEY_LENGTH} characters`, { param: "metadata" });
    if (typeof v !== "string") throw new GatewayError("invalid_request", `metadata.${k} must be a string`, { param: "metadata" });
    if (v.length > MAX_METADATA_VALUE_LENGTH) throw new GatewayError("invalid_request", `metadata.${k}: at most ${MAX_METADATA_VALUE_LENGTH} characters`, { param: "metadata" });
    out[k] = v;
  }
  return entries.length ? out : undefined;
}

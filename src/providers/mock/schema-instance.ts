/**
 * A deterministic instance of a JSON schema: what the mock provider answers for structured
 * outputs (`response_format: { type: "json_schema" }`) and tool arguments, so a client that
 * validates the answer against its schema (the SDKs' `.parse()`, the AI SDK's `generateObject`,
 * LangChain's `withStructuredOutput`) accepts it.
 *
 * Covered: `type` (also as a list, e.g. `["string", "null"]`), `const`, `enum`, `anyOf`/`oneOf`
 * (the first branch), `allOf` (merged), `$ref` to `#/$defs/…` or `#/definitions/…` (and `#`),
 * object properties (every property, so strict schemas, which require all, are met), arrays
 * with `minItems`/`prefixItems`, strings with `minLength`/`maxLength` and common `format`s,
 * numbers within `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`/`multipleOf`.
 * A recursive schema stops at a depth bound with the smallest value the schema allows.
 */
type Schema = Record<string, unknown>;

const MAX_DEPTH = 6;

export function schemaInstance(schema: unknown): unknown {
  const root = isObject(schema) ? schema : {};
  return instance(root, root, 0);
}

function instance(schema: Schema, root: Schema, depth: number): unknown {
  const s = resolve(schema, root);
  if ("const" in s) return s.const;
  if (isList(s.enum) && s.enum.length) return s.enum[0];
  const branches = s.anyOf ?? s.oneOf;
  if (isList(branches) && branches.length) {
    // Prefer a branch that is not `null` so the answer carries content; past the depth bound,
    // the `null` branch when there is one, so a recursive schema ends.
    const isNull = (b: unknown) => isObject(b) && resolve(b, root).type === "null";
    const pick = (depth >= MAX_DEPTH ? branches.find(isNull) : branches.find((b) => !isNull(b))) ?? branches[0];
    return instance({ ...withoutKeys(s, ["anyOf", "oneOf"]), ...(isObject(pick) ? pick : {}) }, root, depth);
  }
  if (isList(s.allOf) && s.allOf.length) {
    const merged: Schema = withoutKeys(s, ["allOf"]);
    for (const part of s.allOf) if (isObject(part)) mergeInto(merged, resolve(part, root));
    return instance(merged, root, depth);
  }
  switch (typeOf(s)) {
    case "null":
      return null;
    case "boolean":
      return true;
    case "integer":
      return numberIn(s, true);
    case "number":
      return numberIn(s, false);
    case "string":
      return stringFor(s);
    case "array":
      return arrayFor(s, root, depth);
    default:
      return objectFor(s, root, depth);
  }
}

function objectFor(s: Schema, root: Schema, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = isObject(s.properties) ? s.properties : {};
  const required = new Set(isList(s.required) ? (s.required as string[]) : []);
  for (const [name, sub] of Object.entries(props)) {
    // Past the depth bound only what is required is filled in, so recursion ends.
    if (depth >= MAX_DEPTH && !required.has(name)) continue;
    out[name] = instance(isObject(sub) ? sub : {}, root, depth + 1);
  }
  return out;
}

function arrayFor(s: Schema, root: Schema, depth: number): unknown[] {
  const prefix = isList(s.prefixItems) ? s.prefixItems : [];
  const min = typeof s.minItems === "number" ? s.minItems : 0;
  const wanted = depth >= MAX_DEPTH ? min : Math.max(min, prefix.length, 1);
  const count = typeof s.maxItems === "number" ? Math.min(wanted, s.maxItems) : wanted;
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const sub = i < prefix.length ? prefix[i] : s.items;
    out.push(instance(isObject(sub) ? sub : {}, root, depth + 1));
  }
  return out;
}

function stringFor(s: Schema): string {
  const byFormat: Record<string, string> = {
    "date-time": "2026-01-01T00:00:00Z",
    date: "2026-01-01",
    time: "00:00:00Z",
    email: "mock@example.com",
    uri: "https://example.com/mock",
    url: "https://example.com/mock",
    uuid: "00000000-0000-4000-8000-000000000000",
    hostname: "example.com",
    ipv4: "192.0.2.1",
    ipv6: "2001:db8::1",
    duration: "P1D",
  };
  let v = (typeof s.format === "string" && byFormat[s.format]) || "mock";
  const min = typeof s.minLength === "number" ? s.minLength : 0;
  const max = typeof s.maxLength === "number" ? s.maxLength : Infinity;
  while (v.length < min) v += "x";
  if (v.length > max) v = v.slice(0, max);
  return v;
}

function numberIn(s: Schema, integer: boolean): number {
  const lo = num(s.minimum) ?? (num(s.exclusiveMinimum) !== undefined ? num(s.exclusiveMinimum)! + (integer ? 1 : 0.5) : undefined);
  const hi = num(s.maximum) ?? (num(s.exclusiveMaximum) !== undefined ? num(s.exclusiveMaximum)! - (integer ? 1 : 0.5) : undefined);
  let v = lo !== undefined ? (integer ? Math.ceil(lo) : lo) : hi !== undefined && hi < 1 ? (integer ? Math.floor(hi) : hi) : 1;
  const step = num(s.multipleOf);
  if (step && step > 0) v = Math.ceil(v / step) * step;
  return v;
}

function typeOf(s: Schema): string | undefined {
  if (isList(s.type)) return (s.type as string[]).find((t) => t !== "null") ?? "null";
  if (typeof s.type === "string") return s.type;
  if (isObject(s.properties)) return "object";
  if (s.items !== undefined || s.prefixItems !== undefined) return "array";
  return undefined;
}

/** Follows local `$ref`s (`#`, `#/$defs/x`, `#/definitions/x`, any JSON pointer into the root). */
function resolve(s: Schema, root: Schema, seen = 0): Schema {
  const ref = s.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#") || seen > 32) return s;
  let target: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    target = isObject(target) ? target[key] : undefined;
  }
  if (!isObject(target)) return withoutKeys(s, ["$ref"]);
  return resolve({ ...target, ...withoutKeys(s, ["$ref"]) }, root, seen + 1);
}

function mergeInto(into: Schema, part: Schema): void {
  for (const [k, v] of Object.entries(part)) {
    if (k === "properties" && isObject(v)) into.properties = { ...(isObject(into.properties) ? into.properties : {}), ...v };
    else if (k === "required" && isList(v)) into.required = [...(isList(into.required) ? into.required : []), ...v];
    else if (!(k in into)) into[k] = v;
  }
}

function withoutKeys(s: Schema, keys: string[]): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Array.isArray, typed as a list of unknown values rather than `any[]`. */
function isList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

function isObject(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

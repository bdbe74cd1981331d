/**
 * JSON Schema (as OpenAI tools and response_format carry it) → the OpenAPI 3.0 subset Gemini's
 * `Schema` accepts. Local `$ref`s are inlined, `["x", "null"]` / `anyOf [x, null]` become
 * `nullable`, `const` becomes a one-value `enum`. Keywords Gemini does not know are removed and
 * reported (except pure annotations such as `$schema`, and boolean `additionalProperties`,
 * which only restate what Gemini does anyway).
 */
import type { GeminiSchema } from "./types.js";

type Json = Record<string, unknown>;

const TYPES: Record<string, GeminiSchema["type"]> = {
  string: "STRING",
  number: "NUMBER",
  integer: "INTEGER",
  boolean: "BOOLEAN",
  array: "ARRAY",
  object: "OBJECT",
  null: "NULL",
};

/** Copied as they are. */
const KEPT = [
  "title",
  "description",
  "nullable",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
  "minProperties",
  "maxProperties",
  "default",
  "example",
  "propertyOrdering",
];
/** Removed without a warning: annotations that constrain nothing Gemini would do differently. */
const SILENT = new Set(["$schema", "$id", "$comment", "$defs", "definitions", "examples", "strict", "readOnly", "writeOnly"]);
/** Formats Gemini documents per type; others are removed. */
const FORMATS: Record<string, string[]> = { STRING: ["enum", "date-time"], NUMBER: ["float", "double"], INTEGER: ["int32", "int64", "enum"] };
const HANDLED = new Set(["type", "format", "enum", "const", "properties", "required", "items", "anyOf", "oneOf", "allOf", "$ref", "additionalProperties", ...KEPT]);

export interface SchemaConversion {
  schema: GeminiSchema;
  /** Keywords that were removed and change meaning, for a warning. */
  dropped: string[];
}

export function toGeminiSchema(input: unknown): SchemaConversion {
  const dropped = new Set<string>();
  const root = isObject(input) ? input : {};
  const schema = convert(root, root, dropped, []);
  return { schema, dropped: [...dropped] };
}

/** A function's parameters: omitted entirely when the object has no properties (Gemini rejects an empty OBJECT). */
export function isEmptyObjectSchema(s: GeminiSchema): boolean {
  return s.type === "OBJECT" && (!isObject(s.properties) || Object.keys(s.properties).length === 0) && s.anyOf === undefined;
}

function convert(node: unknown, root: Json, dropped: Set<string>, refs: string[]): GeminiSchema {
  if (!isObject(node)) return {};
  let s = node;
  if (typeof s.$ref === "string") {
    const ref = s.$ref;
    const target = resolveRef(root, ref);
    if (!target) {
      dropped.add(`$ref ${ref} (unresolvable)`);
      return { type: "OBJECT" };
    }
    if (refs.includes(ref)) {
      dropped.add(`$ref ${ref} (recursive)`);
      return { type: "OBJECT" };
    }
    const { $ref: _omit, ...rest } = s;
    return convert({ ...target, ...rest }, root, dropped, [...refs, ref]);
  }
  if (Array.isArray(s.allOf)) {
    if (s.allOf.length === 1 && isObject(s.allOf[0])) {
      const { allOf, ...rest } = s;
      s = { ...(allOf as Json[])[0], ...rest };
    } else dropped.add("allOf");
  }

  const out: GeminiSchema = {};
  const types = (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]).filter((t): t is string => typeof t === "string");
  const nonNull = types.filter((t) => t !== "null");
  if (types.includes("null") && nonNull.length > 0) out.nullable = true;
  if (nonNull.length === 1) out.type = TYPES[nonNull[0]];
  else if (nonNull.length > 1) out.anyOf = nonNull.map((t) => ({ type: TYPES[t] }));
  else if (types.length === 1) out.type = "NULL";

  for (const k of KEPT) if (s[k] !== undefined) out[k] = s[k];

  const values = s.const !== undefined ? [s.const] : Array.isArray(s.enum) ? s.enum : undefined;
  if (values) {
    if (values.includes(null)) out.nullable = true;
    out.enum = values.filter((v) => v !== null).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
    out.type ??= "STRING";
    if (out.type !== "STRING") out.format = "enum";
  }
  if (typeof s.format === "string" && out.format === undefined) {
    if (out.type && FORMATS[out.type]?.includes(s.format)) out.format = s.format;
    else dropped.add(`format "${s.format}"`);
  }

  if (isObject(s.properties)) {
    const props: Record<string, GeminiSchema> = {};
    for (const [name, sub] of Object.entries(s.properties)) props[name] = convert(sub, root, dropped, refs);
    out.properties = props;
    out.type ??= "OBJECT";
    if (Array.isArray(s.required)) out.required = s.required.filter((r): r is string => typeof r === "string" && r in props);
  }
  if (s.items !== undefined) {
    if (Array.isArray(s.items)) dropped.add("items (tuple form)");
    else out.items = convert(s.items, root, dropped, refs);
    out.type ??= "ARRAY";
  }
  if (isObject(s.additionalProperties)) dropped.add("additionalProperties");

  const alternatives = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (alternatives) {
    const isNull = (a: unknown) => isObject(a) && a.type === "null" && Object.keys(a).length === 1;
    const rest = alternatives.filter((a) => !isNull(a));
    if (rest.length < alternatives.length) out.nullable = true;
    const converted = rest.map((a) => convert(a, root, dropped, refs));
    if (converted.length === 1) Object.assign(out, { ...converted[0], ...stripUndefined({ description: out.description, title: out.title }) });
    else if (converted.length > 1) out.anyOf = converted;
    if (Array.isArray(s.anyOf) && Array.isArray(s.oneOf)) dropped.add("oneOf");
  }

  for (const k of Object.keys(s)) if (!HANDLED.has(k) && !SILENT.has(k)) dropped.add(k);
  return out;
}

function resolveRef(root: Json, ref: string): Json | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(at)) return undefined;
    at = at[key];
  }
  return isObject(at) ? at : undefined;
}

function stripUndefined(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

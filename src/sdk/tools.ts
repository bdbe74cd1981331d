/**
 * Tools for the library, in any of these forms:
 * - OpenAI tool objects (sent as they are, never run);
 * - `tool({ description, parameters: zodSchema, execute })`, or `tool(fn, zodSchema)` where the
 *   schema's own `.describe()` is the tool's description;
 * - plain functions, by name in a record or by their own name in an array: the parameters are
 *   the function's, typed and described by the JSDoc block that opens its body (see
 *   `functionTool`).
 * Every executable tool's arguments are validated with its zod schema before it runs.
 */
import { z } from "zod";
import { InvalidRequestError } from "./errors.js";

export interface OpenAITool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export interface ExecutableTool<Args = unknown, Result = unknown> {
  /** Defaults to the description of `parameters` (zod's `.describe()`). */
  description?: string;
  parameters: z.ZodType<Args>;
  execute?: (args: Args) => Result | Promise<Result>;
}

/**
 * A plain function used as a tool. Its arguments arrive as the model gives them, so nothing
 * about their types is known here; the JSDoc block (or a zod schema through `tool`) says.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the arguments are whatever the model sends, validated at run time
export type PlainFunctionTool = (...args: any[]) => unknown;

/** Declares a tool with a zod schema for its arguments; `execute` lets `completion` run it. */
export function tool<Args, Result>(def: ExecutableTool<Args, Result>): ExecutableTool<Args, Result>;
/** A function taking the arguments object, described by its zod schema (`.describe()` is the tool's description). */
export function tool<Args, Result>(execute: (args: Args) => Result | Promise<Result>, parameters: z.ZodType<Args>): ExecutableTool<Args, Result>;
export function tool<Args, Result>(def: ExecutableTool<Args, Result> | ((args: Args) => Result | Promise<Result>), parameters?: z.ZodType<Args>): ExecutableTool<Args, Result> {
  if (typeof def !== "function") return def;
  if (!parameters) throw new InvalidRequestError("tool(fn, parameters): a zod schema of the function's arguments is required", "tools");
  return { ...(parameters.description ? { description: parameters.description } : {}), parameters, execute: def };
}

/**
 * A tool of any argument and result types. `Args` is both read (the schema's output) and written
 * (execute's parameter), so tools of different types only meet under `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: no other type holds tools of different argument types
type AnyTool = ExecutableTool<any, any>;

export type ToolsInput = Array<OpenAITool | PlainFunctionTool> | Record<string, AnyTool | PlainFunctionTool>;

/** The names OpenAI accepts for a function. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** OpenAI tool objects for the wire, and the executors by name. */
export function normaliseTools(tools: ToolsInput | undefined): { wire?: OpenAITool[]; executors: Map<string, AnyTool> } {
  const executors = new Map<string, AnyTool>();
  if (!tools) return { executors };
  if (Array.isArray(tools) && !tools.some((t) => typeof t === "function")) return { wire: tools as OpenAITool[], executors };
  const entries: Array<[string, AnyTool] | OpenAITool> = Array.isArray(tools)
    ? tools.map((t) => (typeof t === "function" ? [t.name, functionTool(t)] : t))
    : Object.entries(tools).map(([name, t]) => [name, typeof t === "function" ? functionTool(t) : t]);
  const wire = entries.map((e): OpenAITool => {
    if (!Array.isArray(e)) return e;
    const [name, t] = e;
    if (!TOOL_NAME.test(name)) throw new InvalidRequestError(`tool name '${name}' must be 1 to 64 letters, digits, '_' or '-' (name the function, or give it a name in a record)`, "tools");
    executors.set(name, t);
    const schema = z.toJSONSchema(t.parameters as z.ZodType, { target: "draft-7" }) as Record<string, unknown>;
    delete schema.$schema;
    const description = t.description ?? (t.parameters as z.ZodType).description;
    return { type: "function", function: { name, ...(description ? { description } : {}), parameters: schema } };
  });
  return { wire, executors };
}

/** Runs one tool call: arguments validated with the tool's schema; the result becomes the tool message. */
export async function runTool<Args, Result>(t: ExecutableTool<Args, Result>, rawArgs: string): Promise<string> {
  let parsed: unknown;
  try {
    parsed = rawArgs ? JSON.parse(rawArgs) : {};
  } catch {
    return JSON.stringify({ error: "arguments are not valid JSON" });
  }
  const args = t.parameters.safeParse(parsed);
  if (!args.success) return JSON.stringify({ error: `invalid arguments: ${args.error.issues.map((i) => i.message).join("; ")}` });
  const result = await t.execute!(args.data);
  return result === undefined ? "" : typeof result === "string" ? result : JSON.stringify(result);
}

const fromFunctions = new WeakMap<PlainFunctionTool, AnyTool>();

/**
 * A plain function as an executable tool. JavaScript keeps no comment outside a function's own
 * source, so its JSDoc goes first in its body, as a docstring would:
 *
 *   function get_weather(city, unit = "celsius") {
 *     /**
 *      * Current weather for a city.
 *      * @param {string} city The city's name
 *      * @param {"celsius" | "fahrenheit"} [unit] Temperature unit
 *      *\/
 *     ...
 *   }
 *
 * The parameters are the function's, in order (one destructured object, `({ city, unit })`, is
 * called with the arguments object; positional parameters with its values in order); a parameter
 * with a default or written `[name]` is optional. Types: string, number, integer, boolean, null,
 * T[] / Array<T>, object, unions, and string or number literals; anything else (or no type) accepts
 * any JSON value. Code whose comments were stripped (minified or bundled) has no description or
 * types: give such a function a zod schema with `tool(fn, schema)` instead.
 */
export function functionTool(fn: PlainFunctionTool): AnyTool {
  let t = fromFunctions.get(fn);
  if (!t) {
    t = parseFunction(fn);
    fromFunctions.set(fn, t);
  }
  return t;
}

interface DocParam {
  type?: string;
  optional: boolean;
  description?: string;
}

function parseFunction(fn: PlainFunctionTool): AnyTool {
  const src = Function.prototype.toString.call(fn);
  const sig = signature(src);
  const doc = sig ? jsDoc(src, sig.bodyStart) : undefined;
  const docParams = doc?.params ?? new Map<string, DocParam>();
  // Parameters as the source lists them; a function whose source cannot be read (native, bound) by its JSDoc only.
  const names = sig ? sig.names : [...docParams.keys()];
  const shape: Record<string, z.ZodType> = {};
  for (const p of names) {
    const d = docParams.get(p);
    let schema = zodOf(d?.type);
    if (d?.description) schema = schema.describe(d.description);
    shape[p] = d?.optional || sig?.optional.has(p) ? schema.optional() : schema;
  }
  const parameters = z.object(shape);
  const positional = sig !== undefined && !sig.destructured;
  const execute = positional ? (args: Record<string, unknown>) => fn(...names.map((n) => args[n])) : (args: Record<string, unknown>) => fn(args);
  return { ...(doc?.description ? { description: doc.description } : {}), parameters, execute };
}

/** The parameter names of a function's source, which are optional, whether it takes one destructured object, and where its body starts. */
function signature(src: string): { names: string[]; optional: Set<string>; destructured: boolean; bodyStart: number } | undefined {
  const arrow = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (arrow) return { names: [arrow[1]], optional: new Set(), destructured: false, bodyStart: arrow[0].length };
  const open = src.indexOf("(");
  if (open < 0) return undefined;
  const close = matching(src, open);
  if (close < 0) return undefined;
  const params = splitTopLevel(src.slice(open + 1, close));
  let bodyStart = close + 1;
  const arrowAfter = /^\s*=>/.exec(src.slice(bodyStart));
  if (arrowAfter) bodyStart += arrowAfter[0].length;
  if (params.length === 1 && params[0].startsWith("{")) {
    const inner = params[0].slice(1, matching(params[0], 0));
    const { names, optional } = bindings(splitTopLevel(inner), /^([A-Za-z_$][\w$]*)/);
    return { names, optional, destructured: true, bodyStart };
  }
  const { names, optional } = bindings(params, /^([A-Za-z_$][\w$]*)/);
  return { names, optional, destructured: false, bodyStart };
}

function bindings(parts: string[], nameOf: RegExp): { names: string[]; optional: Set<string> } {
  const names: string[] = [];
  const optional = new Set<string>();
  for (const part of parts) {
    if (part.startsWith("...")) continue; // a rest parameter has no single name to send
    const name = nameOf.exec(part)?.[1];
    if (!name) continue;
    names.push(name);
    if (/=/.test(part.replace(/=>/g, ""))) optional.add(name);
  }
  return { names, optional };
}

/** Index of the bracket closing the one at `open` (strings and template literals skipped), or -1. */
function matching(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === "`") {
      i = skipString(src, i);
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function skipString(src: string, start: number): number {
  const quote = src[start];
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === "\\") i++;
    else if (src[i] === quote) return i;
  }
  return src.length;
}

/** Splits on the commas outside brackets and strings; parts trimmed, empty ones dropped. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") i = skipString(text, i);
    else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** The JSDoc block that opens the body at `bodyStart`: its description and @param tags by name. */
function jsDoc(src: string, bodyStart: number): { description?: string; params: Map<string, DocParam> } | undefined {
  const m = /^\s*\{\s*\/\*\*([\s\S]*?)\*\//.exec(src.slice(bodyStart));
  if (!m) return undefined;
  const lines = m[1].split("\n").map((l) => l.replace(/^\s*\*?\s?/, "").trimEnd());
  const text: string[] = [];
  const params = new Map<string, DocParam>();
  let inTags = false;
  let last: DocParam | undefined;
  for (const line of lines) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line.trim());
    if (tag) {
      inTags = true;
      last = tag[1] === "param" || tag[1] === "arg" || tag[1] === "argument" ? paramTag(tag[2], params) : undefined;
    } else if (!inTags) text.push(line.trim());
    else if (last && line.trim()) last.description = last.description ? `${last.description} ${line.trim()}` : line.trim();
  }
  // Lines of a paragraph join with spaces; paragraphs keep their blank line.
  const description = text
    .join("\n")
    .trim()
    .split(/\n{2,}/)
    .map((para) => para.replace(/\n/g, " "))
    .join("\n\n");
  return { ...(description ? { description } : {}), params };
}

/** One `@param {type} [name=default] description`; `args.city` documents `city` of a destructured object. */
function paramTag(rest: string, into: Map<string, DocParam>): DocParam | undefined {
  let type: string | undefined;
  let s = rest;
  if (s.startsWith("{")) {
    const end = matching(s, 0);
    if (end < 0) return undefined;
    type = s.slice(1, end).trim();
    s = s.slice(end + 1).trim();
  }
  const named = /^(\[)?\s*([A-Za-z_$][\w$.]*)\s*(?:=[^\]]*)?\]?\s*(?:-\s*)?([\s\S]*)$/.exec(s);
  if (!named) return undefined;
  let optional = named[1] === "[";
  if (type?.endsWith("=")) {
    optional = true;
    type = type.slice(0, -1);
  }
  const path = named[2].split(".");
  const p: DocParam = { type, optional, ...(named[3].trim() ? { description: named[3].trim() } : {}) };
  into.set(path[path.length - 1], p);
  return p;
}

/** A zod schema for a JSDoc type; an unknown or absent type accepts any JSON value. */
function zodOf(type: string | undefined): z.ZodType {
  const t = type?.trim().replace(/^\((.*)\)$/, "$1");
  if (!t || t === "*" || t === "any" || t === "unknown") return z.unknown();
  const union = splitUnion(t);
  if (union.length > 1) {
    const strings = union.map((u) => /^(["'])(.*)\1$/.exec(u)?.[2]);
    if (strings.every((v) => v !== undefined)) return z.enum(strings as [string, ...string[]]);
    return z.union(union.map(zodOf) as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  }
  const literal = /^(["'])(.*)\1$/.exec(t);
  if (literal) return z.literal(literal[2]);
  if (/^-?\d+(\.\d+)?$/.test(t)) return z.literal(Number(t));
  const array = /^(.+)\[\]$/.exec(t) ?? /^Array\.?<(.+)>$/i.exec(t);
  if (array) return z.array(zodOf(array[1]));
  switch (t.toLowerCase()) {
    case "string":
      return z.string();
    case "number":
      return z.number();
    case "integer":
    case "int":
      return z.number().int();
    case "boolean":
    case "bool":
      return z.boolean();
    case "null":
      return z.null();
    case "array":
      return z.array(z.unknown());
    case "object":
      return z.record(z.string(), z.unknown());
    default:
      return z.unknown();
  }
}

function splitUnion(t: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '"' || c === "'") i = skipString(t, i);
    else if (c === "(" || c === "<" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === ">" || c === "]" || c === "}") depth--;
    else if (c === "|" && depth === 0) {
      parts.push(t.slice(from, i).trim());
      from = i + 1;
    }
  }
  parts.push(t.slice(from).trim());
  return parts.filter(Boolean);
}

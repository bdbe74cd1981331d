/**
 * `${VAR}` and `${VAR:-default}` in every string value of the config (keys are left alone).
 * Shell semantics: `:-` uses the default when VAR is unset or empty; a missing VAR without a
 * default becomes "" (and is reported, for a warning). `$${` is a literal `${`. Defaults are not
 * themselves interpolated.
 */
import type { EnvSnapshot } from "./types.js";
import type { PathSegment } from "./problems.js";

export interface InterpolationProblem {
  path: PathSegment[];
  message: string;
}

/** A `${NAME}` without a default whose variable is not set: the value became "". */
export interface UnsetReference {
  path: PathSegment[];
  name: string;
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Interpolates one string; returns an error message instead when a reference is malformed.
 * The names of unset variables referenced without a default are added to `unset`.
 */
export function interpolateString(input: string, env: EnvSnapshot, unset?: string[]): { value: string } | { error: string } {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf("$", i);
    if (dollar === -1) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    if (input.startsWith("$${", dollar)) {
      out += "${";
      i = dollar + 3;
      continue;
    }
    if (!input.startsWith("${", dollar)) {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const close = input.indexOf("}", dollar + 2);
    if (close === -1) return { error: `unterminated variable reference "${input.slice(dollar)}"` };
    const body = input.slice(dollar + 2, close);
    const match = REFERENCE.exec(body);
    if (match === null) {
      return { error: `invalid variable reference "\${${body}}" (expected \${NAME} or \${NAME:-default})` };
    }
    const [, name, fallback] = match;
    const value = env.get(name);
    if (value === undefined && fallback === undefined) unset?.push(name);
    out += fallback !== undefined && (value === undefined || value === "") ? fallback : (value ?? "");
    i = close + 1;
  }
  return { value: out };
}

/** Returns a copy of `value` with every string interpolated, plus the problems found. */
export function interpolateValue(value: unknown, env: EnvSnapshot): { value: unknown; problems: InterpolationProblem[]; unset: UnsetReference[] } {
  const problems: InterpolationProblem[] = [];
  const unset: UnsetReference[] = [];
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === "string") {
      const names: string[] = [];
      const result = interpolateString(node, env, names);
      for (const name of names) unset.push({ path, name });
      if ("error" in result) {
        problems.push({ path, message: result.error });
        return node;
      }
      return result.value;
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (isPlainObject(node)) {
      const copy: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) setOwn(copy, key, walk(child, [...path, key]));
      return copy;
    }
    return node;
  };
  return { value: walk(value, []), problems, unset };
}

/**
 * Hides every `${VAR}` / `${VAR:-default}` reference behind a YAML-neutral placeholder before
 * parsing, so references are safe anywhere, including inside flow mappings — the documented
 * `openai: { api_key: ${OPENAI_API_KEY} }` is not valid YAML as written (`{`/`}` are flow
 * indicators). Placeholders contain no newline, so line numbers are unchanged. `restore` puts
 * the original reference text back (then `interpolateValue` substitutes it as usual).
 */
export function protectReferences(text: string): { text: string; restore: (s: string) => string } {
  const nonce = Math.random().toString(36).slice(2, 10);
  const originals: string[] = [];
  const protectedText = text.replace(/\$?\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\n]*)?\}/g, (ref) => {
    originals.push(ref);
    return `SBREF${nonce}N${originals.length - 1}X`;
  });
  const pattern = new RegExp(`SBREF${nonce}N(\\d+)X`, "g");
  const restore = (s: string): string => (originals.length === 0 ? s : s.replace(pattern, (whole, i: string) => originals[Number(i)] ?? whole));
  return { text: protectedText, restore };
}

/** Applies `fn` to every string in a parsed value, keys included. */
export function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn));
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) setOwn(copy, fn(key), mapStrings(child, fn));
    return copy;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Assigns without invoking setters, so a key named `__proto__` stays an ordinary (rejected) key. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Config problems: one line each, `file:line: key.path: message`, never a stack trace.
 * Lines come from the YAML document's source ranges (kept by `yaml`'s parser).
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from "yaml";
import type { z } from "zod";

export type PathSegment = string | number;

export interface ConfigProblem {
  /** Config file name as the user named it; absent for problems outside any file. */
  file?: string;
  /** 1-based line in the file. */
  line?: number;
  /** Dotted key path (`models[0].deployments[1].model`), or an environment variable name. */
  path?: string;
  message: string;
}

/** Thrown by loadConfig for any invalid configuration; `problems` has one line per problem. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.file === undefined ? "" : p.line === undefined ? `${p.file}: ` : `${p.file}:${p.line}: `;
  const path = p.path === undefined || p.path === "" ? "" : `${p.path}: `;
  return `${where}${path}${p.message}`;
}

/** `models[0].deployments[1].model`; keys that are not plain words are quoted: `pricing["gpt-4.1"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const key = String(seg);
      if (key !== "" && !/[.\s[\]"]/.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Finds the source line of a key path in a parsed YAML document. */
export class SourceLocator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * The line of the deepest key on `path` that exists in the file: the offending key itself,
   * or for a missing key, the nearest enclosing key or list item. Undefined at the top level.
   */
  line(path: readonly PropertyKey[]): number | undefined {
    let node: unknown = this.doc.contents;
    let offset: number | undefined;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) break;
        const range = isScalar(pair.key) ? pair.key.range : undefined;
        if (range) offset = range[0];
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg] as { range?: [number, number, number] } | undefined;
        if (item === undefined) break;
        if (item.range) offset = item.range[0];
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" ? String(value) : typeof value;
}

const EXPECTED: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  object: "a mapping",
  record: "a mapping",
  array: "a list",
};

/** Human wording for one zod issue (unrecognized keys are expanded by `issueProblems`). */
export function issueMessage(issue: z.core.$ZodIssue): string {
  const input = issue.input;
  const got = input === undefined ? "" : `, got ${describe(input)}`;
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "required key is missing";
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}${got}`;
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string") return min <= 1 ? "must not be empty" : `must be at least ${min} characters`;
      if (issue.origin === "array") return `must have at least ${min} item${min === 1 ? "" : "s"}`;
      return `${issue.inclusive ? "must be at least" : "must be greater than"} ${min}${got}`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return `must be at most ${max} characters`;
      if (issue.origin === "array") return `must have at most ${max} items`;
      return `${issue.inclusive ? "must be at most" : "must be less than"} ${max}${got}`;
    }
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => String(v)).join(", ")}${got}`;
    case "custom":
      return `${issue.message}${issue.params?.showInput === true ? got : ""}`;
    default:
      return `${issue.message}${issue.code === "invalid_format" ? got : ""}`;
  }
}

/** Problems for zod issues, located in the file when a locator is given. */
export function issueProblems(
  issues: readonly z.core.$ZodIssue[],
  file: string | undefined,
  locator: SourceLocator | undefined,
  knownKeysAt: (path: readonly PropertyKey[]) => string[],
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const hint = closest(key, known);
        out.push({
          file,
          line: locator?.line(path),
          path: formatPath(path),
          message: `unknown key${hint === undefined ? "" : ` (did you mean "${hint}"?)`}`,
        });
      }
      continue;
    }
    out.push({ file, line: locator?.line(issue.path), path: formatPath(issue.path), message: issueMessage(issue) });
  }
  return out;
}

/** The closest known key by edit distance, when close enough to be a likely typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (bestDistance <= Math.max(1, Math.floor(key.length / 3))) return best;
  const lower = key.toLowerCase();
  return key.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())) : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** Orders problems by file line (problems without a line keep their place at the end). */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}

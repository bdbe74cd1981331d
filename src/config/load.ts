/**
 * loadConfig: pick the file, parse YAML/JSON keeping line numbers, interpolate `${VAR}`,
 * apply environment then CLI overrides, validate, resolve. Every problem found is reported at
 * once, as one line each (`switchboard.yaml:12: server.port: expected a number, got "abc"`).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { readEnv, type EnvInput } from "./env.js";
import { interpolateValue, isPlainObject, mapStrings, protectReferences, setOwn } from "./interpolate.js";
import { ConfigError, formatPath, formatProblem, issueProblems, SourceLocator, sortProblems, type ConfigProblem, type PathSegment } from "./problems.js";
import { checkSemantics, DEFAULT_PROVIDER_TYPES, resolveConfig } from "./resolve.js";
import { settingsNotInEffect } from "./not-in-effect.js";
import { applyOtelEnv } from "./otel-env.js";
import { checkProviderSettings, type ProviderSettingsOf } from "./provider-settings.js";
import { checkModelTargets } from "./model-targets.js";
import { configSchema, knownKeysAt } from "./schema.js";
import type { EnvSnapshot, SwitchboardConfig } from "./types.js";

export { ConfigError } from "./problems.js";

export interface ConfigOverrides {
  host?: string;
  port?: number;
}

export interface LoadConfigOptions {
  /** Config file; else $SWITCHBOARD_CONFIG; else ./switchboard.yaml when present; else none. */
  path?: string;
  /** The environment (default: a snapshot of process.env). */
  env?: EnvInput;
  /** CLI flags; they win over the file and the environment. */
  overrides?: ConfigOverrides;
  /** Provider type names the registry knows (default DEFAULT_PROVIDER_TYPES). */
  knownProviderTypes?: readonly string[];
  /** The settings each provider type reads (from the registry); other keys of an entry are refused. Without it they are not checked. */
  providerSettings?: ProviderSettingsOf;
  /** Directory relative paths and ./switchboard.yaml are resolved against (default process.cwd()). */
  cwd?: string;
}

export const DEFAULT_CONFIG_FILE = "switchboard.yaml";

interface ParsedFile {
  value: unknown;
  locator: SourceLocator;
}

interface BuildContext {
  env: EnvSnapshot;
  file?: string;
  source?: string;
  locator?: SourceLocator;
  overrides?: ConfigOverrides;
  knownProviderTypes: readonly string[];
  providerSettings?: ProviderSettingsOf;
}

/** Loads and validates the configuration. Throws ConfigError listing every problem. */
export function loadConfig(opts: LoadConfigOptions = {}): SwitchboardConfig {
  const env = readEnv(opts.env);
  const cwd = opts.cwd ?? process.cwd();
  const chosen = chooseFile(opts.path, env, cwd);
  const ctx: BuildContext = {
    env,
    overrides: opts.overrides,
    knownProviderTypes: opts.knownProviderTypes ?? DEFAULT_PROVIDER_TYPES,
    providerSettings: opts.providerSettings,
  };
  if (chosen === undefined) return buildConfig({}, ctx);
  const parsed = parseFile(readText(chosen.file, chosen.absolute), chosen.file);
  return buildConfig(parsed.value, { ...ctx, file: chosen.file, source: chosen.absolute, locator: parsed.locator });
}

/**
 * Validates an in-memory config object (snake_case, as in the file), e.g. for tests or the
 * library. Same interpolation, overrides and errors as loadConfig, without line numbers.
 */
export function parseConfig(raw: unknown, opts: Omit<LoadConfigOptions, "path" | "cwd"> = {}): SwitchboardConfig {
  return buildConfig(raw ?? {}, {
    env: readEnv(opts.env ?? {}),
    overrides: opts.overrides,
    knownProviderTypes: opts.knownProviderTypes ?? DEFAULT_PROVIDER_TYPES,
    providerSettings: opts.providerSettings,
  });
}

/** For `switchboard config check`: every problem of one file, one line each. */
export function checkConfigFile(path: string, env?: EnvInput, opts: Pick<LoadConfigOptions, "knownProviderTypes" | "providerSettings" | "cwd"> = {}): { ok: boolean; errors: string[] } {
  try {
    loadConfig({ ...opts, path, env });
    return { ok: true, errors: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, errors: err.problems };
    throw err;
  }
}

function chooseFile(path: string | undefined, env: EnvSnapshot, cwd: string): { file: string; absolute: string } | undefined {
  const named = path !== undefined && path !== "" ? path : env.nonEmpty("SWITCHBOARD_CONFIG");
  if (named !== undefined) return { file: named, absolute: resolvePath(cwd, named) };
  const fallback = resolvePath(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? { file: DEFAULT_CONFIG_FILE, absolute: fallback } : undefined;
}

function readText(file: string, absolute: string): string {
  try {
    return readFileSync(absolute, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new ConfigError([formatProblem({ file, message: `cannot read config file: ${reason}` })]);
  }
}

const MAX_SYNTAX_ERRORS = 5;

function parseFile(text: string, file: string): ParsedFile {
  const refs = protectReferences(text);
  const lines = new LineCounter();
  const doc = parseDocument(refs.text, { lineCounter: lines, keepSourceTokens: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    // One error per line: the parser's follow-on errors after the first on a line are noise.
    const byLine = new Map<number, string>();
    for (const e of doc.errors) {
      const line = lines.linePos(e.pos[0]).line || 1;
      if (!byLine.has(line)) byLine.set(line, refs.restore(e.message.split("\n")[0] ?? e.message));
    }
    const problems = [...byLine].slice(0, MAX_SYNTAX_ERRORS).map(([line, message]) => formatProblem({ file, line, message: `YAML syntax error: ${message}` }));
    if (byLine.size > MAX_SYNTAX_ERRORS) {
      problems.push(formatProblem({ file, message: `${byLine.size - MAX_SYNTAX_ERRORS} more lines with YAML syntax errors` }));
    }
    throw new ConfigError(problems);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError([formatProblem({ file, message: `cannot read YAML: ${(err as Error).message}` })]);
  }
  return { value: mapStrings(value ?? {}, refs.restore), locator: new SourceLocator(doc, lines) };
}

function buildConfig(input: unknown, ctx: BuildContext): SwitchboardConfig {
  const { file, locator } = ctx;
  const at = (path: PathSegment[], message: string): ConfigProblem => ({
    file,
    line: locator?.line(path),
    path: formatPath(path),
    message,
  });
  if (!isPlainObject(input)) {
    const got = Array.isArray(input) ? "a list" : JSON.stringify(input);
    throw new ConfigError([formatProblem({ file, message: `expected a mapping of settings at the top level, got ${got}` })]);
  }
  const problems: ConfigProblem[] = [];
  const interpolated = interpolateValue(input, ctx.env);
  for (const p of interpolated.problems) problems.push(at(p.path, p.message));
  const raw = normalize(interpolated.value, [], (path, message) => problems.push(at(path, message))) as Record<string, unknown>;
  applyEnvOverrides(raw, ctx.env, problems);
  applyCliOverrides(raw, ctx.overrides, problems);

  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) problems.push(...issueProblems(result.error.issues, file, locator, knownKeysAt));
  for (const p of checkSemantics(raw, ctx.knownProviderTypes)) problems.push(at(p.path, p.message));
  for (const p of checkProviderSettings(raw, ctx.providerSettings)) problems.push(at(p.path, p.message));

  if (problems.length > 0 || !result.success) throw new ConfigError(sortProblems(problems).map(formatProblem));
  const config = resolveConfig(result.data, ctx.env, ctx.knownProviderTypes, ctx.source);
  const targets = checkModelTargets(config).map((p) => at(p.path, p.message));
  if (targets.length > 0) throw new ConfigError(sortProblems(targets).map(formatProblem));
  const notInEffect = settingsNotInEffect(raw, ctx.env);
  if (notInEffect.length > 0) config.notInEffect = notInEffect;
  const warnings = interpolated.unset.map((u) => formatProblem(at(u.path, `\${${u.name}} is not set and has no default, so this value is empty (set ${u.name}, or write \${${u.name}:-default})`)));
  if (warnings.length > 0) config.warnings = warnings;
  if (file !== undefined) {
    const locate = (path: ReadonlyArray<string | number>) => ({ file, line: locator?.line(path) });
    Object.defineProperty(config, "locate", { value: locate, enumerable: false });
  }
  return config;
}

/**
 * An empty YAML value (`key:`) means "not set": dropped, so defaults apply — except a provider
 * entry (`mock:`), which means "configured with defaults". `__proto__` keys are refused.
 */
function normalize(value: unknown, path: PathSegment[], report: (path: PathSegment[], msg: string) => void): unknown {
  if (Array.isArray(value)) return value.map((item, i) => normalize(item, [...path, i], report));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, key];
    if (key === "__proto__") {
      report(childPath, "key not allowed");
      continue;
    }
    if (child === null) {
      if (path.length === 1 && path[0] === "providers") setOwn(out, key, {});
      continue;
    }
    setOwn(out, key, normalize(child, childPath, report));
  }
  return out;
}

function section(raw: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  if (raw[key] === undefined) setOwn(raw, key, {});
  const value = raw[key];
  return isPlainObject(value) ? value : undefined; // a wrong type is reported by the schema
}

function parsePort(value: string): number | undefined {
  if (!/^\d{1,5}$/.test(value.trim())) return undefined;
  const port = Number(value.trim());
  return port <= 65535 ? port : undefined;
}

function applyEnvOverrides(raw: Record<string, unknown>, env: EnvSnapshot, problems: ConfigProblem[]): void {
  const topLevel = [
    ["SWITCHBOARD_MASTER_KEY", "master_key"],
    ["DATABASE_URL", "database_url"],
    ["REDIS_URL", "redis_url"],
    ["SWITCHBOARD_DATA_DIR", "data_dir"],
  ] as const;
  for (const [name, key] of topLevel) {
    const value = env.nonEmpty(name);
    if (value !== undefined) setOwn(raw, key, value);
  }
  const host = env.nonEmpty("SWITCHBOARD_HOST");
  if (host !== undefined) {
    const server = section(raw, "server");
    if (server) server.host = host;
  }
  applyOtelEnv(raw, env, problems);
  const portText = env.nonEmpty("SWITCHBOARD_PORT");
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (port === undefined) {
      problems.push({
        path: "SWITCHBOARD_PORT",
        message: `expected a port number (0-65535), got ${JSON.stringify(portText)}`,
      });
    } else {
      const server = section(raw, "server");
      if (server) server.port = port;
    }
  }
}

function applyCliOverrides(raw: Record<string, unknown>, overrides: ConfigOverrides | undefined, problems: ConfigProblem[]): void {
  if (overrides === undefined) return;
  if (overrides.host !== undefined) {
    if (overrides.host.trim() === "") problems.push({ path: "--host", message: "must not be empty" });
    else {
      const server = section(raw, "server");
      if (server) server.host = overrides.host;
    }
  }
  if (overrides.port !== undefined) {
    const port = overrides.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push({ path: "--port", message: `expected a port number (0-65535), got ${String(port)}` });
    } else {
      const server = section(raw, "server");
      if (server) server.port = port;
    }
  }
}

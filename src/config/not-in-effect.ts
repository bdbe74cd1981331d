/**
 * Settings that are accepted but whose feature is not built yet. They were accepted before
 * every setting had to have its effect, so instead of being refused they are named: one
 * warning line at start-up (and in `switchboard config check`), and the "Not in effect yet"
 * list in docs/configuration.md. An entry goes when its feature lands.
 *
 * Only settings written in the file (or given through the environment) are named: defaults
 * are not "in use". The check runs on the input as written, after `${VAR}` interpolation and
 * environment overrides, before defaults are applied.
 */
import { isPlainObject } from "./interpolate.js";
import type { EnvSnapshot } from "./types.js";

const DOC_POINTER = 'see docs/configuration.md "Not in effect yet"';

function isTrue(v: unknown): boolean {
  return v === true || (typeof v === "string" && v.trim().toLowerCase() === "true");
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "";
}

/** Routing settings of the model groups: strategy, deployment weights, fallbacks. */
function modelGroupSettings(models: unknown): string[] {
  if (!Array.isArray(models)) return [];
  const out: string[] = [];
  models.forEach((group: unknown, i) => {
    if (!isPlainObject(group)) return;
    if (isSet(group.strategy)) out.push(`models[${i}].strategy (${String(group.strategy)})`);
    if (Array.isArray(group.deployments)) {
      group.deployments.forEach((d: unknown, j) => {
        if (isPlainObject(d) && isSet(d.weight)) out.push(`models[${i}].deployments[${j}].weight`);
      });
    }
    if (Array.isArray(group.fallbacks) && group.fallbacks.length > 0) out.push(`models[${i}].fallbacks`);
  });
  return out;
}

/**
 * Settings of a feature that does not exist yet (whose `enabled: true` is refused): the others
 * are accepted, and named, e.g. `cache.exact.ttl_seconds`, `guardrails.pii.action`.
 */
function disabledFeatureSettings(raw: Record<string, unknown>): string[] {
  const out: string[] = [];
  const sections: ReadonlyArray<readonly [string, string]> = [
    ["cache", "exact"],
    ["cache", "semantic"],
    ["guardrails", "pii"],
  ];
  for (const [top, name] of sections) {
    const parent = raw[top];
    const feature = isPlainObject(parent) ? parent[name] : undefined;
    if (!isPlainObject(feature)) continue;
    for (const key of Object.keys(feature)) if (key !== "enabled" && isSet(feature[key])) out.push(`${top}.${name}.${key}`);
  }
  return out;
}

/**
 * The settings in use that have no effect yet, as config paths grouped by section
 * (e.g. `models[0].strategy (round-robin)`, `routing.circuit_breaker`).
 */
export function settingsNotInEffect(raw: unknown, _env?: EnvSnapshot): string[] {
  if (!isPlainObject(raw)) return [];
  const out: string[] = [];
  out.push(...modelGroupSettings(raw.models));
  const routing = isPlainObject(raw.routing) ? raw.routing : {};
  if (isSet(routing.circuit_breaker)) out.push("routing.circuit_breaker");
  const limits = isPlainObject(raw.limits) ? raw.limits : {};
  // The failure policy is about Redis: with no Redis there is nothing for it to do.
  if (isSet(limits.redis_failure) && !isSet(raw.redis_url)) out.push("limits.redis_failure (without redis_url)");
  const logging = isPlainObject(raw.logging) ? raw.logging : {};
  if (isTrue(logging.store_content)) out.push("logging.store_content");
  if (isSet(logging.retention_days)) out.push("logging.retention_days");
  if (isSet(logging.level)) out.push("logging.level");
  out.push(...disabledFeatureSettings(raw));
  return out;
}

/** The one start-up warning line, or undefined when every setting in use has its effect. */
export function notInEffectWarning(settings: readonly string[] | undefined): string | undefined {
  if (settings === undefined || settings.length === 0) return undefined;
  return `warning: these settings are accepted but not in effect yet: ${settings.join(", ")} — ${DOC_POINTER}`;
}

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

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "";
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
 * (e.g. `cache.exact.ttl_seconds`, `guardrails.pii.action`).
 */
export function settingsNotInEffect(raw: unknown, _env?: EnvSnapshot): string[] {
  if (!isPlainObject(raw)) return [];
  const out: string[] = [];
  const limits = isPlainObject(raw.limits) ? raw.limits : {};
  // The failure policy is about Redis: with no Redis there is nothing for it to do.
  if (isSet(limits.redis_failure) && !isSet(raw.redis_url)) out.push("limits.redis_failure (without redis_url)");
  out.push(...disabledFeatureSettings(raw));
  return out;
}

/** The one start-up warning line, or undefined when every setting in use has its effect. */
export function notInEffectWarning(settings: readonly string[] | undefined): string | undefined {
  if (settings === undefined || settings.length === 0) return undefined;
  return `warning: these settings are accepted but not in effect yet: ${settings.join(", ")} — ${DOC_POINTER}`;
}

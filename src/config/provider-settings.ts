/**
 * The keys of a provider entry beyond the common ones are that provider type's own settings
 * (`region`, `api_version`, …). The provider registry says which each type reads; a key it
 * does not read is refused (with its line and a "did you mean") rather than ignored.
 */
import { isPlainObject } from "./interpolate.js";
import { closest } from "./problems.js";
import type { SemanticProblem } from "./resolve.js";
import { PROVIDER_KNOWN_KEYS } from "./schema.js";

/** The settings a provider type reads beyond the common keys; undefined for an unknown type. */
export type ProviderSettingsOf = (type: string) => readonly string[] | undefined;

export function checkProviderSettings(raw: unknown, settingsOf: ProviderSettingsOf | undefined): SemanticProblem[] {
  if (settingsOf === undefined || !isPlainObject(raw) || !isPlainObject(raw.providers)) return [];
  const common: readonly string[] = PROVIDER_KNOWN_KEYS;
  const problems: SemanticProblem[] = [];
  for (const [id, entry] of Object.entries(raw.providers)) {
    if (!isPlainObject(entry)) continue;
    const type = typeof entry.type === "string" && entry.type !== "" ? entry.type : id;
    const own = settingsOf(type);
    if (own === undefined) continue; // an unknown type is reported on its own
    for (const key of Object.keys(entry)) {
      if (common.includes(key) || own.includes(key)) continue;
      const hint = closest(key, [...common, ...own]);
      const known = own.length > 0 ? `its settings: ${own.join(", ")}` : "it has no settings of its own";
      problems.push({
        path: ["providers", id, key],
        message: `unknown setting for provider type "${type}" (${hint === undefined ? known : `did you mean "${hint}"?`})`,
      });
    }
  }
  return problems;
}

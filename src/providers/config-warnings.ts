/**
 * Warnings about the configured providers and the models the aliases name: settings that load
 * but will most likely fail at request time. Not errors, because the gateway cannot be sure: a
 * key may be accepted by a server that needs none, and providers publish new models before the
 * catalog lists them. Each is one line, located in the config file when it came from one.
 */
import { findCatalogModel, catalogModels } from "../catalog/models.js";
import { PROVIDER_API_KEY_ENV, PROVIDER_KEY_ONLY_ENV } from "../config/env.js";
import { closest, formatPath, formatProblem, type ConfigProblem } from "../config/problems.js";
import type { SwitchboardConfig } from "../config/types.js";
import { providerDefinition } from "./registry.js";

type Config = Pick<SwitchboardConfig, "providers" | "models" | "locate">;

/** Every provider warning, then every model warning, as `file:line: key.path: message` lines. */
export function providerWarnings(config: Config): string[] {
  return [...credentialProblems(config), ...unknownModelProblems(config)].map(formatProblem);
}

/**
 * Providers whose type needs a key (the registry says which) configured without one: the
 * provider would answer every request 401, which reaches clients as 502 upstream_auth_error.
 */
export function credentialProblems(config: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const p of Object.values(config.providers)) {
    const def = providerDefinition(p.type);
    if (!def?.requiresKey || p.apiKey) continue;
    const alternatives = def.keyAlternatives ?? [];
    if (alternatives.some((key) => isSet(p.extra[key]))) continue;
    const env = p.type === p.id ? ((PROVIDER_API_KEY_ENV as Record<string, readonly string[]>)[p.id] ?? (PROVIDER_KEY_ONLY_ENV as Record<string, readonly string[]>)[p.id] ?? []) : [];
    const ways = ["api_key", ...alternatives, ...env.map((v) => `$${v}`)];
    out.push(at(config, ["providers", p.id], `no credentials: ${def.name} needs a key, so its requests will fail upstream (set ${orList(ways)})`));
  }
  return out;
}

/**
 * Alias deployments naming a model the provider type's catalog does not know (a provider type
 * without a catalog, such as a local server, or one that answers any name, is not checked). Often a typo; sometimes a model
 * newer than the catalog, which works but has no price until one is set.
 */
export function unknownModelProblems(config: Config): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  config.models.forEach((group, i) => {
    group.deployments.forEach((d, j) => {
      const split = /^([^:/]+)[:/](.+)$/.exec(d.model);
      const provider = split ? config.providers[split[1]] : undefined;
      if (!split || !provider || providerDefinition(provider.type)?.anyModel) return; // refused when the config is loaded; the mock answers any name
      const known = catalogModels(provider.type);
      const model = split[2];
      if (known.length === 0 || findCatalogModel(provider.type, model)) return;
      const hint = closest(
        model,
        known.map((m) => m.id),
      );
      const mean = hint === undefined ? "" : ` (did you mean "${hint}"?)`;
      out.push(
        at(
          config,
          ["models", i, "deployments", j, "model"],
          `"${model}" is not a model the ${provider.type} catalog knows${mean}: check the name; a model newer than this catalog works, but has no price until one is set`,
        ),
      );
    });
  });
  return out;
}

function at(config: Config, path: Array<string | number>, message: string): ConfigProblem {
  const where = config.locate?.(path);
  return { ...(where ? { file: where.file, line: where.line } : {}), path: formatPath(path), message };
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "";
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

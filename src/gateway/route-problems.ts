/**
 * Names in the routing configuration that lead nowhere: a group's `fallbacks` or a
 * `routing.auto.candidates` entry that is neither an alias, nor a `provider:model` of a
 * configured provider, nor a model some configured provider's catalog serves. Such a name would
 * fail every request that reaches it, so the gateway refuses to start with it (and `switchboard
 * config check` fails), one line per name with its key path.
 */
import type { SwitchboardConfig } from "../config/types.js";
import { ModelResolver } from "../routing/resolve.js";

export function routeProblems(config: SwitchboardConfig): string[] {
  const resolver = new ModelResolver(
    config.models,
    (id) => config.providers[id] !== undefined,
    Object.values(config.providers).map((p) => ({ id: p.id, type: p.type })),
    config.routing.defaultStrategy,
  );
  const problems: string[] = [];
  const check = (path: string, name: string) => {
    if (name === "auto") {
      problems.push(`${path}: "auto" cannot be a fallback or a candidate of itself`);
      return;
    }
    try {
      resolver.resolve(name);
    } catch (e) {
      problems.push(`${path}: "${name}" is not a model this gateway can route to (${(e as Error).message})`);
    }
  };
  config.models.forEach((g, i) => {
    g.fallbacks.forEach((name, j) => check(`models[${i}].fallbacks[${j}]`, name));
    g.deployments.forEach((d, j) => check(`models[${i}].deployments[${j}].model`, d.model));
  });
  config.routing.auto.candidates?.forEach((name, i) => check(`routing.auto.candidates[${i}]`, name));
  return problems;
}

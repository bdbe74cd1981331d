/**
 * Deployments without a price: no entry in `/v1/pricing`, the config's `pricing:` or the built-in
 * catalog. Their requests are recorded at $0 and no budget limits them, so the gateway says so:
 * one start-up line naming the configured ones, a `x-switchboard-warnings` entry on each request
 * served by one, and with `pricing.require: true`, a 402 `model_not_priced` before any upstream call.
 */
import { catalogModels } from "../catalog/models.js";
import { formatPath } from "../config/problems.js";
import type { SwitchboardConfig } from "../config/types.js";
import { GatewayError } from "../core/errors.js";
import type { Deployment } from "../routing/resolve.js";
import type { PriceResolver } from "./resolver.js";

type Prices = Pick<PriceResolver, "lookup">;

/** Where an unpriced deployment is configured: its key path (`models[1].deployments[0].model`). */
export interface UnpricedDeployment {
  /** `provider:model`, as the price would be keyed. */
  name: string;
  path: Array<string | number>;
  /** `file:line` where the path is written, when the config came from a file. */
  where?: string;
}

const HOW_TO_PRICE = "set a price under `pricing:` in the configuration or with POST /v1/pricing";

/** The deployments of the configured model aliases that have no price, each once (first place it is named). */
export function unpricedDeployments(config: Pick<SwitchboardConfig, "models" | "locate">, pricing: Prices): UnpricedDeployment[] {
  const out: UnpricedDeployment[] = [];
  const seen = new Set<string>();
  config.models.forEach((group, i) => {
    group.deployments.forEach((d, j) => {
      const split = /^([^:/]+)[:/](.+)$/.exec(d.model);
      if (!split) return; // refused when the config is loaded
      const name = `${split[1]}:${split[2]}`;
      if (seen.has(name)) return;
      seen.add(name);
      if (pricing.lookup(split[1], split[2])) return;
      const path = ["models", i, "deployments", j, "model"];
      const at = config.locate?.(path);
      out.push(at ? { name, path, where: at.line === undefined ? at.file : `${at.file}:${at.line}` } : { name, path });
    });
  });
  return out;
}

/**
 * Configured providers that no price covers at all: their type has no catalog prices and no
 * `pricing:` (or `/v1/pricing`) entry names them, so any `provider:model` request to them costs
 * $0 (a local vLLM or Ollama server, say).
 */
export function unpricedProviders(config: Pick<SwitchboardConfig, "providers">, pricing: Pick<PriceResolver, "pricedKeys">): string[] {
  const named = new Set(pricing.pricedKeys().map((k) => k.split(":")[0]));
  return Object.values(config.providers)
    .filter((p) => !named.has(p.id) && !catalogModels(p.type).some((m) => m.price))
    .map((p) => p.id)
    .sort();
}

/** The one start-up line, or undefined when every configured deployment has a price. */
export function unpricedWarning(deployments: readonly UnpricedDeployment[], providers: readonly string[] = []): string | undefined {
  const parts: string[] = [];
  if (deployments.length)
    parts.push(`these deployments have no price, so their requests are recorded at $0 and no budget limits them: ${deployments.map((d) => `${d.name} (${d.where ?? formatPath(d.path)})`).join(", ")}`);
  if (providers.length) parts.push(`no price covers any model of ${providers.length === 1 ? "provider" : "providers"} ${providers.join(", ")} (no catalog prices, no pricing: entry)`);
  if (!parts.length) return undefined;
  return `warning: ${parts.join("; ")} — ${HOW_TO_PRICE}`;
}

/** The warning a request served by an unpriced deployment carries. */
export function requestUnpricedWarning(d: Pick<Deployment, "provider" | "model">): string {
  return `no price is known for ${d.provider}:${d.model}: this request is recorded at $0 and no budget limits it (${HOW_TO_PRICE})`;
}

/** Adds the request warning when `d` has no price (once per deployment). */
export function warnIfUnpriced(pricing: Prices, d: Pick<Deployment, "provider" | "model">, warnings: string[]): void {
  if (pricing.lookup(d.provider, d.model)) return;
  const w = requestUnpricedWarning(d);
  if (!warnings.includes(w)) warnings.push(w);
}

/** With `pricing.require`: refuses a request any of whose deployments has no price, before anything is reserved or sent. */
export function refuseUnpriced(pricing: Prices, requested: string, deployments: readonly Pick<Deployment, "provider" | "model">[]): void {
  const missing = [...new Set(deployments.filter((d) => !pricing.lookup(d.provider, d.model)).map((d) => `${d.provider}:${d.model}`))];
  if (!missing.length) return;
  const which = missing.length === 1 && missing[0] === requested ? "it has" : `${missing.join(", ")} ${missing.length === 1 ? "has" : "have"}`;
  throw new GatewayError("model_not_priced", `model '${requested}' is refused: ${which} no price and pricing.require is on (${HOW_TO_PRICE})`, { param: "model" });
}

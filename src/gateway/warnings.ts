/**
 * The configuration's warnings, printed at start-up and by `switchboard config check`: settings
 * that load but will most likely not do what was meant. One line each, `warning: ` first, with
 * the file, line and key path where known:
 * - an unset `${VAR}` without a default (the value became empty);
 * - a provider that needs a key configured without one;
 * - an alias deployment naming a model the provider's catalog does not know;
 * - deployments and providers with no price (recorded at $0, no budget limits them).
 */
import type { SwitchboardConfig } from "../config/types.js";
import type { PriceResolver } from "../pricing/resolver.js";
import { unpricedDeployments, unpricedProviders, unpricedWarning } from "../pricing/unpriced.js";
import { providerWarnings } from "../providers/config-warnings.js";

export interface ConfigWarningOptions {
  /** The prices set through /v1/pricing were not read (config check has no database). */
  withoutApiPrices?: boolean;
}

export function configWarnings(config: SwitchboardConfig, pricing: Pick<PriceResolver, "lookup" | "pricedKeys">, opts: ConfigWarningOptions = {}): string[] {
  const lines = [...(config.warnings ?? []), ...providerWarnings(config)].map((l) => `warning: ${l}`);
  const unpriced = unpricedWarning(unpricedDeployments(config, pricing), unpricedProviders(config, pricing));
  if (unpriced !== undefined) lines.push(opts.withoutApiPrices ? `${unpriced} (prices set with /v1/pricing are in the database, which this check does not read)` : unpriced);
  return lines;
}

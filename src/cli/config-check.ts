import { ConfigError, loadConfig, notInEffectWarning, type SwitchboardConfig } from "../config/index.js";
import { configWarnings } from "../gateway/warnings.js";
import { routeProblems } from "../gateway/route-problems.js";
import { PriceResolver } from "../pricing/resolver.js";
import { knownProviderTypes, providerDefinition, providerSettingNames } from "../providers/registry.js";

/**
 * Settings a provider itself refuses (an Azure entry without its resource URL, a Vertex entry
 * without a project, …): found by building each provider as `serve` does, so the check does not
 * pass a file the gateway would then refuse to start with.
 */
async function providerProblems(config: SwitchboardConfig): Promise<string[]> {
  const problems: string[] = [];
  for (const [id, settings] of Object.entries(config.providers)) {
    const def = providerDefinition(settings.type);
    if (!def) {
      problems.push(`providers.${id}: unknown provider type "${settings.type}"`);
      continue;
    }
    try {
      const provider = def.create(settings, { connectTimeoutMs: config.routing.timeouts.connectMs, upstream: config.upstream });
      await provider.close?.();
    } catch (e) {
      problems.push(`providers.${id}: ${(e as Error).message}`);
    }
  }
  return problems;
}

export async function configCheckCommand(file: string | undefined): Promise<void> {
  let config: SwitchboardConfig;
  try {
    config = loadConfig({ path: file, knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(p);
    process.exit(1);
  }
  const where = config.source ?? "defaults (no config file)";
  const problems = [...(await providerProblems(config)), ...routeProblems(config)];
  if (problems.length > 0) {
    for (const p of problems) console.error(`${where}: ${p}`);
    process.exit(1);
  }
  console.log(`${where}: OK — ${Object.keys(config.providers).length} providers, ${config.models.length} model aliases`);
  const warning = notInEffectWarning(config.notInEffect);
  if (warning !== undefined) console.error(warning);
  // Warnings do not fail the check (exit 0): the file is valid, but may not do what was meant.
  const pricing = new PriceResolver(config.pricing, (id) => config.providers[id]?.type);
  for (const line of configWarnings(config, pricing, { withoutApiPrices: true })) console.error(line);
}

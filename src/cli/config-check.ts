import { ConfigError, loadConfig, notInEffectWarning } from "../config/index.js";
import { knownProviderTypes } from "../providers/registry.js";

export function configCheckCommand(file: string | undefined): void {
  try {
    const config = loadConfig({ path: file, knownProviderTypes: knownProviderTypes() });
    console.log(`${config.source ?? "defaults (no config file)"}: OK — ${Object.keys(config.providers).length} providers, ${config.models.length} model aliases`);
    const warning = notInEffectWarning(config.notInEffect);
    if (warning !== undefined) console.error(warning);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) console.error(p);
    process.exit(1);
  }
}

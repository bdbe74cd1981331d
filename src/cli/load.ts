/** Loading the configuration for a CLI command: problems are printed one per line, never a stack trace. */
import { ConfigError, loadConfig, type ConfigOverrides } from "../config/index.js";
import type { SwitchboardConfig } from "../config/types.js";
import { knownProviderTypes, providerSettingNames } from "../providers/registry.js";

export function loadConfigOrExit(path: string | undefined, overrides?: ConfigOverrides): SwitchboardConfig {
  try {
    return loadConfig({ path, overrides, knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error("switchboard: invalid configuration:");
      for (const p of e.problems) console.error(`  ${p}`);
      process.exit(1);
    }
    throw e;
  }
}

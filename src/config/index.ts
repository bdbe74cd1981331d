/** The config module's public surface: load + validate; the only module that reads process.env. */
export { checkConfigFile, ConfigError, DEFAULT_CONFIG_FILE, loadConfig, parseConfig, type ConfigOverrides, type LoadConfigOptions } from "./load.js";
export { apiKeyFromEnv, AWS_CREDENTIALS_ENV, detectProviders, PROVIDER_API_KEY_ENV, readEnv, type DetectedProvider, type EnvInput, type EnvKeyedProviderId } from "./env.js";
export { DEFAULT_PROVIDER_TYPES } from "./resolve.js";
export { notInEffectWarning, settingsNotInEffect } from "./not-in-effect.js";
export { checkProviderSettings, type ProviderSettingsOf } from "./provider-settings.js";
export { configSchema, type RawConfig, type RawProviderEntry } from "./schema.js";
export type * from "./types.js";

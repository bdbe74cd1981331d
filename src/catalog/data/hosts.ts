/**
 * Open-model hosts and routers. Basis: pydantic/genai-prices (mid-2026: Together, Fireworks,
 * OpenRouter, Perplexity, Cerebras) — OpenRouter passes provider prices through. Perplexity's
 * per-request search fees are not per-token and are not modelled. Where a host publishes no output
 * cap the output limit is the context window. DeepInfra's model is listed without a price (none
 * verified); a config `pricing:` entry prices it.
 */
import { above, chat } from "./define.js";

export const TOGETHER_MODELS = [
  chat("meta-llama/Llama-3.3-70B-Instruct-Turbo", 131_072, 131_072, { input: 0.88, output: 0.88 }),
  chat("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", 131_072, 131_072, { input: 0.18, output: 0.18 }),
  chat("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", 1_048_576, 1_048_576, { input: 0.27, output: 0.85 }),
  chat("meta-llama/Llama-4-Scout-17B-16E-Instruct", 1_048_576, 1_048_576, { input: 0.18, output: 0.59 }),
  chat("deepseek-ai/DeepSeek-R1", 163_840, 163_840, { input: 3, output: 7 }),
  chat("deepseek-ai/DeepSeek-V3", 131_072, 131_072, { input: 1.25, output: 1.25 }),
  chat("openai/gpt-oss-120b", 131_072, 131_072, { input: 0.15, output: 0.6 }),
  chat("moonshotai/Kimi-K2.5", 262_144, 262_144, { input: 0.5, output: 2.8 }),
] as const;

export const FIREWORKS_MODELS = [
  chat("accounts/fireworks/models/llama-v3p1-70b-instruct", 131_072, 16_384, { input: 0.9, output: 0.9 }),
  chat("accounts/fireworks/models/deepseek-v3p2", 163_840, 163_840, { input: 0.56, output: 1.68, cachedInput: 0.28 }),
  chat("accounts/fireworks/models/gpt-oss-120b", 131_072, 131_072, { input: 0.15, output: 0.6, cachedInput: 0.07 }),
  chat("accounts/fireworks/models/gpt-oss-20b", 131_072, 131_072, { input: 0.07, output: 0.3, cachedInput: 0.04 }),
  chat("accounts/fireworks/models/kimi-k2p6", 262_144, 262_144, { input: 0.95, output: 4, cachedInput: 0.16 }),
  chat("accounts/fireworks/models/qwen3-235b-a22b", 131_072, 131_072, { input: 0.22, output: 0.88 }),
  chat("accounts/fireworks/models/llama4-maverick-instruct-basic", 1_000_000, 1_000_000, { input: 0.22, output: 0.88 }),
] as const;

export const OPENROUTER_MODELS = [
  { ...chat("openai/gpt-4o-mini", 128_000, 16_384, { input: 0.15, output: 0.6, cachedInput: 0.075 }), imageTokens: 48_169 },
  chat("anthropic/claude-opus-4.8", 1_000_000, 128_000, { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 }),
  chat("anthropic/claude-sonnet-4.6", 1_000_000, 64_000, { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 }),
  chat("anthropic/claude-sonnet-4.5", 1_000_000, 64_000, { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, tiers: [above(200_000, 6, 22.5, 0.6, 7.5)] }),
  chat("anthropic/claude-haiku-4.5", 200_000, 64_000, { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 }),
  chat("anthropic/claude-3.5-sonnet", 200_000, 8_192, { input: 3, output: 15 }),
] as const;

export const PERPLEXITY_MODELS = [
  chat("sonar", 127_072, 8_192, { input: 1, output: 1 }),
  chat("sonar-pro", 200_000, 8_192, { input: 3, output: 15 }),
  chat("sonar-reasoning-pro", 127_072, 8_192, { input: 2, output: 8 }),
] as const;

export const CEREBRAS_MODELS = [chat("llama3.1-8b", 32_768, 8_192, { input: 0.1, output: 0.1 }), chat("gpt-oss-120b", 131_072, 65_536, { input: 0.35, output: 0.75 })] as const;

export const DEEPINFRA_MODELS = [chat("meta-llama/Meta-Llama-3.1-70B-Instruct", 131_072, 8_192)] as const;

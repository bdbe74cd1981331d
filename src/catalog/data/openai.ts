/**
 * OpenAI (platform.openai.com/docs/pricing, standard tier). Basis: pydantic/genai-prices
 * (providers/openai, mid-2026 snapshot) cross-checked with models.dev (providers/openai, crawled
 * through 2026-10); limits from models.dev and OpenAI's model pages. GPT-5.4/5.5 (and Pro) charge
 * 2×input / 1.5×output for prompts above 272k tokens. The GPT-5.6 and GPT-6 entries seen in
 * models.dev disagreed with each other and are left out until verified.
 */
import { above, chat, embed } from "./define.js";

export const OPENAI_MODELS = [
  chat("gpt-5.5", 1_050_000, 128_000, { input: 5, output: 30, cachedInput: 0.5, tiers: [above(272_000, 10, 45, 1)] }),
  chat("gpt-5.5-pro", 1_050_000, 128_000, { input: 30, output: 180, tiers: [above(272_000, 60, 270)] }),
  chat("gpt-5.4", 1_050_000, 128_000, { input: 2.5, output: 15, cachedInput: 0.25, tiers: [above(272_000, 5, 22.5, 0.5)] }),
  chat("gpt-5.4-pro", 1_050_000, 128_000, { input: 30, output: 180, tiers: [above(272_000, 60, 270)] }),
  chat("gpt-5.4-mini", 400_000, 128_000, { input: 0.75, output: 4.5, cachedInput: 0.075 }),
  chat("gpt-5.4-nano", 400_000, 128_000, { input: 0.2, output: 1.25, cachedInput: 0.02 }),
  chat("gpt-5.2", 400_000, 128_000, { input: 1.75, output: 14, cachedInput: 0.175 }),
  chat("gpt-5.2-pro", 400_000, 128_000, { input: 21, output: 168 }),
  chat("gpt-5.1", 400_000, 128_000, { input: 1.25, output: 10, cachedInput: 0.125 }),
  chat("gpt-5", 400_000, 128_000, { input: 1.25, output: 10, cachedInput: 0.125 }),
  chat("gpt-5-mini", 400_000, 128_000, { input: 0.25, output: 2, cachedInput: 0.025 }),
  chat("gpt-5-nano", 400_000, 128_000, { input: 0.05, output: 0.4, cachedInput: 0.005 }),
  chat("gpt-5-pro", 400_000, 272_000, { input: 15, output: 120 }),
  chat("gpt-4.1", 1_047_576, 32_768, { input: 2, output: 8, cachedInput: 0.5 }),
  chat("gpt-4.1-mini", 1_047_576, 32_768, { input: 0.4, output: 1.6, cachedInput: 0.1 }),
  chat("gpt-4.1-nano", 1_047_576, 32_768, { input: 0.1, output: 0.4, cachedInput: 0.025 }),
  chat("gpt-4o", 128_000, 16_384, { input: 2.5, output: 10, cachedInput: 1.25 }),
  // The first gpt-4o snapshot kept its launch price; listed so the dated fallback cannot under-charge it.
  chat("gpt-4o-2024-05-13", 128_000, 4_096, { input: 5, output: 15 }),
  // Counts an image as 2,833 tokens + 5,667 per 512-pixel tile (up to 8 at high detail).
  { ...chat("gpt-4o-mini", 128_000, 16_384, { input: 0.15, output: 0.6, cachedInput: 0.075 }), imageTokens: 48_169 },
  chat("o3", 200_000, 100_000, { input: 2, output: 8, cachedInput: 0.5 }),
  chat("o3-pro", 200_000, 100_000, { input: 20, output: 80 }),
  chat("o3-mini", 200_000, 100_000, { input: 1.1, output: 4.4, cachedInput: 0.55 }),
  chat("o4-mini", 200_000, 100_000, { input: 1.1, output: 4.4, cachedInput: 0.275 }),
  chat("o1", 200_000, 100_000, { input: 15, output: 60, cachedInput: 7.5 }),
  embed("text-embedding-3-small", 8191, 0.02),
  embed("text-embedding-3-large", 8191, 0.13),
  embed("text-embedding-ada-002", 8191, 0.1),
] as const;

/**
 * Google Gemini (ai.google.dev/gemini-api/docs/pricing, paid tier, text/image/video input); the same
 * model ids and prices serve Vertex AI. Basis: pydantic/genai-prices (mid-2026 snapshot) and
 * models.dev (2026-10). Pro models charge more for prompts above 200k tokens (1.5: above 128k).
 * Context caching's hourly storage fee is not a per-token price and is not modelled. Gemini 1.5 is
 * retired upstream (2025-09) and kept so older usage can still be priced.
 */
import { above, chat, embed } from "./define.js";

const GEMINI_3_PRO = { input: 2, output: 12, cachedInput: 0.2, tiers: [above(200_000, 4, 18, 0.4)] };

export const GEMINI_MODELS = [
  chat("gemini-3.5-flash", 1_048_576, 65_536, { input: 1.5, output: 9, cachedInput: 0.15 }),
  chat("gemini-3.1-pro-preview", 1_048_576, 65_536, GEMINI_3_PRO),
  chat("gemini-3-pro-preview", 1_048_576, 65_536, GEMINI_3_PRO),
  chat("gemini-3-flash-preview", 1_048_576, 65_536, { input: 0.5, output: 3, cachedInput: 0.05 }),
  chat("gemini-3.1-flash-lite", 1_048_576, 65_536, { input: 0.25, output: 1.5, cachedInput: 0.025 }),
  chat("gemini-2.5-pro", 1_048_576, 65_536, { input: 1.25, output: 10, cachedInput: 0.125, tiers: [above(200_000, 2.5, 15, 0.25)] }),
  chat("gemini-2.5-flash", 1_048_576, 65_536, { input: 0.3, output: 2.5, cachedInput: 0.03 }),
  chat("gemini-2.5-flash-lite", 1_048_576, 65_536, { input: 0.1, output: 0.4, cachedInput: 0.01 }),
  chat("gemini-2.0-flash", 1_048_576, 8_192, { input: 0.1, output: 0.4, cachedInput: 0.025 }),
  chat("gemini-2.0-flash-lite", 1_048_576, 8_192, { input: 0.075, output: 0.3 }),
  chat("gemini-1.5-pro", 2_097_152, 8_192, { input: 1.25, output: 5, cachedInput: 0.3125, tiers: [above(128_000, 2.5, 10, 0.625)] }),
  chat("gemini-1.5-flash", 1_048_576, 8_192, { input: 0.075, output: 0.3, cachedInput: 0.01875, tiers: [above(128_000, 0.15, 0.6, 0.0375)] }),
  embed("gemini-embedding-001", 2_048, 0.15),
] as const;

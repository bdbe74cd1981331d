/**
 * Mistral AI (mistral.ai/pricing#api-pricing). Ids are Mistral's `-latest` aliases; the dated ids
 * behind them are priced differently over time (mistral-large-2411 was $2/$6), so no dated
 * fallback maps onto these. Basis: models.dev (2026-10: mistral-large-latest = Large 3 / 2512,
 * mistral-medium-latest = Medium 3.5 / 2604, codestral-latest = 2508, ministral-8b-latest =
 * Ministral 3 8B) and pydantic/genai-prices (mid-2026). No separate output cap is published for
 * Large/Medium, so their output limit is the context window.
 */
import { chat, embed } from "./define.js";

export const MISTRAL_MODELS = [
  chat("mistral-large-latest", 262_144, 262_144, { input: 0.5, output: 1.5 }),
  chat("mistral-medium-latest", 262_144, 262_144, { input: 1.5, output: 7.5 }),
  chat("mistral-small-latest", 128_000, 16_384, { input: 0.1, output: 0.3 }),
  chat("codestral-latest", 256_000, 4_096, { input: 0.3, output: 0.9 }),
  chat("ministral-8b-latest", 262_144, 262_144, { input: 0.15, output: 0.15 }),
  embed("mistral-embed", 8_192, 0.1),
  embed("codestral-embed", 8_000, 0.15),
] as const;

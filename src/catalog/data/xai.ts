/**
 * xAI (docs.x.ai/developers/models and /pricing). Grok 4.3+ charge 2× for prompts above 200k
 * tokens. Basis: docs.x.ai model table (grok-4-1-fast), models.dev (2026-10: Grok 4.7 of
 * 2026-09-21, 4.5, 4.3) and pydantic/genai-prices (mid-2026). xAI publishes no separate output cap
 * for Grok 4 / Grok 3, so their output limit is the context window.
 */
import { above, chat } from "./define.js";

const GROK_45 = { input: 2, output: 6, cachedInput: 0.5, tiers: [above(200_000, 4, 12, 1)] };
const GROK_FAST = { input: 0.2, output: 0.5, cachedInput: 0.05 };

export const XAI_MODELS = [
  chat("grok-4.7", 500_000, 500_000, GROK_45),
  chat("grok-4.5", 500_000, 500_000, GROK_45),
  chat("grok-4.3", 1_000_000, 30_000, { input: 1.25, output: 2.5, cachedInput: 0.2, tiers: [above(200_000, 2.5, 5, 0.4)] }, ["grok-4.3-latest"]),
  chat("grok-4-1-fast-reasoning", 2_000_000, 30_000, GROK_FAST, ["grok-4-1-fast"]),
  chat("grok-4-1-fast-non-reasoning", 2_000_000, 30_000, GROK_FAST),
  chat("grok-code-fast-1", 256_000, 10_000, { input: 0.2, output: 1.5, cachedInput: 0.02 }),
  chat("grok-4", 256_000, 256_000, { input: 3, output: 15, cachedInput: 0.75 }, ["grok-4-0709", "grok-4-latest"]),
  chat("grok-3", 131_072, 131_072, { input: 3, output: 15, cachedInput: 0.75 }, ["grok-3-latest"]),
  chat("grok-3-mini", 131_072, 131_072, { input: 0.3, output: 0.5, cachedInput: 0.075 }, ["grok-3-mini-latest"]),
] as const;

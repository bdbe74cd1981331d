/**
 * Anthropic (anthropic.com/pricing, platform.claude.com/docs/en/about-claude/pricing). `cacheWrite`
 * is the 5-minute cache write (1.25× input); cache reads are 0.1× input. Basis: pydantic/genai-prices
 * (mid-2026 snapshot) and models.dev (crawled through 2026-10, incl. Claude Sonnet 5 of 2026-06-30,
 * Opus 5 of 2026-07-24 and Fable 5 of 2026-06-09). Sonnet 4 and 4.5 charge 2× input / 1.5× output
 * for prompts above 200k tokens (1M context); the 4.6+ models have one flat price for 1M tokens
 * (Anthropic dropped the long-context premium on 2026-03-13). Ids are Anthropic's aliases; the dated
 * snapshot ids are listed as aliases (and undated ids also resolve through the dated fallback).
 */
import { above, chat } from "./define.js";

const SONNET_4_LONG = [above(200_000, 6, 22.5, 0.6, 7.5)];

export const ANTHROPIC_MODELS = [
  chat("claude-opus-5", 1_000_000, 128_000, { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 }),
  chat("claude-sonnet-5", 1_000_000, 128_000, { input: 2, output: 10, cachedInput: 0.2, cacheWrite: 2.5 }),
  chat("claude-fable-5", 1_000_000, 128_000, { input: 10, output: 50, cachedInput: 1, cacheWrite: 12.5 }),
  chat("claude-opus-4-8", 1_000_000, 128_000, { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 }),
  chat("claude-opus-4-7", 1_000_000, 128_000, { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 }),
  chat("claude-opus-4-6", 1_000_000, 128_000, { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 }),
  chat("claude-sonnet-4-6", 1_000_000, 64_000, { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 }),
  chat("claude-opus-4-5", 200_000, 64_000, { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 }, ["claude-opus-4-5-20251101"]),
  chat("claude-sonnet-4-5", 1_000_000, 64_000, { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, tiers: SONNET_4_LONG }, ["claude-sonnet-4-5-20250929"]),
  chat("claude-haiku-4-5", 200_000, 64_000, { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 }, ["claude-haiku-4-5-20251001"]),
  chat("claude-opus-4-1", 200_000, 32_000, { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 }, ["claude-opus-4-1-20250805"]),
  chat("claude-opus-4-0", 200_000, 32_000, { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 }, ["claude-opus-4-20250514", "claude-opus-4"]),
  chat("claude-sonnet-4-0", 1_000_000, 64_000, { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, tiers: SONNET_4_LONG }, ["claude-sonnet-4-20250514", "claude-sonnet-4"]),
  chat("claude-3-5-haiku-20241022", 200_000, 8_192, { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 }, ["claude-3-5-haiku-latest"]),
  chat("claude-3-haiku-20240307", 200_000, 4_096, { input: 0.25, output: 1.25, cachedInput: 0.03, cacheWrite: 0.3 }),
] as const;

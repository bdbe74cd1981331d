/**
 * Amazon Bedrock, on-demand (aws.amazon.com/bedrock/pricing), us-east-1 list prices. Basis:
 * pydantic/genai-prices (providers/aws, mid-2026) and models.dev (providers/amazon-bedrock, 2026-10).
 *
 * Claude 4.5 and later cost 10% more through in-region and geographic (us./eu./apac./jp./au.)
 * endpoints than through `global.` cross-region profiles; both are listed. A geo-prefixed id
 * resolves to its base id (see `findCatalogModel`), which carries the regional price. Older models
 * have one price, so `global.`/geo ids of those resolve to the base entry as well.
 */
import { above, chat, embed } from "./define.js";
import type { ModelPrice } from "../prices.js";

const OPUS_45_REGIONAL: ModelPrice = { input: 5.5, output: 27.5, cachedInput: 0.55, cacheWrite: 6.875 };
const OPUS_45_GLOBAL: ModelPrice = { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 };
const SONNET_46_REGIONAL: ModelPrice = { input: 3.3, output: 16.5, cachedInput: 0.33, cacheWrite: 4.125 };
const SONNET_46_GLOBAL: ModelPrice = { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 };
const HAIKU_45_REGIONAL: ModelPrice = { input: 1.1, output: 5.5, cachedInput: 0.11, cacheWrite: 1.375 };
const HAIKU_45_GLOBAL: ModelPrice = { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 };

export const BEDROCK_MODELS = [
  chat("anthropic.claude-opus-4-8", 1_000_000, 128_000, OPUS_45_REGIONAL),
  chat("global.anthropic.claude-opus-4-8", 1_000_000, 128_000, OPUS_45_GLOBAL),
  chat("anthropic.claude-opus-4-7", 1_000_000, 128_000, OPUS_45_REGIONAL, ["anthropic.claude-opus-4-7-v1"]),
  chat("global.anthropic.claude-opus-4-7", 1_000_000, 128_000, OPUS_45_GLOBAL, ["global.anthropic.claude-opus-4-7-v1"]),
  chat("anthropic.claude-opus-4-6-v1", 1_000_000, 128_000, OPUS_45_REGIONAL),
  chat("global.anthropic.claude-opus-4-6-v1", 1_000_000, 128_000, OPUS_45_GLOBAL),
  chat("anthropic.claude-sonnet-4-6", 1_000_000, 64_000, SONNET_46_REGIONAL),
  chat("global.anthropic.claude-sonnet-4-6", 1_000_000, 64_000, SONNET_46_GLOBAL),
  chat("anthropic.claude-opus-4-5-20251101-v1:0", 200_000, 64_000, OPUS_45_REGIONAL),
  chat("global.anthropic.claude-opus-4-5-20251101-v1:0", 200_000, 64_000, OPUS_45_GLOBAL),
  chat("anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 64_000, { ...SONNET_46_REGIONAL, tiers: [above(200_000, 6.6, 24.75, 0.66, 8.25)] }),
  chat("global.anthropic.claude-sonnet-4-5-20250929-v1:0", 1_000_000, 64_000, { ...SONNET_46_GLOBAL, tiers: [above(200_000, 6, 22.5, 0.6, 7.5)] }),
  chat("anthropic.claude-haiku-4-5-20251001-v1:0", 200_000, 64_000, HAIKU_45_REGIONAL),
  chat("global.anthropic.claude-haiku-4-5-20251001-v1:0", 200_000, 64_000, HAIKU_45_GLOBAL),
  chat("anthropic.claude-opus-4-1-20250805-v1:0", 200_000, 32_000, { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 }),
  chat("anthropic.claude-sonnet-4-20250514-v1:0", 1_000_000, 64_000, { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, tiers: [above(200_000, 6, 22.5, 0.6, 7.5)] }),
  chat("anthropic.claude-3-5-haiku-20241022-v1:0", 200_000, 8_192, { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 }),
  chat("anthropic.claude-3-haiku-20240307-v1:0", 200_000, 4_096, { input: 0.25, output: 1.25 }),
  chat("amazon.nova-premier-v1:0", 1_000_000, 32_000, { input: 2.5, output: 12.5, cachedInput: 0.625 }),
  chat("amazon.nova-pro-v1:0", 300_000, 10_000, { input: 0.8, output: 3.2, cachedInput: 0.2 }),
  chat("amazon.nova-lite-v1:0", 300_000, 10_000, { input: 0.06, output: 0.24, cachedInput: 0.015 }),
  chat("amazon.nova-micro-v1:0", 128_000, 10_000, { input: 0.035, output: 0.14, cachedInput: 0.00875 }),
  chat("amazon.nova-2-lite-v1:0", 1_000_000, 64_000, { input: 0.33, output: 2.75, cachedInput: 0.0825 }),
  chat("global.amazon.nova-2-lite-v1:0", 1_000_000, 64_000, { input: 0.3, output: 2.5, cachedInput: 0.075 }),
  chat("meta.llama3-3-70b-instruct-v1:0", 128_000, 4_096, { input: 0.72, output: 0.72 }),
  chat("meta.llama4-maverick-17b-instruct-v1:0", 1_000_000, 16_384, { input: 0.24, output: 0.97 }),
  chat("meta.llama4-scout-17b-instruct-v1:0", 3_500_000, 16_384, { input: 0.17, output: 0.66 }),
  chat("deepseek.r1-v1:0", 128_000, 32_768, { input: 1.35, output: 5.4 }),
  chat("openai.gpt-oss-120b-1:0", 128_000, 65_536, { input: 0.15, output: 0.6 }),
  chat("openai.gpt-oss-20b-1:0", 128_000, 65_536, { input: 0.07, output: 0.3 }),
  embed("amazon.titan-embed-text-v2:0", 8_192, 0.02),
  embed("amazon.titan-embed-text-v1", 8_192, 0.1),
  embed("cohere.embed-v4:0", 128_000, 0.12),
  embed("cohere.embed-english-v3", 512, 0.1),
  embed("cohere.embed-multilingual-v3", 512, 0.1),
] as const;

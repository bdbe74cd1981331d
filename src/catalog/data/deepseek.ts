/**
 * DeepSeek (api-docs.deepseek.com/quick_start/pricing). Since 2026-08-16 the V4 models are billed
 * at a peak rate (01:00–04:00 and 06:00–10:00 UTC on weekdays) and half that off-peak; a catalog
 * price has no time of day, so the PEAK (list) rate is recorded — off-peak traffic is over-counted,
 * never under-counted. Reasoning tokens are billed as output. Basis: models.dev (2026-09:
 * V4 Pro 0813, V4 Flash 0731; deepseek-chat / deepseek-reasoner 2026-02).
 */
import { chat } from "./define.js";

export const DEEPSEEK_MODELS = [
  chat("deepseek-v4-pro", 1_048_576, 384_000, { input: 1.32, output: 3.96, cachedInput: 0.044 }),
  chat("deepseek-v4-flash", 1_000_000, 384_000, { input: 0.44, output: 1.32, cachedInput: 0.014 }),
  chat("deepseek-chat", 1_000_000, 8_192, { input: 0.28, output: 0.42, cachedInput: 0.028 }),
  chat("deepseek-reasoner", 1_000_000, 128_000, { input: 0.28, output: 0.42, cachedInput: 0.028 }),
] as const;

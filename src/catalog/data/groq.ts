/**
 * Groq (groq.com/pricing; limits from console.groq.com/docs/models). Basis: pydantic/genai-prices
 * (mid-2026) — Groq prices prompt-cache hits at half the input price on the models that have it.
 */
import { chat } from "./define.js";

export const GROQ_MODELS = [
  chat("llama-3.3-70b-versatile", 131_072, 32_768, { input: 0.59, output: 0.79 }),
  chat("llama-3.1-8b-instant", 131_072, 131_072, { input: 0.05, output: 0.08 }),
  chat("meta-llama/llama-4-maverick-17b-128e-instruct", 131_072, 8_192, { input: 0.2, output: 0.6 }),
  chat("meta-llama/llama-4-scout-17b-16e-instruct", 131_072, 8_192, { input: 0.11, output: 0.34 }),
  chat("openai/gpt-oss-120b", 131_072, 65_536, { input: 0.15, output: 0.6, cachedInput: 0.075 }),
  chat("openai/gpt-oss-20b", 131_072, 65_536, { input: 0.075, output: 0.3, cachedInput: 0.0375 }),
  chat("qwen/qwen3-32b", 131_072, 40_960, { input: 0.29, output: 0.59 }),
  chat("moonshotai/kimi-k2-instruct-0905", 262_144, 16_384, { input: 1, output: 3, cachedInput: 0.5 }, ["moonshotai/kimi-k2-instruct"]),
] as const;

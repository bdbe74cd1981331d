/**
 * Cohere (cohere.com/pricing; limits from docs.cohere.com/docs/models). Basis: models.dev (2026-10,
 * incl. Command A Plus of 2026-05-20) and pydantic/genai-prices (mid-2026). Embedding prices are
 * per million input tokens (text).
 */
import { chat, embed } from "./define.js";

export const COHERE_MODELS = [
  chat("command-a-plus-05-2026", 128_000, 64_000, { input: 2.5, output: 10 }),
  chat("command-a-reasoning-08-2025", 256_000, 32_000, { input: 2.5, output: 10 }),
  chat("command-a-vision-07-2025", 128_000, 8_000, { input: 2.5, output: 10 }),
  chat("command-a-03-2025", 256_000, 8_000, { input: 2.5, output: 10 }),
  chat("command-r-plus-08-2024", 128_000, 4_000, { input: 2.5, output: 10 }),
  chat("command-r-08-2024", 128_000, 4_000, { input: 0.15, output: 0.6 }),
  chat("command-r7b-12-2024", 128_000, 4_000, { input: 0.0375, output: 0.15 }),
  embed("embed-v4.0", 128_000, 0.12),
  embed("embed-english-v3.0", 512, 0.1),
  embed("embed-multilingual-v3.0", 512, 0.1),
] as const;

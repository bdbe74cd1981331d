import type { Usage } from "../../wire/openai.js";
import type { TokenUsage } from "./native.js";

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/**
 * Bedrock's TokenUsage → OpenAI usage. Bedrock counts uncached input (`inputTokens`), cache reads
 * (`cacheReadInputTokens`) and cache writes (`cacheWriteInputTokens`) separately; OpenAI's
 * `prompt_tokens` includes cached tokens, so the three are summed. `cached_tokens` = cache reads,
 * cache writes are `prompt_tokens_details.cache_creation_tokens`. Bedrock does not split
 * reasoning tokens out of `outputTokens`, so no `reasoning_tokens` are reported.
 */
export function toUsage(u: TokenUsage | undefined): Usage | undefined {
  if (!u || typeof u !== "object") return undefined;
  const cacheRead = num(u.cacheReadInputTokens);
  const cacheWrite = num(u.cacheWriteInputTokens);
  const prompt = num(u.inputTokens) + cacheRead + cacheWrite;
  const completion = num(u.outputTokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_creation_tokens: cacheWrite },
  };
}

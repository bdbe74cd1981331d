import type { Usage } from "../../wire/openai.js";
import type { GeminiUsageMetadata } from "./types.js";

/**
 * Gemini `usageMetadata` as OpenAI usage. `promptTokenCount` already includes
 * `cachedContentTokenCount` (as OpenAI's prompt_tokens includes cached tokens); thinking
 * tokens are billed as output, so completion_tokens = candidates + thoughts, with the thoughts
 * reported as reasoning_tokens. Tool-use prompt tokens (built-in tools) count as prompt.
 */
export function toUsage(u: GeminiUsageMetadata): Usage {
  const prompt = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  const thoughts = u.thoughtsTokenCount ?? 0;
  const completion = (u.candidatesTokenCount ?? 0) + thoughts;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (u.cachedContentTokenCount !== undefined) usage.prompt_tokens_details = { cached_tokens: u.cachedContentTokenCount };
  if (u.thoughtsTokenCount !== undefined) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}

/** Whether a usageMetadata carries counts (stream events before the last may carry none). */
export function hasCounts(u: GeminiUsageMetadata | undefined): u is GeminiUsageMetadata {
  return !!u && (u.promptTokenCount !== undefined || u.candidatesTokenCount !== undefined || u.totalTokenCount !== undefined);
}

/**
 * Claude's extended thinking rules, shared by the adapters that speak to Claude (anthropic,
 * bedrock): `reasoning_effort` → a thinking token budget that fits max_tokens, and the sampling
 * parameters thinking does not allow.
 */

/** reasoning_effort → thinking budget_tokens (Anthropic's minimum budget is 1024). */
export const THINKING_BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768 };

/**
 * The thinking budget for `effort` (a key of THINKING_BUDGETS) under an explicit max_tokens, which
 * the budget must stay below: halved (never under 1024) when it does not fit, with a warning;
 * undefined when even that does not fit (thinking stays off, with a warning).
 */
export function fitThinkingBudget(effort: string, maxTokens: number | undefined, provider: string, warnings: string[]): number | undefined {
  const budget = THINKING_BUDGETS[effort];
  if (maxTokens === undefined || budget < maxTokens) return budget;
  const reduced = Math.max(1024, Math.floor(maxTokens / 2));
  if (reduced >= maxTokens) {
    warnings.push(`reasoning_effort "${effort}" needs max_tokens above 1024 on ${provider} (thinking budget >= 1024 and < max_tokens); thinking not enabled`);
    return undefined;
  }
  warnings.push(`thinking budget for reasoning_effort "${effort}" (${budget} tokens) does not fit max_tokens=${maxTokens}; reduced to ${reduced}`);
  return reduced;
}

export type ThinkingSampling = { temperature?: number; top_p?: number; top_k?: unknown };

/**
 * Claude rejects sampling changes while thinking: temperature must be 1, top_p >= 0.95, no top_k.
 * Returns the parameters the caller must drop, each with a warning.
 */
export function thinkingSamplingConflicts(provider: string, s: ThinkingSampling, warnings: string[]): Array<keyof ThinkingSampling> {
  const drop: Array<keyof ThinkingSampling> = [];
  if (s.temperature !== undefined && s.temperature !== 1) {
    warnings.push(`temperature ${s.temperature} is not supported by ${provider} with extended thinking; ignored`);
    drop.push("temperature");
  }
  if (s.top_p !== undefined && s.top_p < 0.95) {
    warnings.push(`top_p ${s.top_p} is not supported by ${provider} with extended thinking (minimum 0.95); ignored`);
    drop.push("top_p");
  }
  if (s.top_k !== undefined) {
    warnings.push(`top_k is not supported by ${provider} with extended thinking; ignored`);
    drop.push("top_k");
  }
  return drop;
}

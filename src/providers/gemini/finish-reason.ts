/** Gemini's Candidate.FinishReason (and promptFeedback.blockReason) in OpenAI's vocabulary. */

const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"]);

/**
 * STOP is "tool_calls" when the candidate called functions; MAX_TOKENS is "length"; the
 * safety-style reasons are "content_filter"; anything else (OTHER, LANGUAGE,
 * MALFORMED_FUNCTION_CALL, ...) ends the answer as "stop".
 */
export function finishReason(native: string | undefined, hasToolCalls: boolean): string {
  if (native === "MAX_TOKENS") return "length";
  if (native && FILTERED.has(native)) return "content_filter";
  return hasToolCalls ? "tool_calls" : "stop";
}

/** A prompt blocked before generation (no candidates, `promptFeedback.blockReason` set). */
export function blockedPromptReason(blockReason: string | undefined): string | null {
  return blockReason ? "content_filter" : null;
}

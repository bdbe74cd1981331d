import type { Usage } from "../../wire/openai.js";
import type { CohereUsage } from "./native.js";

/**
 * Cohere usage → OpenAI's. `tokens` counts what the model processed (the prompt including
 * Cohere's prompt template and cached tokens, like OpenAI's prompt_tokens); `billed_units` counts
 * what Cohere charges and is kept alongside as `billed_units`. `cached_tokens` is the part of the
 * prompt that hit Cohere's cache. Counts are JSON numbers that may carry a fraction; they are rounded.
 */
export function toUsage(u: CohereUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const input = u.tokens?.input_tokens ?? u.billed_units?.input_tokens;
  const output = u.tokens?.output_tokens ?? u.billed_units?.output_tokens;
  if (input == null && output == null) return undefined;
  const prompt = Math.round(input ?? 0);
  const completion = Math.round(output ?? 0);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (u.cached_tokens != null) usage.prompt_tokens_details = { cached_tokens: Math.round(u.cached_tokens) };
  if (u.billed_units) {
    usage.billed_units = {
      input_tokens: Math.round(u.billed_units.input_tokens ?? 0),
      output_tokens: Math.round(u.billed_units.output_tokens ?? 0),
    };
  }
  return usage;
}

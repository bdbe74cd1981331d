import type { Usage } from "../../wire/openai.js";
import type { NativeUsage } from "./native.js";

/**
 * Anthropic usage → OpenAI usage. Anthropic counts uncached input (`input_tokens`), cache reads
 * and cache writes separately; OpenAI's `prompt_tokens` includes cached tokens, so all three are
 * summed. `cached_tokens` = cache reads; cache writes are exposed as
 * `prompt_tokens_details.cache_creation_tokens`. Thinking tokens (when Anthropic reports
 * `output_tokens_details.thinking_tokens`) become `completion_tokens_details.reasoning_tokens`;
 * they are already part of `output_tokens`.
 */
export function toOpenAIUsage(u: NativeUsage | undefined | null): Usage {
  const input = num(u?.input_tokens);
  const cacheRead = num(u?.cache_read_input_tokens);
  const cacheWrite = num(u?.cache_creation_input_tokens);
  const output = num(u?.output_tokens);
  const prompt = input + cacheRead + cacheWrite;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: output,
    total_tokens: prompt + output,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_creation_tokens: cacheWrite },
  };
  const thinking = u?.output_tokens_details?.thinking_tokens;
  if (typeof thinking === "number") usage.completion_tokens_details = { reasoning_tokens: thinking };
  return usage;
}

/**
 * Streams report usage twice: `message_start` (input side, output so far) and `message_delta`
 * (cumulative; newer API versions repeat the input side, older ones send `output_tokens` only).
 * Non-null fields of the later report win.
 */
export function mergeUsage(prev: NativeUsage | undefined, next: NativeUsage | undefined | null): NativeUsage {
  const out: NativeUsage = { ...(prev ?? {}) };
  for (const [k, v] of Object.entries(next ?? {})) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

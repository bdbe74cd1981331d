import { GatewayError } from "../../core/errors.js";
import type { ChatChunk } from "../../wire/openai.js";
import { RAW_JSON } from "../../wire/raw.js";
import type { StreamState } from "../types.js";

/** OpenAI SSE: each `data:` line is a chunk; `[DONE]` ends; an `error` object mid-stream is a failure. */
export function streamEvent(event: { event?: string; data: string }, _state: StreamState): ChatChunk[] | "done" {
  const data = event.data;
  if (data === "[DONE]") return "done";
  let parsed: ChatChunk & { error?: { message?: string } };
  try {
    parsed = JSON.parse(data) as typeof parsed;
  } catch {
    throw new GatewayError("upstream_error", "upstream sent a stream event that is not JSON", { retryable: false });
  }
  if (parsed.error) {
    throw new GatewayError("upstream_error", parsed.error.message ?? "upstream stream error", { retryable: false });
  }
  if (!Array.isArray(parsed.choices)) parsed.choices = [];
  else RAW_JSON.set(parsed, data); // unchanged: relayed as it came
  return [parsed];
}

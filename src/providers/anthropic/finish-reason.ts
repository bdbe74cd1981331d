/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`.
 *
 * end_turn / stop_sequence → stop; max_tokens / model_context_window_exceeded → length;
 * tool_use → tool_calls; refusal → content_filter; pause_turn (a server tool paused a long
 * turn; the caller may send the response back to continue) → stop. Unknown values → stop.
 */
const MAP: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/**
 * `hasToolCalls` is whether the answer carries client tool calls; a `tool_use` stop caused only
 * by the gateway's own JSON-mode tool is a normal `stop`.
 */
export function finishReason(stopReason: string | null | undefined, hasToolCalls: boolean): string {
  if (!stopReason) return hasToolCalls ? "tool_calls" : "stop";
  if (stopReason === "tool_use" && !hasToolCalls) return "stop";
  return MAP[stopReason] ?? "stop";
}

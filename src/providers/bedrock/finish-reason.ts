/**
 * Bedrock's `stopReason` (Converse response, ConverseStream messageStop) → OpenAI's
 * `finish_reason`. Values per the API reference's StopReason enum.
 */
const MAP: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
  malformed_model_output: "stop",
  malformed_tool_use: "stop",
};

/**
 * `jsonTool` is true when the forced JSON tool (response_format json_schema) produced the
 * answer: the client sees content, so `tool_use` is reported as a normal stop.
 */
export function finishReason(stopReason: string | undefined, jsonTool = false): string {
  if (!stopReason) return "stop";
  if (stopReason === "tool_use" && jsonTool) return "stop";
  return MAP[stopReason] ?? "stop";
}

/**
 * Cohere v2 finish reasons → OpenAI's. COMPLETE, STOP_SEQUENCE, MAX_TOKENS, TOOL_CALL, ERROR and
 * TIMEOUT are v2's documented values; ERROR_TOXIC, ERROR_LIMIT and CONTENT_BLOCKED come from v1
 * and early v2 and are mapped too. ERROR and TIMEOUT are failures, not finishes (see `failure`).
 */
const MAP: Record<string, string> = {
  COMPLETE: "stop",
  STOP_SEQUENCE: "stop",
  USER_CANCEL: "stop",
  MAX_TOKENS: "length",
  ERROR_LIMIT: "length",
  TOOL_CALL: "tool_calls",
  ERROR_TOXIC: "content_filter",
  CONTENT_BLOCKED: "content_filter",
};

/** OpenAI's finish reason; a call that produced tool calls finishes with "tool_calls". */
export function finishReason(native: string | undefined, sawToolCalls: boolean): string {
  const mapped = MAP[(native ?? "COMPLETE").toUpperCase()] ?? "stop";
  return sawToolCalls && mapped === "stop" ? "tool_calls" : mapped;
}

/** "error" or "timeout" when Cohere reports the generation failed, else undefined. */
export function failure(native: string | undefined): "error" | "timeout" | undefined {
  const n = (native ?? "").toUpperCase();
  return n === "ERROR" ? "error" : n === "TIMEOUT" ? "timeout" : undefined;
}

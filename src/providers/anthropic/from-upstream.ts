import { GatewayError } from "../../core/errors.js";
import type { ChatCompletion, ToolCall } from "../../wire/openai.js";
import { finishReason } from "./finish-reason.js";
import { JSON_TOOL_NAME, type NativeResponse } from "./native.js";
import { toOpenAIUsage } from "./usage.js";

/**
 * Anthropic message → OpenAI chat.completion. Text blocks are joined into `content`; `tool_use`
 * blocks become `tool_calls` (arguments as a JSON string); the gateway's JSON-mode tool
 * (`json_response`) becomes the content text; `thinking` blocks are joined into
 * `reasoning_content`, and thinking blocks with their signatures are kept in `thinking_blocks`
 * so a client can send them back on the next turn.
 */
export function chatResponse(body: unknown): ChatCompletion {
  const b = body as NativeResponse;
  if (!b || typeof b !== "object" || !Array.isArray(b.content)) {
    throw new GatewayError("upstream_error", "anthropic returned a message without content", { retryable: false });
  }
  let text = "";
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  const thinkingBlocks: Array<Record<string, unknown>> = [];
  for (const block of b.content) {
    const c = block as Record<string, unknown>;
    if (c.type === "text") text += typeof c.text === "string" ? c.text : "";
    else if (c.type === "tool_use" && c.name === JSON_TOOL_NAME) text += JSON.stringify(c.input ?? {});
    else if (c.type === "tool_use") {
      toolCalls.push({ id: String(c.id), type: "function", function: { name: String(c.name), arguments: JSON.stringify(c.input ?? {}) } });
    } else if (c.type === "thinking") {
      reasoning += typeof c.thinking === "string" ? c.thinking : "";
      thinkingBlocks.push({ type: "thinking", thinking: c.thinking, signature: c.signature });
    } else if (c.type === "redacted_thinking") {
      thinkingBlocks.push({ type: "redacted_thinking", data: c.data });
    }
  }
  const message: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (thinkingBlocks.length) {
    message.reasoning_content = reasoning;
    message.thinking_blocks = thinkingBlocks;
  }
  return {
    id: b.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: b.model,
    choices: [{ index: 0, message, finish_reason: finishReason(b.stop_reason, toolCalls.length > 0), logprobs: null }],
    usage: toOpenAIUsage(b.usage),
  };
}

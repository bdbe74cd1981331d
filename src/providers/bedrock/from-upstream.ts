import { GatewayError } from "../../core/errors.js";
import { randomId } from "../../core/ids.js";
import type { ChatCompletion, ToolCall } from "../../wire/openai.js";
import { finishReason } from "./finish-reason.js";
import { JSON_TOOL_NAME, type ConverseResponse } from "./native.js";
import { toUsage } from "./usage.js";

export const completionId = () => `chatcmpl-${randomId(24)}`;

/**
 * Converse response → chat.completion. `text` blocks become the content, `toolUse` blocks
 * `tool_calls` (the forced JSON tool's input becomes content), reasoning text becomes
 * `reasoning_content`, and reasoning blocks with their signatures are kept in `thinking_blocks`
 * (the Anthropic adapter's shape) so a client can send them back on the next turn. Converse returns no response id or model: a fresh id is made and the
 * provider fills `model` with the requested model id.
 */
export function chatResponse(body: unknown): ChatCompletion {
  const b = body as ConverseResponse | null;
  const message = b && typeof b === "object" ? b.output?.message : undefined;
  if (!message || typeof message !== "object") {
    throw new GatewayError("upstream_error", "bedrock returned a Converse response without output.message", { retryable: false });
  }
  let text = "";
  let reasoning = "";
  let jsonTool = false;
  const toolCalls: ToolCall[] = [];
  const thinkingBlocks: Array<Record<string, unknown>> = [];
  for (const block of Array.isArray(message.content) ? message.content : []) {
    if (typeof block.text === "string") text += block.text;
    else if (block.reasoningContent?.reasoningText) {
      const r = block.reasoningContent.reasoningText;
      reasoning += r.text ?? "";
      thinkingBlocks.push({ type: "thinking", thinking: r.text ?? "", signature: r.signature });
    } else if (block.reasoningContent?.redactedContent) {
      thinkingBlocks.push({ type: "redacted_thinking", data: block.reasoningContent.redactedContent });
    } else if (block.toolUse && block.toolUse.name === JSON_TOOL_NAME) {
      jsonTool = true;
      text += JSON.stringify(block.toolUse.input ?? {});
    } else if (block.toolUse) {
      toolCalls.push({ id: block.toolUse.toolUseId, type: "function", function: { name: block.toolUse.name, arguments: JSON.stringify(block.toolUse.input ?? {}) } });
    }
  }
  const out: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: text || (toolCalls.length ? null : "") };
  if (toolCalls.length) out.tool_calls = toolCalls;
  if (thinkingBlocks.length) {
    out.reasoning_content = reasoning;
    out.thinking_blocks = thinkingBlocks;
  }
  const completion: ChatCompletion = {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: "",
    choices: [{ index: 0, message: out, finish_reason: finishReason(b?.stopReason, jsonTool), logprobs: null }],
  };
  const usage = toUsage(b?.usage);
  if (usage) completion.usage = usage;
  return completion;
}

/** Cohere v2 responses → canonical ChatCompletion / embeddings list. */
import { GatewayError } from "../../core/errors.js";
import type { ChatCompletion, EmbeddingsResponse, ToolCall } from "../../wire/openai.js";
import { generationFailed } from "./errors.js";
import { finishReason } from "./finish-reason.js";
import type { CohereChatResponse, CohereEmbedResponse, CohereToolCall } from "./native.js";
import { toUsage } from "./usage.js";

export function toolCalls(calls: CohereToolCall[] | undefined): ToolCall[] {
  return (calls ?? []).map((tc) => ({
    id: tc.id,
    type: "function",
    // Cohere sends "" or "null" as the arguments of a tool without parameters.
    function: { name: tc.function?.name ?? "", arguments: typeof tc.function?.arguments === "string" && !/^(null)?$/.test(tc.function.arguments.trim()) ? tc.function.arguments : "{}" },
  }));
}

/**
 * Text parts become `content`, thinking parts `reasoning_content`; when the model only calls
 * tools, its `tool_plan` ("I will look up the weather…") is the content, as OpenAI models put
 * such text beside tool calls (and it goes back upstream as the tool plan).
 */
export function chatResponse(body: unknown, provider = "cohere"): ChatCompletion {
  const b = body as CohereChatResponse;
  if (!b || typeof b !== "object" || !b.message || typeof b.message !== "object") {
    throw new GatewayError("upstream_error", `${provider} returned a chat response without a message`, { retryable: false });
  }
  const failed = generationFailed(provider, b.finish_reason, undefined, false);
  if (failed) throw failed;
  let text = "";
  let thinking = "";
  for (const part of b.message.content ?? []) {
    if (part.type === "text") text += part.text;
    else if (part.type === "thinking") thinking += part.thinking;
  }
  const calls = toolCalls(b.message.tool_calls);
  const content = text || b.message.tool_plan || (calls.length ? null : "");
  const usage = toUsage(b.usage ?? b.meta);
  return {
    id: b.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: "",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null, ...(calls.length ? { tool_calls: calls } : {}), ...(thinking ? { reasoning_content: thinking } : {}) },
        finish_reason: finishReason(b.finish_reason, calls.length > 0),
        logprobs: null,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

export function embeddingsResponse(body: unknown, provider = "cohere"): EmbeddingsResponse {
  const b = body as CohereEmbedResponse;
  const vectors = b?.embeddings?.float;
  if (!Array.isArray(vectors)) {
    throw new GatewayError("upstream_error", `${provider} returned an embeddings response without float embeddings`, { retryable: false });
  }
  const tokens = Math.round(b.meta?.billed_units?.input_tokens ?? 0);
  return {
    object: "list",
    data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
    model: "",
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

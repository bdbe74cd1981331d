/** Gemini `GenerateContentResponse` / `BatchEmbedContentsResponse` → OpenAI shapes. */
import { randomBytes } from "node:crypto";
import { GatewayError } from "../../core/errors.js";
import type { ChatCompletion, EmbeddingsResponse, ToolCall } from "../../wire/openai.js";
import { blockedPromptReason, finishReason } from "./finish-reason.js";
import type { GeminiPart, GeminiResponse } from "./types.js";
import { toUsage } from "./usage.js";

/** An OpenAI tool call that also carries Gemini's thought signature, the way Google's own OpenAI endpoint does. */
export type GeminiToolCall = ToolCall & { extra_content?: { google: { thought_signature: string } } };

export interface ReadParts {
  text: string;
  reasoning: string;
  toolCalls: GeminiToolCall[];
}

/**
 * Gemini gives function calls no id (or an optional one): ids are `call_<response>_<n>`, unique
 * per response and the same whether the answer was streamed or not.
 */
export function toolCallId(responseKey: string, part: GeminiPart, n: number): string {
  return part.functionCall?.id || `call_${responseKey}_${n}`;
}

/** The text, thought summaries and function calls of a candidate's parts, in order. */
export function readParts(parts: GeminiPart[], responseKey: string, firstCall = 0): ReadParts {
  const out: ReadParts = { text: "", reasoning: "", toolCalls: [] };
  for (const p of parts) {
    if (p.functionCall) out.toolCalls.push(toToolCall(p, toolCallId(responseKey, p, firstCall + out.toolCalls.length)));
    else if (typeof p.text === "string") {
      if (p.thought) out.reasoning += p.text;
      else out.text += p.text;
    }
  }
  return out;
}

export function toToolCall(p: GeminiPart, id: string): GeminiToolCall {
  const call: GeminiToolCall = { id, type: "function", function: { name: p.functionCall!.name, arguments: JSON.stringify(p.functionCall!.args ?? {}) } };
  if (p.thoughtSignature) call.extra_content = { google: { thought_signature: p.thoughtSignature } };
  return call;
}

export function responseKey(b: GeminiResponse): string {
  return b.responseId ? b.responseId.replace(/[^A-Za-z0-9_-]/g, "") : randomBytes(8).toString("hex");
}

export function chatResponse(body: unknown): ChatCompletion {
  const b = body as GeminiResponse;
  if (!b || typeof b !== "object") throw new GatewayError("upstream_error", "gemini returned a response that is not an object", { retryable: false });
  const key = responseKey(b);
  const candidates = b.candidates ?? [];
  const blocked = blockedPromptReason(b.promptFeedback?.blockReason);
  if (candidates.length === 0 && !blocked) {
    throw new GatewayError("upstream_error", "gemini returned a response without candidates", { retryable: false });
  }
  const choices: ChatCompletion["choices"] = candidates.map((c, i) => {
    const r = readParts(c.content?.parts ?? [], key);
    const message: ChatCompletion["choices"][number]["message"] = { role: "assistant", content: r.text === "" && r.toolCalls.length ? null : r.text };
    if (r.toolCalls.length) message.tool_calls = r.toolCalls;
    if (r.reasoning) message.reasoning_content = r.reasoning;
    return { index: c.index ?? i, message, finish_reason: finishReason(c.finishReason, r.toolCalls.length > 0), logprobs: null };
  });
  if (choices.length === 0) choices.push({ index: 0, message: { role: "assistant", content: "" }, finish_reason: blocked, logprobs: null });
  const completion: ChatCompletion = {
    id: `chatcmpl-${key}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: b.modelVersion ?? "",
    choices,
  };
  if (b.usageMetadata) completion.usage = toUsage(b.usageMetadata);
  return completion;
}

/**
 * `{"embeddings": [{"values": [...]}]}` in input order. Gemini reports no token counts here, so
 * `usage` is left out and the gateway estimates it.
 */
export function embeddingsResponse(body: unknown): EmbeddingsResponse {
  const b = body as { embeddings?: Array<{ values?: number[] }> };
  if (!b || !Array.isArray(b.embeddings)) {
    throw new GatewayError("upstream_error", "gemini returned an embeddings response without embeddings", { retryable: false });
  }
  return {
    object: "list",
    data: b.embeddings.map((e, index) => ({ object: "embedding", index, embedding: e.values ?? [] })),
    model: "",
  } as unknown as EmbeddingsResponse;
}

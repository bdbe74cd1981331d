/**
 * Gemini `streamGenerateContent?alt=sse`: every `data:` event is a whole
 * GenerateContentResponse holding the next parts of each candidate; there is no terminal
 * event, the body just ends. So the finish chunk is emitted when a candidate's finishReason
 * arrives, and the usage chunk (from the latest usageMetadata with counts) as soon as every
 * started candidate has finished.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatChunk } from "../../wire/openai.js";
import type { StreamState } from "../types.js";
import { blockedPromptReason, finishReason } from "./finish-reason.js";
import { responseKey, toolCallId, toToolCall } from "./from-upstream.js";
import type { GeminiResponse, GeminiUsageMetadata } from "./types.js";
import { hasCounts, toUsage } from "./usage.js";

interface GeminiStreamData {
  key: string;
  created: number;
  model: string;
  started: Set<number>;
  finished: Set<number>;
  calls: Map<number, number>;
  usage?: GeminiUsageMetadata;
  usageSent: boolean;
}

function stateOf(state: StreamState, b: GeminiResponse): GeminiStreamData {
  const existing = state.data.gemini as GeminiStreamData | undefined;
  if (existing) return existing;
  const d: GeminiStreamData = {
    key: responseKey(b),
    created: Math.floor(Date.now() / 1000),
    model: b.modelVersion ?? "",
    started: new Set(),
    finished: new Set(),
    calls: new Map(),
    usageSent: false,
  };
  state.data.gemini = d;
  return d;
}

export function streamEvent(event: { event?: string; data: string }, state: StreamState): ChatChunk[] {
  if (event.data.trim() === "") return [];
  let b: GeminiResponse;
  try {
    b = JSON.parse(event.data) as GeminiResponse;
  } catch {
    throw new GatewayError("upstream_error", "gemini sent a stream event that is not JSON", { retryable: false });
  }
  if (b.error) throw new GatewayError("upstream_error", b.error.message ?? "gemini stream error", { retryable: false });
  const d = stateOf(state, b);
  if (hasCounts(b.usageMetadata)) d.usage = b.usageMetadata;

  const out: ChatChunk[] = [];
  const chunk = (index: number, delta: ChatChunk["choices"][number]["delta"], finish: string | null = null): ChatChunk => ({
    id: `chatcmpl-${d.key}`,
    object: "chat.completion.chunk",
    created: d.created,
    model: d.model,
    choices: [{ index, delta, finish_reason: finish, logprobs: null }],
  });
  const start = (index: number) => {
    if (d.started.has(index)) return;
    d.started.add(index);
    out.push(chunk(index, { role: "assistant", content: "" }));
  };

  for (const c of b.candidates ?? []) {
    const index = c.index ?? 0;
    start(index);
    for (const p of c.content?.parts ?? []) {
      if (p.functionCall) {
        const n = d.calls.get(index) ?? 0;
        d.calls.set(index, n + 1);
        const call = toToolCall(p, toolCallId(d.key, p, n));
        out.push(chunk(index, { tool_calls: [{ index: n, ...call }] }));
      } else if (typeof p.text === "string" && p.text !== "") {
        out.push(chunk(index, p.thought ? { reasoning_content: p.text } : { content: p.text }));
      }
    }
    if (c.finishReason && !d.finished.has(index)) {
      d.finished.add(index);
      out.push(chunk(index, {}, finishReason(c.finishReason, (d.calls.get(index) ?? 0) > 0)));
    }
  }
  const blocked = blockedPromptReason(b.promptFeedback?.blockReason);
  if (blocked && (b.candidates ?? []).length === 0 && !d.finished.has(0)) {
    start(0);
    d.finished.add(0);
    out.push(chunk(0, {}, blocked));
  }

  const allFinished = d.finished.size > 0 && [...d.started].every((i) => d.finished.has(i));
  if (allFinished && d.usage && !d.usageSent) {
    d.usageSent = true;
    out.push({ id: `chatcmpl-${d.key}`, object: "chat.completion.chunk", created: d.created, model: d.model, choices: [], usage: toUsage(d.usage) });
  }
  return out;
}

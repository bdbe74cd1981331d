/**
 * Cohere v2 chat stream (SSE: `event: <type>` + `data: {"type": ...}`, ended by `data: [DONE]`)
 * → canonical chunks: a role chunk first, content / reasoning / tool-call deltas with OpenAI's
 * tool-call `index`, a finish chunk, then a usage chunk with `choices: []`.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatChunk } from "../../wire/openai.js";
import type { StreamState } from "../types.js";
import { generationFailed } from "./errors.js";
import { finishReason } from "./finish-reason.js";
import type { CohereStreamEvent } from "./native.js";
import { toUsage } from "./usage.js";

interface CohereStreamData {
  id: string;
  created: number;
  started: boolean;
  /** Cohere's tool-call index → OpenAI's (0, 1, … in order of appearance). */
  toolIndex: Record<number, number>;
  nextTool: number;
  currentTool: number;
  /** Whether the tool call at an OpenAI index received any argument text. */
  hasArgs: Record<number, boolean>;
}

function streamData(state: StreamState): CohereStreamData {
  const d = state.data as Partial<CohereStreamData>;
  if (d.created === undefined) Object.assign(d, { id: "", created: Math.floor(Date.now() / 1000), started: false, toolIndex: {}, nextTool: 0, currentTool: 0, hasArgs: {} });
  return d as CohereStreamData;
}

export function streamEvent(ev: { event?: string; data: string }, state: StreamState, provider = "cohere"): ChatChunk[] | "done" {
  if (ev.data === "[DONE]") return "done";
  let e: CohereStreamEvent;
  try {
    e = JSON.parse(ev.data) as CohereStreamEvent;
  } catch {
    throw new GatewayError("upstream_error", `${provider} sent a stream event that is not JSON`, { retryable: false });
  }
  const s = streamData(state);
  const out: ChatChunk[] = [];
  const chunk = (delta: ChatChunk["choices"][0]["delta"], finish: string | null = null) => {
    if (!s.started) {
      s.started = true;
      out.push(make(s, { role: "assistant", content: "" }));
    }
    out.push(make(s, delta, finish));
  };
  const message = e.delta?.message;
  switch (e.type ?? ev.event) {
    case "message-start":
      if (e.id) s.id = e.id;
      if (!s.started) {
        s.started = true;
        out.push(make(s, { role: "assistant", content: "" }));
      }
      break;
    case "content-start":
    case "content-delta":
      if (message?.content?.text) chunk({ content: message.content.text });
      if (message?.content?.thinking) chunk({ reasoning_content: message.content.thinking });
      break;
    case "tool-plan-delta":
      if (message?.tool_plan) chunk({ content: message.tool_plan });
      break;
    case "tool-call-start": {
      const tc = message?.tool_calls;
      const index = s.nextTool++;
      if (e.index !== undefined) s.toolIndex[e.index] = index;
      s.currentTool = index;
      s.hasArgs[index] = Boolean(tc?.function?.arguments);
      chunk({ tool_calls: [{ index, id: tc?.id ?? `call_${index}`, type: "function", function: { name: tc?.function?.name ?? "", arguments: tc?.function?.arguments ?? "" } }] });
      break;
    }
    case "tool-call-delta": {
      const args = message?.tool_calls?.function?.arguments;
      const index = (e.index !== undefined ? s.toolIndex[e.index] : undefined) ?? s.currentTool;
      if (args) {
        s.hasArgs[index] = true;
        chunk({ tool_calls: [{ index, function: { arguments: args } }] });
      }
      break;
    }
    case "tool-call-end": {
      // A tool without parameters streams no arguments; OpenAI clients expect a JSON object.
      const index = (e.index !== undefined ? s.toolIndex[e.index] : undefined) ?? s.currentTool;
      if (s.hasArgs[index] === false) {
        s.hasArgs[index] = true;
        chunk({ tool_calls: [{ index, function: { arguments: "{}" } }] });
      }
      break;
    }
    case "message-end": {
      const failed = generationFailed(provider, e.delta?.finish_reason, e.delta?.error, true);
      if (failed) throw failed;
      chunk({}, finishReason(e.delta?.finish_reason, s.nextTool > 0));
      const usage = toUsage(e.delta?.usage);
      if (usage) out.push({ ...make(s, {}), choices: [], usage });
      break;
    }
    default:
      // content-end, citation-start, citation-end, debug: nothing to relay.
      break;
  }
  return out;
}

function make(s: CohereStreamData, delta: ChatChunk["choices"][0]["delta"], finish: string | null = null): ChatChunk {
  return { id: s.id, object: "chat.completion.chunk", created: s.created, model: "", choices: [{ index: 0, delta, finish_reason: finish }] };
}

/**
 * ConverseStream events (AWS event stream, decoded into events named by `:event-type`) →
 * canonical chunks. Order on the wire: messageStart, then per content block an optional
 * contentBlockStart (tool use only), contentBlockDelta*, contentBlockStop, then messageStop
 * {stopReason} and finally metadata {usage, metrics}. Emitted: a role chunk, content /
 * reasoning_content / thinking_blocks (signatures) / tool_calls deltas (OpenAI `index` = order of the tool call), the finish
 * chunk on messageStop, and a usage chunk (`choices: []`) on metadata. The stream ends with the
 * body; a finish chunk marks it complete. Exceptions (`exception:<type>`) throw.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatChunk } from "../../wire/openai.js";
import type { StreamState } from "../types.js";
import { streamError } from "./errors.js";
import { finishReason } from "./finish-reason.js";
import { completionId } from "./from-upstream.js";
import { JSON_TOOL_NAME, type StreamEvents } from "./native.js";
import { toUsage } from "./usage.js";

interface State {
  id: string;
  created: number;
  roleSent: boolean;
  /** contentBlockIndex → OpenAI tool_call index, or "json" for the forced JSON tool's block. */
  blocks: Map<number, number | "json">;
  toolCount: number;
  jsonTool: boolean;
}

function stateOf(s: StreamState): State {
  let st = s.data.bedrock as State | undefined;
  if (!st) {
    st = { id: completionId(), created: Math.floor(Date.now() / 1000), roleSent: false, blocks: new Map(), toolCount: 0, jsonTool: false };
    s.data.bedrock = st;
  }
  return st;
}

function chunk(st: State, delta: ChatChunk["choices"][number]["delta"], finish: string | null = null): ChatChunk {
  return { id: st.id, object: "chat.completion.chunk", created: st.created, model: "", choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** Prefixes the role chunk before the first chunk of the stream. */
function emit(st: State, out: ChatChunk[]): ChatChunk[] {
  if (st.roleSent || out.length === 0) return out;
  st.roleSent = true;
  return [chunk(st, { role: "assistant", content: "" }), ...out];
}

export function streamEventFor(provider: string, secrets: string[]) {
  return (event: { event?: string; data: string }, state: StreamState): ChatChunk[] | "done" => {
    const name = event.event ?? "";
    if (name.startsWith("exception:") || name.startsWith("error:")) throw streamError(provider, name, event.data, secrets);
    const st = stateOf(state);
    let data: unknown;
    try {
      data = JSON.parse(event.data || "{}");
    } catch {
      throw new GatewayError("upstream_error", `bedrock sent a ${name || "stream"} event that is not JSON`, { retryable: false });
    }
    switch (name) {
      case "messageStart":
        if (st.roleSent) return [];
        st.roleSent = true;
        return [chunk(st, { role: "assistant", content: "" })];
      case "contentBlockStart": {
        const e = data as StreamEvents["contentBlockStart"];
        const tool = e.start?.toolUse;
        if (!tool) return [];
        if (tool.name === JSON_TOOL_NAME) {
          st.blocks.set(e.contentBlockIndex, "json");
          st.jsonTool = true;
          return [];
        }
        const index = st.toolCount++;
        st.blocks.set(e.contentBlockIndex, index);
        return emit(st, [chunk(st, { tool_calls: [{ index, id: tool.toolUseId, type: "function", function: { name: tool.name, arguments: "" } }] })]);
      }
      case "contentBlockDelta": {
        const e = data as StreamEvents["contentBlockDelta"];
        const d = e.delta ?? {};
        if (typeof d.text === "string" && d.text) return emit(st, [chunk(st, { content: d.text })]);
        if (d.reasoningContent?.text) return emit(st, [chunk(st, { reasoning_content: d.reasoningContent.text })]);
        if (d.reasoningContent?.signature) return emit(st, [chunk(st, { thinking_blocks: [{ type: "thinking", signature: d.reasoningContent.signature }] })]);
        if (d.reasoningContent?.redactedContent) return emit(st, [chunk(st, { thinking_blocks: [{ type: "redacted_thinking", data: d.reasoningContent.redactedContent }] })]);
        if (typeof d.toolUse?.input === "string" && d.toolUse.input) {
          const target = st.blocks.get(e.contentBlockIndex);
          if (target === "json") return emit(st, [chunk(st, { content: d.toolUse.input })]);
          if (target === undefined) return [];
          return emit(st, [chunk(st, { tool_calls: [{ index: target, function: { arguments: d.toolUse.input } }] })]);
        }
        return [];
      }
      case "messageStop": {
        const e = data as StreamEvents["messageStop"];
        return emit(st, [chunk(st, {}, finishReason(e.stopReason, st.jsonTool))]);
      }
      case "metadata": {
        const usage = toUsage((data as StreamEvents["metadata"]).usage);
        if (!usage) return [];
        return [{ id: st.id, object: "chat.completion.chunk", created: st.created, model: "", choices: [], usage }];
      }
      default:
        return []; // contentBlockStop and events this adapter does not know
    }
  };
}

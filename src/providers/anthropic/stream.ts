/**
 * Anthropic SSE events → canonical chat.completion.chunk objects.
 *
 * Event flow (streaming reference): message_start → per content block: content_block_start,
 * content_block_delta…, content_block_stop → message_delta (stop_reason, cumulative usage) →
 * message_stop; `ping` may appear anywhere; an `error` event (e.g. overloaded_error) may arrive
 * mid-stream. Emitted: a role chunk, content / reasoning_content / tool_calls deltas (OpenAI
 * tool `index` counts client tool calls only), a finish chunk, and at message_stop a usage chunk
 * with `choices: []`.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatChunk } from "../../wire/openai.js";
import type { StreamState } from "../types.js";
import { streamError } from "./errors.js";
import { finishReason } from "./finish-reason.js";
import { JSON_TOOL_NAME, type NativeStreamBlock, type NativeStreamDelta, type NativeStreamEvent, type NativeUsage } from "./native.js";
import { mergeUsage, toOpenAIUsage } from "./usage.js";

type BlockKind = { kind: "text" | "thinking" | "json" | "other" } | { kind: "tool"; toolIndex: number };

interface AnthropicStreamData {
  id: string;
  model: string;
  created: number;
  usage?: NativeUsage;
  blocks: Record<number, BlockKind>;
  toolCount: number;
  finished: boolean;
}

type Delta = ChatChunk["choices"][number]["delta"];

function streamData(state: StreamState): AnthropicStreamData {
  const d = state.data as { anthropic?: AnthropicStreamData };
  d.anthropic ??= { id: "", model: "", created: Math.floor(Date.now() / 1000), blocks: {}, toolCount: 0, finished: false };
  return d.anthropic;
}

function chunk(s: AnthropicStreamData, delta: Delta, finish: string | null = null): ChatChunk {
  return { id: s.id, object: "chat.completion.chunk", created: s.created, model: s.model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

export function makeStreamEvent(provider: string, secrets: string[]) {
  return function streamEvent(event: { event?: string; data: string }, state: StreamState): ChatChunk[] {
    let ev: NativeStreamEvent;
    try {
      ev = JSON.parse(event.data) as NativeStreamEvent;
    } catch {
      throw new GatewayError("upstream_error", "anthropic sent a stream event that is not JSON", { retryable: false });
    }
    const s = streamData(state);
    switch (ev.type ?? event.event) {
      case "message_start": {
        const m = ev.message ?? {};
        s.id = String(m.id ?? "");
        s.model = String(m.model ?? "");
        s.usage = mergeUsage(s.usage, m.usage);
        return [chunk(s, { role: "assistant", content: "" })];
      }
      case "content_block_start":
        return blockStart(s, Number(ev.index), ev.content_block ?? {});
      case "content_block_delta":
        return blockDelta(s, s.blocks[Number(ev.index)], ev.delta ?? {});
      case "message_delta": {
        s.usage = mergeUsage(s.usage, ev.usage);
        const reason = ev.delta?.stop_reason;
        if (!reason || s.finished) return [];
        s.finished = true;
        return [chunk(s, {}, finishReason(reason, s.toolCount > 0))];
      }
      case "message_stop": {
        const out: ChatChunk[] = [];
        if (!s.finished) {
          s.finished = true;
          out.push(chunk(s, {}, finishReason(null, s.toolCount > 0)));
        }
        out.push({ id: s.id, object: "chat.completion.chunk", created: s.created, model: s.model, choices: [], usage: toOpenAIUsage(s.usage) });
        return out;
      }
      case "error":
        throw streamError(provider, ev, secrets);
      default:
        return []; // ping, content_block_stop, and event types added later
    }
  };
}

function blockStart(s: AnthropicStreamData, index: number, block: NativeStreamBlock): ChatChunk[] {
  switch (block.type) {
    case "text":
      s.blocks[index] = { kind: "text" };
      return block.text ? [chunk(s, { content: String(block.text) })] : [];
    case "thinking":
      s.blocks[index] = { kind: "thinking" };
      return block.thinking ? [chunk(s, { reasoning_content: String(block.thinking) })] : [];
    case "redacted_thinking":
      s.blocks[index] = { kind: "other" };
      return [chunk(s, { thinking_blocks: [{ type: "redacted_thinking", data: block.data }] })];
    case "tool_use": {
      if (block.name === JSON_TOOL_NAME) {
        s.blocks[index] = { kind: "json" };
        return [];
      }
      const toolIndex = s.toolCount++;
      s.blocks[index] = { kind: "tool", toolIndex };
      return [chunk(s, { tool_calls: [{ index: toolIndex, id: String(block.id), type: "function", function: { name: String(block.name), arguments: "" } }] })];
    }
    default:
      s.blocks[index] = { kind: "other" }; // server tool use / results: not part of the OpenAI shape
      return [];
  }
}

function blockDelta(s: AnthropicStreamData, block: BlockKind | undefined, delta: NativeStreamDelta): ChatChunk[] {
  switch (delta.type) {
    case "text_delta":
      return delta.text ? [chunk(s, { content: String(delta.text) })] : [];
    case "thinking_delta":
      return delta.thinking ? [chunk(s, { reasoning_content: String(delta.thinking) })] : [];
    case "signature_delta":
      return [chunk(s, { thinking_blocks: [{ type: "thinking", signature: delta.signature }] })];
    case "input_json_delta": {
      const part = String(delta.partial_json ?? "");
      if (!part || !block) return [];
      if (block.kind === "json") return [chunk(s, { content: part })];
      if (block.kind === "tool") return [chunk(s, { tool_calls: [{ index: block.toolIndex, function: { arguments: part } }] })];
      return [];
    }
    default:
      return []; // citations_delta and delta types added later
  }
}

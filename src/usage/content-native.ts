/**
 * Content logging for answers relayed natively (see docs/architecture.md, "Native pass-through"):
 * the completion read from the provider's own answer, in the shape chat's is stored — one
 * choice, its text and its tool calls. Anthropic's Messages API: `text` blocks are the text,
 * `tool_use` blocks the tool calls (their `input` as JSON arguments). OpenAI's Responses API:
 * `output_text` parts of `message` items are the text, `function_call` items the tool calls.
 * A stream's are assembled from its events as they pass, only those that carry text or a tool
 * call parsed, within the capture's bound.
 */
import type { NativeApi, NativeEvent } from "../providers/types.js";
import type { Choice, ContentCapture } from "./content.js";

type ToolCall = NonNullable<Choice["tool_calls"]>[number];
type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The completion of a native answer's body (its one choice). */
export function nativeChoices(api: NativeApi, body: unknown): Choice[] {
  let text = "";
  const calls: ToolCall[] = [];
  const b = isObject(body) ? body : {};
  if (api === "messages") {
    for (const block of list(b.content)) {
      if (block.type === "text") text += str(block.text) ?? "";
      else if (block.type === "tool_use") calls.push({ id: str(block.id), name: str(block.name), arguments: JSON.stringify(block.input ?? {}) });
    }
  } else {
    for (const item of list(b.output)) {
      if (item.type === "message") for (const part of list(item.content)) text += part.type === "output_text" ? (str(part.text) ?? "") : "";
      else if (item.type === "function_call") calls.push({ id: str(item.call_id), name: str(item.name), arguments: str(item.arguments) ?? "" });
    }
  }
  const choice: Choice = { index: 0, text };
  if (calls.length) choice.tool_calls = calls;
  return [choice];
}

/** The events of each API that carry text or tool calls; no other event is parsed. */
const CARRIERS: Record<NativeApi, ReadonlySet<string>> = {
  messages: new Set(["content_block_start", "content_block_delta"]),
  responses: new Set(["response.output_text.delta", "response.output_item.added", "response.function_call_arguments.delta"]),
};

/**
 * What a native stream's events add to `capture`, one event at a time (the events are relayed
 * unchanged; this reads them). Tool calls are keyed by their block's index (Messages) or their
 * item's output index (Responses), so arguments reach the call they belong to.
 */
export function nativeStreamContent(api: NativeApi, capture: ContentCapture): (ev: NativeEvent) => void {
  const carriers = CARRIERS[api];
  const fold = api === "messages" ? messagesEvent : responsesEvent;
  capture.streamText(0, ""); // the stream has begun: its one choice exists, empty until text comes
  return (ev) => {
    if (!ev.event || !carriers.has(ev.event)) return;
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return; // the provider's own reading of the stream reports it
    }
    if (isObject(data)) fold(ev.event, data, capture);
  };
}

function messagesEvent(name: string, e: Json, capture: ContentCapture): void {
  const index = typeof e.index === "number" ? e.index : 0;
  if (name === "content_block_start") {
    const block = isObject(e.content_block) ? e.content_block : {};
    if (block.type === "text") capture.streamText(0, str(block.text) ?? "");
    else if (block.type === "tool_use") capture.streamCall(0, index, str(block.id), str(block.name), undefined);
    return;
  }
  const delta = isObject(e.delta) ? e.delta : {};
  if (delta.type === "text_delta") capture.streamText(0, str(delta.text) ?? "");
  else if (delta.type === "input_json_delta") capture.streamArguments(0, index, str(delta.partial_json) ?? "");
}

function responsesEvent(name: string, e: Json, capture: ContentCapture): void {
  const index = typeof e.output_index === "number" ? e.output_index : 0;
  if (name === "response.output_text.delta") capture.streamText(0, str(e.delta) ?? "");
  else if (name === "response.function_call_arguments.delta") capture.streamArguments(0, index, str(e.delta) ?? "");
  else {
    const item = isObject(e.item) ? e.item : {};
    if (item.type === "function_call") capture.streamCall(0, index, str(item.call_id), str(item.name), str(item.arguments));
  }
}

/**
 * OpenAI's Responses API expressed over the canonical chat format, so every provider can serve
 * it: request → chat request, chat completion → response object, chat chunks → response events.
 */
import { GatewayError } from "../core/errors.js";
import type { ChatChunk, ChatCompletion, ChatMessage, ChatRequest, Usage } from "./openai.js";

type Part = { type: string; text?: string; image_url?: string | { url: string }; detail?: string };
type InputItem =
  | { type?: "message"; role: "user" | "assistant" | "system" | "developer"; content: string | Part[] }
  | { type: "function_call"; call_id: string; name: string; arguments: string }
  | { type: "function_call_output"; call_id: string; output: string };

export interface ResponsesRequest {
  model: string;
  input: string | InputItem[];
  instructions?: string;
  tools?: Array<{ type: string; name?: string; description?: string; parameters?: unknown; strict?: boolean }>;
  tool_choice?: unknown;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  stream?: boolean;
  text?: { format?: { type: string; name?: string; schema?: unknown; strict?: boolean } };
  reasoning?: { effort?: string };
  user?: string;
  metadata?: Record<string, string>;
  [k: string]: unknown;
}

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: "completed" | "incomplete";
  incomplete_details: { reason: string } | null;
  model: string;
  output: Array<Record<string, unknown>>;
  output_text: string;
  usage: { input_tokens: number; input_tokens_details: { cached_tokens: number }; output_tokens: number; output_tokens_details: { reasoning_tokens: number }; total_tokens: number };
  [k: string]: unknown;
}

export function toChatRequest(r: ResponsesRequest): ChatRequest {
  if (typeof r.model !== "string" || !r.model) throw new GatewayError("invalid_request", "model is required", { param: "model" });
  const messages: ChatMessage[] = [];
  if (r.instructions) messages.push({ role: "developer", content: r.instructions });
  const items: InputItem[] = typeof r.input === "string" ? [{ role: "user", content: r.input }] : Array.isArray(r.input) ? r.input : [];
  if (!items.length) throw new GatewayError("invalid_request", "input must be a string or a non-empty array of items", { param: "input" });
  for (const item of items) {
    if (item.type === "function_call") {
      messages.push({ role: "assistant", content: null, tool_calls: [{ id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments } }] });
    } else if (item.type === "function_call_output") {
      messages.push({ role: "tool", tool_call_id: item.call_id, content: item.output });
    } else if ("role" in item) {
      const content = typeof item.content === "string" ? item.content : item.content.map(toChatPart);
      messages.push({ role: item.role, content } as ChatMessage);
    } else {
      throw new GatewayError("invalid_request", `unsupported input item type '${(item as { type?: string }).type}'`, { param: "input" });
    }
  }
  const req: ChatRequest = { model: r.model, messages };
  if (r.tools?.length) {
    req.tools = r.tools.map((t) => {
      if (t.type !== "function") throw new GatewayError("invalid_request", `tool type '${t.type}' is not supported through this gateway (function tools only)`, { param: "tools" });
      return { type: "function", function: { name: t.name!, description: t.description, parameters: t.parameters, strict: t.strict } };
    });
  }
  if (r.tool_choice !== undefined)
    req.tool_choice =
      typeof r.tool_choice === "object" && r.tool_choice && "name" in r.tool_choice ? { type: "function", function: { name: (r.tool_choice as { name: string }).name } } : (r.tool_choice as string);
  if (r.max_output_tokens !== undefined) req.max_completion_tokens = r.max_output_tokens;
  if (r.temperature !== undefined) req.temperature = r.temperature;
  if (r.top_p !== undefined) req.top_p = r.top_p;
  if (r.user !== undefined) req.user = r.user;
  if (r.reasoning?.effort) req.reasoning_effort = r.reasoning.effort;
  const f = r.text?.format;
  if (f?.type === "json_object") req.response_format = { type: "json_object" };
  if (f?.type === "json_schema") req.response_format = { type: "json_schema", json_schema: { name: f.name ?? "response", schema: f.schema, strict: f.strict } };
  if (r.stream) req.stream = true;
  return req;
}

function toChatPart(p: Part): Record<string, unknown> {
  if (p.type === "input_text" || p.type === "output_text") return { type: "text", text: p.text ?? "" };
  if (p.type === "input_image") {
    const url = typeof p.image_url === "string" ? p.image_url : p.image_url?.url;
    return { type: "image_url", image_url: { url, ...(p.detail ? { detail: p.detail } : {}) } };
  }
  throw new GatewayError("invalid_request", `unsupported content part type '${p.type}'`, { param: "input" });
}

function usageOf(u: Usage | undefined | null): ResponseObject["usage"] {
  const input = u?.prompt_tokens ?? 0;
  const output = u?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u?.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output,
  };
}

export function fromChatCompletion(c: ChatCompletion, responseId = `resp_${c.id}`): ResponseObject {
  const choice = c.choices[0];
  const output: ResponseObject["output"] = [];
  const text = typeof choice?.message.content === "string" ? choice.message.content : "";
  if (text) output.push(messageItem(`msg_${c.id}`, text));
  for (const tc of choice?.message.tool_calls ?? []) {
    output.push({ type: "function_call", id: `fc_${tc.id}`, call_id: tc.id, name: tc.function.name, arguments: tc.function.arguments, status: "completed" });
  }
  const incomplete = choice?.finish_reason === "length" || choice?.finish_reason === "content_filter";
  return {
    id: responseId,
    object: "response",
    created_at: c.created,
    status: incomplete ? "incomplete" : "completed",
    incomplete_details: incomplete ? { reason: choice?.finish_reason === "length" ? "max_output_tokens" : "content_filter" } : null,
    model: c.model,
    output,
    output_text: text,
    usage: usageOf(c.usage),
  };
}

function messageItem(id: string, text: string) {
  return { type: "message", id, status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] };
}

/** Turns canonical chunks into the Responses API's stream events (each with a `type` and `sequence_number`). */
export async function* toResponseEvents(chunks: AsyncIterable<ChatChunk>, model: string): AsyncGenerator<Record<string, unknown>> {
  let seq = 0;
  const ev = (e: Record<string, unknown>) => ({ ...e, sequence_number: seq++ });
  let id = "";
  let created = Math.floor(Date.now() / 1000);
  let text = "";
  let finish: string | null = null;
  let usage: Usage | undefined;
  const calls = new Map<number, { id: string; name: string; args: string }>();
  let started = false;
  let textOpen = false;
  const msgId = () => `msg_${id}`;
  for await (const c of chunks) {
    if (!started) {
      id = c.id;
      created = c.created;
      started = true;
      yield ev({ type: "response.created", response: shell(`resp_${id}`, created, model, "in_progress") });
    }
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      const delta = ch.delta ?? {};
      if (typeof delta.content === "string" && delta.content) {
        if (!textOpen) {
          textOpen = true;
          yield ev({ type: "response.output_item.added", output_index: 0, item: { type: "message", id: msgId(), status: "in_progress", role: "assistant", content: [] } });
          yield ev({ type: "response.content_part.added", item_id: msgId(), output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
        }
        text += delta.content;
        yield ev({ type: "response.output_text.delta", item_id: msgId(), output_index: 0, content_index: 0, delta: delta.content });
      }
      for (const tc of delta.tool_calls ?? []) {
        const cur = calls.get(tc.index) ?? { id: tc.id ?? `call_${tc.index}`, name: "", args: "" };
        if (tc.function?.name) cur.name = tc.function.name;
        cur.args += tc.function?.arguments ?? "";
        calls.set(tc.index, cur);
      }
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  const completion: ChatCompletion = {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text || null,
          ...(calls.size ? { tool_calls: [...calls.values()].map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.args } })) } : {}),
        },
        finish_reason: finish,
      },
    ],
    usage: usage ?? undefined,
  };
  const final = fromChatCompletion(completion, `resp_${id}`);
  if (textOpen) {
    yield ev({ type: "response.output_text.done", item_id: msgId(), output_index: 0, content_index: 0, text });
    yield ev({ type: "response.content_part.done", item_id: msgId(), output_index: 0, content_index: 0, part: { type: "output_text", text, annotations: [] } });
    yield ev({ type: "response.output_item.done", output_index: 0, item: messageItem(msgId(), text) });
  }
  let index = textOpen ? 1 : 0;
  for (const item of final.output.filter((o) => o.type === "function_call")) {
    yield ev({ type: "response.output_item.added", output_index: index, item: { ...item, status: "in_progress", arguments: "" } });
    yield ev({ type: "response.function_call_arguments.delta", item_id: item.id, output_index: index, delta: item.arguments });
    yield ev({ type: "response.function_call_arguments.done", item_id: item.id, output_index: index, arguments: item.arguments });
    yield ev({ type: "response.output_item.done", output_index: index, item });
    index++;
  }
  yield ev({ type: final.status === "completed" ? "response.completed" : "response.incomplete", response: final });
}

function shell(id: string, created: number, model: string, status: string) {
  return { id, object: "response", created_at: created, status, model, output: [], usage: null };
}

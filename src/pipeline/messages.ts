/**
 * POST /v1/messages (Anthropic's Messages API) through the canonical pipeline: the request is
 * translated to a canonical chat request and runs through `runChat`, so keys, budgets, rate
 * limits, routing to any provider and the ledger are exactly those of chat completions; the
 * answer is translated back into a Message, or into Anthropic's stream event sequence
 * (messages-answer.ts).
 *
 * Rules: nothing is dropped silently (what cannot be carried is refused with a 400 naming it, or
 * reported in the warnings header); tool results come before the rest of a user turn, as
 * Anthropic requires, and become `tool` messages; usage follows Anthropic's split (input tokens
 * exclude cache reads and writes). POST /v1/messages/count_tokens counts with the gateway's
 * tokenizer and never calls an upstream.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../core/errors.js";
import { estimatePromptTokens } from "../core/tokens.js";
import { authorizeModel } from "../policy/auth.js";
import type { ChatMessage, ChatRequest } from "../wire/openai.js";
import { describeIssues } from "../wire/openai.js";
import {
  ANTHROPIC_API_VERSION,
  ANTHROPIC_API_VERSIONS,
  countTokensRequestSchema,
  REMOVED_IN_2026_10_21,
  messagesRequestSchema,
  unknownTopLevelFields,
  type ContentBlockParam,
  type CountTokensRequest,
  type MessageParam,
  type MessagesRequest,
  type ToolChoiceParam,
  type ToolParam,
} from "../wire/anthropic.js";
import type { RequestContext } from "./context.js";

/** Takes one named stream event; a returned promise makes the sender wait (the client is not keeping up). */
export type EventSink = (event: string, data: object) => Promise<void> | void;

const invalid = (message: string, param: string | null = null) => new GatewayError("invalid_request", message, { param });

/** `anthropic-version`: one the gateway speaks, or absent (taken as 2023-06-01); anything else is refused. */
export function checkApiVersion(headers: IncomingHttpHeaders): string {
  const v = headers["anthropic-version"];
  if (v === undefined) return ANTHROPIC_API_VERSION;
  if (typeof v === "string" && ANTHROPIC_API_VERSIONS.includes(v)) return v;
  throw invalid(`anthropic-version ${JSON.stringify(v)} is not supported; this gateway speaks ${ANTHROPIC_API_VERSIONS.join(" and ")}`, "anthropic-version");
}

export function parseMessagesRequest(raw: Record<string, unknown>, version: string = ANTHROPIC_API_VERSION): MessagesRequest {
  refuseUnknown(raw, unknownTopLevelFields(raw, messagesRequestSchema));
  if (version !== ANTHROPIC_API_VERSION) {
    const removed = REMOVED_IN_2026_10_21.filter((k) => raw[k] !== undefined);
    if (removed.length)
      throw invalid(
        `${removed.join(", ")} ${removed.length === 1 ? "is" : "are"} not accepted with anthropic-version ${version}; send anthropic-version ${ANTHROPIC_API_VERSION} to use sampling parameters`,
        removed[0],
      );
  }
  const parsed = messagesRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error);
    throw invalid(`invalid messages request: ${message}`, param);
  }
  return parsed.data;
}

export function parseCountTokensRequest(raw: Record<string, unknown>): CountTokensRequest {
  refuseUnknown(raw, unknownTopLevelFields(raw, countTokensRequestSchema));
  const parsed = countTokensRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error);
    throw invalid(`invalid count_tokens request: ${message}`, param);
  }
  return parsed.data;
}

function refuseUnknown(raw: Record<string, unknown>, unknown: string[]): void {
  if (unknown.length === 0) return;
  const list = unknown.map((k) => JSON.stringify(k)).join(", ");
  throw invalid(`${unknown.length === 1 ? "field" : "fields"} ${list} ${unknown.length === 1 ? "is" : "are"} not supported on /v1/messages by this gateway`, unknown[0]);
}

/**
 * A Messages request as a canonical chat request. `thinking` and `top_k` keep Anthropic's own
 * field names: they are what the Claude adapters read, and other providers are told as given.
 */
export function toChatRequest(req: MessagesRequest, warnings: string[]): ChatRequest {
  const chat: ChatRequest = { model: req.model, messages: chatMessages(req, warnings), max_tokens: req.max_tokens };
  if (req.stream) {
    chat.stream = true;
    // The final message_delta carries usage: the pipeline must relay it (estimated if the provider sends none).
    chat.stream_options = { include_usage: true };
  }
  if (req.temperature !== undefined) chat.temperature = req.temperature;
  if (req.top_p !== undefined) chat.top_p = req.top_p;
  if (req.top_k !== undefined) chat.top_k = req.top_k;
  if (req.stop_sequences?.length) chat.stop = req.stop_sequences;
  if (req.metadata?.user_id) chat.user = req.metadata.user_id;
  if (req.service_tier) chat.service_tier = req.service_tier === "standard_only" ? "default" : "auto";
  // "disabled" is thinking's default everywhere: left out, so no provider is asked about a field it may not know.
  if (req.thinking && req.thinking.type !== "disabled") chat.thinking = req.thinking;
  addTools(chat, req.tools, req.tool_choice);
  return chat;
}

/** `system` and `messages` as canonical messages (shared by /v1/messages and count_tokens). */
function chatMessages(req: Pick<MessagesRequest, "system" | "messages">, warnings: string[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (typeof req.system === "string") {
    if (req.system !== "") out.push({ role: "system", content: req.system });
  } else if (req.system?.length) {
    out.push({ role: "system", content: req.system.map((b) => textPart(b.text, b.cache_control)) });
  }
  req.messages.forEach((m, i) => {
    if (m.role === "user") userTurn(out, m, `messages[${i}]`, warnings);
    else out.push(assistantTurn(m, `messages[${i}]`));
  });
  return out;
}

function textPart(text: string, cache: unknown): Record<string, unknown> & { type: string } {
  return cache ? { type: "text", text, cache_control: cache } : { type: "text", text };
}

/** A user turn: its tool results as `tool` messages (first, as Anthropic orders them), then the rest as one user message. */
function userTurn(out: ChatMessage[], m: MessageParam, at: string, warnings: string[]): void {
  if (typeof m.content === "string") {
    out.push({ role: "user", content: m.content });
    return;
  }
  const parts: Array<Record<string, unknown> & { type: string }> = [];
  m.content.forEach((b, j) => {
    const where = `${at}.content[${j}]`;
    if (b.type === "tool_result") {
      if (b.is_error) warnings.push(`${where}.is_error is not carried to every provider; the result is sent as a plain tool result`);
      const tool: ChatMessage = { role: "tool", tool_call_id: b.tool_use_id, content: toolResultContent(b.content, where) };
      if (b.cache_control) tool.cache_control = b.cache_control;
      out.push(tool);
      return;
    }
    parts.push(userPart(b, where));
  });
  if (parts.length) out.push({ role: "user", content: parts });
}

function toolResultContent(content: Extract<ContentBlockParam, { type: "tool_result" }>["content"], at: string): ChatMessage["content"] {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  const parts = content.map((b, k) => userPart(b, `${at}.content[${k}]`));
  // Text-only results travel as one string: every provider accepts that for a tool message.
  if (parts.every((p) => p.type === "text" && !p.cache_control)) return parts.map((p) => p.text as string).join("\n");
  return parts;
}

function userPart(b: ContentBlockParam, at: string): Record<string, unknown> & { type: string } {
  switch (b.type) {
    case "text":
      // Citations point into documents only Anthropic holds; another provider could not honour them.
      if (Array.isArray(b.citations) && b.citations.length) throw invalid(`${at}.citations: citations on user text blocks are not available through this gateway`, `${at}.citations`);
      return textPart(b.text, b.cache_control);
    case "image": {
      const url = b.source.type === "base64" ? `data:${String(b.source.media_type)};base64,${String(b.source.data)}` : String(b.source.url);
      const part: Record<string, unknown> & { type: string } = { type: "image_url", image_url: { url } };
      if (b.cache_control) part.cache_control = b.cache_control;
      return part;
    }
    case "document":
      return documentPart(b, at);
    default:
      throw invalid(`${at}: a "${b.type}" block is not allowed in a user message`, at);
  }
}

/** PDFs (base64) become file parts; plain-text documents become text. Other sources are refused, not guessed. */
function documentPart(b: Extract<ContentBlockParam, { type: "document" }>, at: string): Record<string, unknown> & { type: string } {
  const src = b.source as { type: string; media_type?: unknown; data?: unknown };
  let part: Record<string, unknown> & { type: string };
  if (src.type === "base64" && src.media_type === "application/pdf" && typeof src.data === "string") {
    const file: Record<string, unknown> = { file_data: `data:application/pdf;base64,${src.data}` };
    if (b.title) file.filename = b.title;
    part = { type: "file", file };
  } else if (src.type === "text" && typeof src.data === "string") {
    part = { type: "text", text: b.title ? `${b.title}\n\n${src.data}` : src.data };
  } else {
    throw invalid(`${at}: documents are accepted as base64 PDFs or plain text; source type "${src.type}" is not available through this gateway`, `${at}.source`);
  }
  if (b.cache_control) part.cache_control = b.cache_control;
  return part;
}

function assistantTurn(m: MessageParam, at: string): ChatMessage {
  if (typeof m.content === "string") return { role: "assistant", content: m.content };
  const text: Array<Record<string, unknown> & { type: string }> = [];
  const toolCalls: NonNullable<ChatMessage["tool_calls"]> = [];
  const thinking: Array<Record<string, unknown>> = [];
  m.content.forEach((b, j) => {
    switch (b.type) {
      case "text":
        text.push(textPart(b.text, b.cache_control));
        return;
      case "tool_use":
        toolCalls.push({ id: b.id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.input) } });
        return;
      // Only signed thinking can be sent back (to Claude); unsigned thinking was never Claude's and is not replayable.
      case "thinking":
        if (b.signature) thinking.push({ type: "thinking", thinking: b.thinking, signature: b.signature });
        return;
      case "redacted_thinking":
        thinking.push({ type: "redacted_thinking", data: b.data });
        return;
      default:
        throw invalid(`${at}.content[${j}]: a "${b.type}" block is not allowed in an assistant message`, `${at}.content[${j}]`);
    }
  });
  const cached = text.some((p) => p.cache_control);
  const msg: ChatMessage = { role: "assistant", content: cached ? text : text.length ? text.map((p) => p.text as string).join("") : toolCalls.length ? null : "" };
  if (toolCalls.length) msg.tool_calls = toolCalls;
  if (thinking.length) msg.thinking_blocks = thinking;
  return msg;
}

function addTools(chat: ChatRequest, tools: ToolParam[] | undefined, choice: ToolChoiceParam | undefined): void {
  if (tools?.length) {
    chat.tools = tools.map((t, i) => {
      if (t.type && t.type !== "custom")
        throw invalid(`tools[${i}]: Anthropic server tools ("${t.type}") are not available through this gateway; define the tool with name and input_schema`, `tools[${i}].type`);
      const fn: Record<string, unknown> = { name: t.name, parameters: t.input_schema };
      if (t.description) fn.description = t.description;
      const out: Record<string, unknown> & { type: string; function: { name: string } } = { type: "function", function: fn as { name: string } };
      if (t.cache_control) out.cache_control = t.cache_control;
      return out;
    });
  }
  if (!choice) return;
  if (choice.type === "none") chat.tool_choice = "none";
  else if (choice.type === "auto") chat.tool_choice = "auto";
  else if (choice.type === "any") chat.tool_choice = "required";
  else chat.tool_choice = { type: "function", function: { name: choice.name } };
  if (choice.type !== "none" && choice.disable_parallel_tool_use && tools?.length) chat.parallel_tool_calls = false;
}

/** count_tokens: the prompt as the canonical request would carry it, counted with the gateway's tokenizer. */
export async function countMessageTokens(ctx: RequestContext, raw: Record<string, unknown>): Promise<{ input_tokens: number }> {
  checkApiVersion(ctx.headers); // count_tokens takes no sampling parameters in any version
  const req = parseCountTokensRequest(raw);
  if (ctx.principal && req.model !== "auto") authorizeModel(ctx.principal, req.model);
  const chat: ChatRequest = { model: req.model, messages: chatMessages(req, ctx.warnings) };
  addTools(chat, req.tools, req.tool_choice);
  return { input_tokens: await estimatePromptTokens(chat.messages, chat.tools) };
}

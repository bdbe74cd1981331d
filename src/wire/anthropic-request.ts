/**
 * Anthropic's Messages API requests as the canonical (OpenAI chat) request: parsing (the
 * versions' rules, the closed top level, a lenient form for native pass-through) and the
 * translation. Pure functions, shared by the gateway's /v1/messages and the library's
 * `messages()`.
 *
 * Rules: nothing is dropped silently (what cannot be carried is refused with a 400 naming it);
 * tool results come before the rest of a user turn, as Anthropic requires, and become `tool`
 * messages; `thinking` and `top_k` keep Anthropic's own field names (what the Claude adapters
 * read; other providers are told as given).
 */
import { GatewayError } from "../core/errors.js";
import type { ChatMessage, ChatRequest } from "./openai.js";
import { describeIssues } from "./openai.js";
import {
  ANTHROPIC_API_VERSION,
  countTokensRequestSchema,
  lenientMessagesRequestSchema,
  REMOVED_IN_2026_10_21,
  messagesRequestSchema,
  unknownTopLevelFields,
  type ContentBlockParam,
  type CountTokensRequest,
  type MessageParam,
  type MessagesRequest,
  type ToolChoiceParam,
  type ToolParam,
} from "./anthropic.js";

/** Set while a lenient translation runs (synchronously, start to end): what cannot be carried is collected here instead of thrown. */
let collecting: GatewayError[] | null = null;

/** What the translation cannot carry: thrown, or collected by a lenient translation (and the part left out). */
function refuse(e: GatewayError): null {
  if (!collecting) throw e;
  collecting.push(e);
  return null;
}

const invalid = (message: string, param: string | null = null) => new GatewayError("invalid_request", message, { param });

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
  const saved = collecting;
  collecting = null;
  try {
    return translate(req, warnings);
  } finally {
    collecting = saved;
  }
}

function translate(req: MessagesRequest, warnings: string[]): ChatRequest {
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
export function chatMessages(req: Pick<MessagesRequest, "system" | "messages">, warnings: string[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (typeof req.system === "string") {
    if (req.system !== "") out.push({ role: "system", content: req.system });
  } else if (req.system?.length) {
    out.push({ role: "system", content: req.system.map((b) => textPart(b.text, b.cache_control)) });
  }
  req.messages.forEach((m, i) => {
    if (m.role === "system") out.push({ role: "system", content: typeof m.content === "string" ? m.content : m.content.map((b) => textPart(b.text, b.cache_control)) });
    else if (m.role === "user") userTurn(out, m, `messages[${i}]`, warnings);
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
    const part = userPart(b, where);
    if (part) parts.push(part);
  });
  if (parts.length) out.push({ role: "user", content: parts });
}

function toolResultContent(content: Extract<ContentBlockParam, { type: "tool_result" }>["content"], at: string): ChatMessage["content"] {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  const parts = content.map((b, k) => userPart(b, `${at}.content[${k}]`)).filter((p) => p !== null);
  // Text-only results travel as one string: every provider accepts that for a tool message.
  if (parts.every((p) => p.type === "text" && !p.cache_control)) return parts.map((p) => p.text as string).join("\n");
  return parts;
}

function userPart(b: ContentBlockParam, at: string): (Record<string, unknown> & { type: string }) | null {
  switch (b.type) {
    case "text":
      // Citations point into documents only Anthropic holds; another provider could not honour them.
      if (Array.isArray(b.citations) && b.citations.length) return refuse(invalid(`${at}.citations: citations on user text blocks are not available through this gateway`, `${at}.citations`));
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
      return refuse(invalid(`${at}: a "${(b as { type: string }).type}" block is not allowed in a user message`, at));
  }
}

/** PDFs (base64) become file parts; plain-text documents become text. Other sources are refused, not guessed. */
function documentPart(b: Extract<ContentBlockParam, { type: "document" }>, at: string): (Record<string, unknown> & { type: string }) | null {
  const src = b.source as { type: string; media_type?: unknown; data?: unknown };
  let part: Record<string, unknown> & { type: string };
  if (src.type === "base64" && src.media_type === "application/pdf" && typeof src.data === "string") {
    const file: Record<string, unknown> = { file_data: `data:application/pdf;base64,${src.data}` };
    if (b.title) file.filename = b.title;
    part = { type: "file", file };
  } else if (src.type === "text" && typeof src.data === "string") {
    part = { type: "text", text: b.title ? `${b.title}\n\n${src.data}` : src.data };
  } else {
    return refuse(invalid(`${at}: documents are accepted as base64 PDFs or plain text; source type "${src.type}" is not available through this gateway`, `${at}.source`));
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
        refuse(invalid(`${at}.content[${j}]: a "${(b as { type: string }).type}" block is not allowed in an assistant message`, `${at}.content[${j}]`));
    }
  });
  const cached = text.some((p) => p.cache_control);
  const msg: ChatMessage = { role: "assistant", content: cached ? text : text.length ? text.map((p) => p.text as string).join("") : toolCalls.length ? null : "" };
  if (toolCalls.length) msg.tool_calls = toolCalls;
  if (thinking.length) msg.thinking_blocks = thinking;
  return msg;
}

export function addTools(chat: ChatRequest, tools: ToolParam[] | undefined, choice: ToolChoiceParam | undefined): void {
  if (tools?.length) {
    chat.tools = [];
    tools.forEach((t, i) => {
      if ((t.type && t.type !== "custom") || !t.input_schema) {
        refuse(invalid(`tools[${i}]: Anthropic server tools ("${t.type}") are not available through this gateway; define the tool with name and input_schema`, `tools[${i}].type`));
        return;
      }
      const fn: Record<string, unknown> = { name: t.name, parameters: t.input_schema };
      if (t.description) fn.description = t.description;
      const out: Record<string, unknown> & { type: string; function: { name: string } } = { type: "function", function: fn as { name: string } };
      if (t.cache_control) out.cache_control = t.cache_control;
      chat.tools!.push(out);
    });
    if (chat.tools.length === 0) delete chat.tools;
  }
  if (!choice) return;
  if (choice.type === "none") chat.tool_choice = "none";
  else if (choice.type === "auto") chat.tool_choice = "auto";
  else if (choice.type === "any") chat.tool_choice = "required";
  else chat.tool_choice = { type: "function", function: { name: choice.name } };
  if (choice.type !== "none" && choice.disable_parallel_tool_use && tools?.length) chat.parallel_tool_calls = false;
}

/** A Messages request as parsed for the gateway: its canonical form, and what that form cannot carry. */
export interface PreparedMessages {
  req: MessagesRequest;
  /** The canonical request (routing, limits and budgets read it; translated attempts send it). */
  chat: ChatRequest;
  /** Why the canonical form cannot carry the request as sent (null: it can); only native pass-through can serve it then. */
  untranslatable: GatewayError | null;
  /** Warnings of the translation, for attempts that take it. */
  translationWarnings: string[];
}

/**
 * Parses a Messages request and translates it. A request the translation cannot carry (a field
 * the gateway does not know, a server tool, a block type or source it cannot translate) is still
 * accepted when it is otherwise well formed: its canonical form leaves those parts out, and
 * `untranslatable` says why, for deployments that do not speak the API themselves.
 */
export function prepareMessagesRequest(raw: Record<string, unknown>, version: string = ANTHROPIC_API_VERSION): PreparedMessages {
  let strictError: GatewayError | null = null;
  let req: MessagesRequest;
  try {
    req = parseMessagesRequest(raw, version);
  } catch (e) {
    if (!(e instanceof GatewayError) || e.code !== "invalid_request") throw e;
    const lenient = lenientMessagesRequestSchema.safeParse(raw);
    if (!lenient.success) throw e;
    if (version !== ANTHROPIC_API_VERSION && REMOVED_IN_2026_10_21.some((k) => raw[k] !== undefined)) throw e;
    strictError = e;
    req = lenient.data as MessagesRequest;
  }
  const translationWarnings: string[] = [];
  const problems: GatewayError[] = [];
  collecting = problems;
  try {
    const chat = translate(req, translationWarnings);
    return { req, chat, untranslatable: problems[0] ?? strictError, translationWarnings };
  } finally {
    collecting = null;
  }
}

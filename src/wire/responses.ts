/**
 * OpenAI's Responses API, request side, expressed over the canonical chat format so every
 * provider can serve it: the request's schema (what the gateway accepts, every array bounded)
 * and its translation into a chat request. The answer side (Response object, stream events) is
 * responses-answer.ts. Shared by the gateway's POST /v1/responses and the library's responses().
 */
import { z } from "zod";
import { GatewayError } from "../core/errors.js";
import type { ChatMessage, ChatRequest } from "./openai.js";
import { describeIssues } from "./openai.js";

/** Bounds of what one request may carry (OpenAI's own where it has one: 128 tools, 16 metadata pairs). */
export const RESPONSES_LIMITS = { inputItems: 2048, contentParts: 256, tools: 128, metadataPairs: 16, metadataKey: 64, metadataValue: 512, summaryParts: 64 } as const;

const invalid = (message: string, param: string | null = null) => new GatewayError("invalid_request", message, { param });

const textPart = z.looseObject({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const refusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });
const imagePart = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().nullable().optional(),
  file_id: z.string().nullable().optional(),
  detail: z.enum(["low", "high", "auto"]).optional(),
});
const otherPart = z.looseObject({ type: z.string() });
const contentPart = z.union([textPart, refusalPart, imagePart, otherPart]);

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  id: z.string().optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart).max(RESPONSES_LIMITS.contentParts)]),
  status: z.string().optional(),
});
const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.string().optional(),
});
const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  id: z.string().nullable().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPart).max(RESPONSES_LIMITS.contentParts)]),
  status: z.string().nullable().optional(),
});
const reasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().optional(),
  summary: z.array(z.looseObject({ type: z.string(), text: z.string() })).max(RESPONSES_LIMITS.summaryParts),
  content: z
    .array(z.looseObject({ type: z.string(), text: z.string() }))
    .max(RESPONSES_LIMITS.summaryParts)
    .nullable()
    .optional(),
  encrypted_content: z.string().nullable().optional(),
  status: z.string().optional(),
});
const otherItem = z.looseObject({ type: z.string() });
const inputItem = z.union([messageItem, functionCallItem, functionCallOutputItem, reasoningItem, otherItem]);

const functionTool = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().nullable().optional(),
  parameters: z.unknown().optional(),
  strict: z.boolean().nullable().optional(),
});

const metadata = z
  .record(z.string().max(RESPONSES_LIMITS.metadataKey), z.string().max(RESPONSES_LIMITS.metadataValue))
  .refine((m) => Object.keys(m).length <= RESPONSES_LIMITS.metadataPairs, { message: `at most ${RESPONSES_LIMITS.metadataPairs} key-value pairs` });

export const responsesRequestSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItem).max(RESPONSES_LIMITS.inputItems)]),
  instructions: z.string().nullable().optional(),
  tools: z.array(functionTool).max(RESPONSES_LIMITS.tools).optional(),
  tool_choice: z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string(), name: z.string().optional() })]).optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z
    .looseObject({
      format: z
        .looseObject({
          type: z.enum(["text", "json_object", "json_schema"]),
          name: z.string().optional(),
          schema: z.unknown().optional(),
          strict: z.boolean().nullable().optional(),
          description: z.string().optional(),
        })
        .optional(),
      verbosity: z.enum(["low", "medium", "high"]).nullable().optional(),
    })
    .optional(),
  reasoning: z
    .looseObject({ effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullable().optional(), summary: z.string().nullable().optional() })
    .nullable()
    .optional(),
  max_output_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  metadata: metadata.nullable().optional(),
  user: z.string().max(512).optional(),
  store: z.boolean().nullable().optional(),
  previous_response_id: z.string().min(1).max(256).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  background: z.boolean().nullable().optional(),
  include: z.array(z.string()).max(16).nullable().optional(),
  truncation: z.enum(["auto", "disabled"]).nullable().optional(),
  service_tier: z.enum(["auto", "default", "flex", "scale", "priority"]).nullable().optional(),
});

type Part = { type: string; text?: string; refusal?: string; image_url?: string | null | { url: string }; file_id?: string | null; detail?: string };
export type InputItem =
  | { type?: "message"; id?: string; role: "user" | "assistant" | "system" | "developer"; content: string | Part[]; status?: string }
  | { type: "function_call"; id?: string; call_id: string; name: string; arguments: string; status?: string }
  | { type: "function_call_output"; id?: string | null; call_id: string; output: string | Part[]; status?: string | null }
  | { type: "reasoning"; id?: string; summary: Array<{ type: string; text: string }>; content?: Array<{ type: string; text: string }> | null; encrypted_content?: string | null };

export interface ResponsesRequest {
  model: string;
  input: string | InputItem[];
  instructions?: string | null;
  tools?: Array<{ type: string; name?: string; description?: string | null; parameters?: unknown; strict?: boolean | null }>;
  tool_choice?: unknown;
  parallel_tool_calls?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stream?: boolean | null;
  text?: { format?: { type: string; name?: string; schema?: unknown; strict?: boolean | null; description?: string }; verbosity?: string | null };
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  user?: string;
  metadata?: Record<string, string> | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  include?: string[] | null;
  service_tier?: string | null;
  [k: string]: unknown;
}

/** What `include` may ask for: reasoning items then carry the provider's signature in `encrypted_content`. */
export const INCLUDE_ENCRYPTED_REASONING = "reasoning.encrypted_content";

/**
 * Validates a POST /v1/responses body. Fields this gateway does not carry are refused with a 400
 * naming them, never dropped: unknown top-level fields, built-in (non-function) tools,
 * `background: true`, `truncation: "auto"`, `include` values other than reasoning's encrypted
 * content, and input items or parts that only OpenAI's own servers can resolve.
 */
export function parseResponsesRequest(raw: Record<string, unknown>): ResponsesRequest {
  const unknown = Object.keys(raw).filter((k) => !(k in responsesRequestSchema.shape) && !k.startsWith("x-"));
  if (unknown.length)
    throw invalid(
      `${unknown.length === 1 ? "field" : "fields"} ${unknown.map((k) => JSON.stringify(k)).join(", ")} ${unknown.length === 1 ? "is" : "are"} not supported on /v1/responses by this gateway`,
      unknown[0],
    );
  const known: Record<string, unknown> = {};
  for (const k of Object.keys(raw)) if (!k.startsWith("x-")) known[k] = raw[k];
  const parsed = responsesRequestSchema.safeParse(known);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error);
    throw invalid(`invalid responses request: ${message}`, param);
  }
  const r = parsed.data as ResponsesRequest;
  if (r.background === true) throw invalid("background: true is not available through this gateway; send the request without it (the answer comes on this connection)", "background");
  if (r.truncation === "auto") throw invalid('truncation: "auto" is not available through this gateway; the conversation is sent whole ("disabled")', "truncation");
  for (const inc of r.include ?? [])
    if (inc !== INCLUDE_ENCRYPTED_REASONING) throw invalid(`include: "${inc}" is not available through this gateway (only "${INCLUDE_ENCRYPTED_REASONING}")`, "include");
  if (r.service_tier && r.service_tier !== "auto" && r.service_tier !== "default")
    throw invalid(`service_tier "${r.service_tier}" is not available through this gateway ("auto" or "default")`, "service_tier");
  return r;
}

export interface TranslateOptions {
  /** Items of the conversation before this request (a previous response's input and output). */
  history?: InputItem[];
  /** Told what could not be carried exactly. */
  warnings?: string[];
}

/** The request's own input as items: a string is one user message. */
export function inputItems(r: Pick<ResponsesRequest, "input">): InputItem[] {
  if (typeof r.input === "string") return [{ type: "message", role: "user", content: r.input }];
  if (Array.isArray(r.input)) return r.input;
  throw invalid("input must be a string or an array of items", "input");
}

export function toChatRequest(r: ResponsesRequest, opts: TranslateOptions = {}): ChatRequest {
  if (typeof r.model !== "string" || !r.model) throw invalid("model is required", "model");
  const messages: ChatMessage[] = [];
  if (r.instructions) messages.push({ role: "developer", content: r.instructions });
  const own = inputItems(r);
  const items = opts.history?.length ? [...opts.history, ...own] : own;
  if (!items.length) throw invalid("input must be a string or a non-empty array of items", "input");
  appendItems(messages, items, opts.history?.length ?? 0, opts.warnings ?? []);
  const req: ChatRequest = { model: r.model, messages };
  if (r.tools?.length) {
    req.tools = r.tools.map((t, i) => {
      if (t.type !== "function") throw invalid(`tools[${i}]: built-in tool "${t.type}" is not available through this gateway (function tools only)`, `tools[${i}].type`);
      if (!t.name) throw invalid(`tools[${i}].name is required`, `tools[${i}].name`);
      const fn: Record<string, unknown> = { name: t.name };
      if (t.description) fn.description = t.description;
      if (t.parameters !== undefined) fn.parameters = t.parameters;
      if (typeof t.strict === "boolean") fn.strict = t.strict;
      return { type: "function", function: fn as { name: string } };
    });
  }
  if (r.tool_choice !== undefined) req.tool_choice = toolChoice(r.tool_choice);
  if (typeof r.parallel_tool_calls === "boolean" && r.tools?.length) req.parallel_tool_calls = r.parallel_tool_calls;
  if (typeof r.max_output_tokens === "number") req.max_completion_tokens = r.max_output_tokens;
  if (typeof r.temperature === "number") req.temperature = r.temperature;
  if (typeof r.top_p === "number") req.top_p = r.top_p;
  if (r.user !== undefined) req.user = r.user;
  if (r.reasoning?.effort) req.reasoning_effort = r.reasoning.effort;
  if (r.text?.verbosity) req.verbosity = r.text.verbosity;
  if (typeof r.service_tier === "string") req.service_tier = r.service_tier;
  const f = r.text?.format;
  if (f?.type === "json_object") req.response_format = { type: "json_object" };
  if (f?.type === "json_schema") {
    if (!f.name) throw invalid("text.format.name is required for json_schema", "text.format.name");
    const schema: Record<string, unknown> = { name: f.name, schema: f.schema };
    if (typeof f.strict === "boolean") schema.strict = f.strict;
    if (f.description) schema.description = f.description;
    req.response_format = { type: "json_schema", json_schema: schema };
  }
  if (r.stream) req.stream = true;
  return req;
}

function toolChoice(c: unknown): ChatRequest["tool_choice"] {
  if (typeof c === "string") return c;
  const o = c as { type?: string; name?: string };
  if (o?.type === "function" && o.name) return { type: "function", function: { name: o.name } };
  throw invalid(`tool_choice ${JSON.stringify(o?.type)} is not available through this gateway ("none", "auto", "required" or a function)`, "tool_choice");
}

/**
 * Items → canonical messages. An assistant message followed by function calls (as a response's
 * output lists them) becomes one assistant message with its tool calls, as every provider wants
 * them; a signed reasoning item goes with the assistant turn after it as a thinking block.
 */
function appendItems(out: ChatMessage[], items: InputItem[], historyLength: number, warnings: string[]): void {
  let assistant: ChatMessage | undefined;
  let thinking: Array<Record<string, unknown>> = [];
  const openAssistant = (): ChatMessage => {
    if (!assistant) {
      assistant = { role: "assistant", content: null };
      out.push(assistant);
    }
    if (thinking.length) {
      assistant.thinking_blocks = [...((assistant.thinking_blocks as Array<Record<string, unknown>> | undefined) ?? []), ...thinking];
      thinking = [];
    }
    return assistant;
  };
  items.forEach((item, n) => {
    const at = n < historyLength ? `previous_response_id (item ${n})` : `input[${n - historyLength}]`;
    const type = item.type ?? "message";
    if (type === "function_call") {
      const fc = item as Extract<InputItem, { type: "function_call" }>;
      const msg = openAssistant();
      msg.tool_calls = [...(msg.tool_calls ?? []), { id: fc.call_id, type: "function", function: { name: fc.name, arguments: fc.arguments } }];
      return;
    }
    if (type === "reasoning") {
      const rs = item as Extract<InputItem, { type: "reasoning" }>;
      const text = (rs.content?.length ? rs.content : rs.summary).map((p) => p.text).join("");
      if (rs.encrypted_content) thinking.push({ type: "thinking", thinking: text, signature: rs.encrypted_content });
      else warnings.push(`${at}: a reasoning item without encrypted_content cannot be replayed to a model; it was left out`);
      return;
    }
    if (type === "function_call_output") {
      const o = item as Extract<InputItem, { type: "function_call_output" }>;
      assistant = undefined;
      out.push({ role: "tool", tool_call_id: o.call_id, content: typeof o.output === "string" ? o.output : joinText(o.output, `${at}.output`) });
      return;
    }
    if (type !== "message") throw invalid(`${at}: input item type "${String(item.type)}" is not available through this gateway`, at);
    const m = item as Extract<InputItem, { role: string }>;
    if (m.role === "assistant") {
      if (assistant && (assistant.content !== null || assistant.tool_calls)) assistant = undefined;
      const msg = openAssistant();
      msg.content = typeof m.content === "string" ? m.content : joinText(m.content, `${at}.content`);
      return;
    }
    assistant = undefined;
    const content = typeof m.content === "string" ? m.content : m.content.map((p, j) => toChatPart(p, `${at}.content[${j}]`));
    out.push({ role: m.role, content });
  });
  if (thinking.length) warnings.push("reasoning items at the end of the input, with no assistant turn after them, were left out");
}

/** Text parts (and refusals) as one string: what an assistant turn or a tool output carries to every provider. */
function joinText(parts: Part[], at: string): string {
  return parts
    .map((p, j) => {
      if (p.type === "input_text" || p.type === "output_text") return p.text ?? "";
      if (p.type === "refusal") return p.refusal ?? "";
      throw invalid(`${at}[${j}]: a "${p.type}" part is not available here through this gateway (text only)`, `${at}[${j}]`);
    })
    .join("");
}

function toChatPart(p: Part, at: string): Record<string, unknown> & { type: string } {
  if (p.type === "input_text" || p.type === "output_text") return { type: "text", text: p.text ?? "" };
  if (p.type === "input_image") {
    const url = typeof p.image_url === "string" ? p.image_url : p.image_url?.url;
    if (!url) throw invalid(`${at}: images are accepted by image_url (a URL or a data: URL); file_id refers to OpenAI's file store, not available through this gateway`, at);
    return { type: "image_url", image_url: { url, ...(p.detail ? { detail: p.detail } : {}) } };
  }
  throw invalid(`${at}: content part type "${p.type}" is not available through this gateway`, at);
}

/**
 * The request's settings as a Response repeats them, with OpenAI's defaults where the request
 * left one out. `store` is the gateway's decision (it defaults to true, as OpenAI's does).
 */
export function responseEcho(r: ResponsesRequest, store: boolean): Record<string, unknown> {
  const f = r.text?.format;
  const format =
    !f || f.type === "text"
      ? { type: "text" }
      : f.type === "json_object"
        ? { type: "json_object" }
        : { type: "json_schema", name: f.name, schema: f.schema, strict: f.strict ?? null, ...(f.description ? { description: f.description } : {}) };
  return {
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    metadata: r.metadata ?? {},
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: r.reasoning?.summary ?? null },
    service_tier: r.service_tier ?? "auto",
    store,
    temperature: r.temperature ?? 1,
    text: { format, verbosity: r.text?.verbosity ?? "medium" },
    tool_choice: r.tool_choice ?? "auto",
    tools: (r.tools ?? []).map((t) => ({ type: t.type, name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? true })),
    top_p: r.top_p ?? 1,
    truncation: "disabled",
    user: r.user ?? null,
  };
}

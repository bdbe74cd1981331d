/**
 * Canonical (OpenAI) requests → Cohere v2 `/v2/chat` and `/v2/embed` requests. Everything Cohere
 * cannot honour as given is reported in `warnings`; content Cohere cannot take at all is a 400.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatMessage, ChatRequest, EmbeddingsRequest } from "../../wire/openai.js";
import type { UpstreamRequest } from "../types.js";
import type { CohereChatRequest, CohereContentPart, CohereMessage, CohereTool, CohereToolCall, CohereEmbedRequest } from "./native.js";

export interface CohereWireOptions {
  /** `input_type` for /v2/embed when the request names none (Cohere requires one for v3+ models). */
  embeddingInputType: string;
}

/** Request keys this file translates (or, for stream/stream_options, the gateway handles). */
const HANDLED = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "n",
  "stop",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "response_format",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "reasoning_effort",
]);

/** Cohere-only fields a client may send through the gateway; they go upstream as given. */
const NATIVE = ["documents", "citation_options", "safety_mode", "priority", "thinking"] as const;

const P_MIN = 0.01;
const P_MAX = 0.99;

type Warn = (message: string) => void;

export function chatRequest(req: ChatRequest, stream: boolean): UpstreamRequest {
  const warnings: string[] = [];
  const warn: Warn = (m) => {
    if (!warnings.includes(m)) warnings.push(m);
  };
  const body: CohereChatRequest = { model: req.model, messages: req.messages.map((m, i) => toMessage(m, i, warn)) };
  if (stream) body.stream = true;

  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) body.max_tokens = maxTokens;
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) {
    body.p = Math.min(P_MAX, Math.max(P_MIN, req.top_p));
    if (body.p !== req.top_p) warn(`top_p ${req.top_p} is outside cohere's range ${P_MIN}–${P_MAX}; sent p=${body.p}`);
  }
  if (typeof req.top_k === "number") body.k = req.top_k;
  if (req.n != null && req.n > 1) warn(`n=${req.n} is not supported by cohere; one choice is returned`);
  if (req.stop != null) body.stop_sequences = typeof req.stop === "string" ? [req.stop] : [...req.stop];
  if (typeof req.seed === "number") body.seed = req.seed;
  if (typeof req.frequency_penalty === "number") body.frequency_penalty = req.frequency_penalty;
  if (typeof req.presence_penalty === "number") body.presence_penalty = req.presence_penalty;
  responseFormat(req, body, warn);
  tools(req, body, warn);
  const effort = req.reasoning_effort;
  if (effort === "none") body.thinking = { type: "disabled" };
  else if (typeof effort === "string") {
    body.thinking = { type: "enabled" };
    warn(`reasoning_effort ${effort} has no cohere equivalent; sent thinking enabled with cohere's default budget`);
  }

  const extra = req as Record<string, unknown>;
  for (const key of NATIVE) if (extra[key] != null) (body as unknown as Record<string, unknown>)[key] = extra[key];
  for (const key of Object.keys(req)) {
    if (!HANDLED.has(key) && !(NATIVE as readonly string[]).includes(key) && extra[key] != null) warn(`${key} is not supported by cohere; ignored`);
  }
  return { path: "/v2/chat", headers: {}, body, warnings };
}

function invalid(message: string, param: string): never {
  throw new GatewayError("invalid_request", message, { param });
}

type Part = { type: string; text?: string; refusal?: string; image_url?: { url?: string; detail?: string } };

/** The text of string content or of text (and refusal) parts; other parts are a 400. */
function textOf(content: ChatMessage["content"], param: string): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return (content as Part[])
    .map((p) => {
      if (p.type === "text") return p.text ?? "";
      if (p.type === "refusal") return p.refusal ?? "";
      return invalid(`content part type "${p.type}" is not supported by cohere in this message`, param);
    })
    .join("");
}

function userContent(content: ChatMessage["content"], param: string): string | CohereContentPart[] {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return (content as Part[]).map((p): CohereContentPart => {
    if (p.type === "text") return { type: "text", text: p.text ?? "" };
    if (p.type === "image_url" && typeof p.image_url?.url === "string") {
      const detail = p.image_url.detail;
      return { type: "image_url", image_url: detail === "auto" || detail === "low" || detail === "high" ? { url: p.image_url.url, detail } : { url: p.image_url.url } };
    }
    return invalid(`content part type "${p.type}" is not supported by cohere`, param);
  });
}

function toMessage(m: ChatMessage, i: number, warn: Warn): CohereMessage {
  const param = `messages[${i}]`;
  if (m.name !== undefined) warn("message name is not supported by cohere; ignored");
  switch (m.role) {
    case "system":
    case "developer":
      return { role: "system", content: textOf(m.content, `${param}.content`) };
    case "user":
      return { role: "user", content: userContent(m.content, `${param}.content`) };
    case "assistant": {
      if ((m as Record<string, unknown>).function_call != null) invalid("function_call is not supported by cohere; use tool_calls", `${param}.function_call`);
      const text = textOf(m.content, `${param}.content`);
      if (!m.tool_calls?.length) return { role: "assistant", content: text };
      const toolCalls: CohereToolCall[] = m.tool_calls.map((tc) => ({ id: tc.id, type: "function", function: { name: tc.function.name, arguments: tc.function.arguments } }));
      // Cohere pairs tool calls with a tool plan, not with content.
      return text ? { role: "assistant", tool_calls: toolCalls, tool_plan: text } : { role: "assistant", tool_calls: toolCalls };
    }
    case "tool":
      if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") invalid("tool messages need a tool_call_id", `${param}.tool_call_id`);
      return { role: "tool", tool_call_id: m.tool_call_id, content: textOf(m.content, `${param}.content`) };
    default:
      return invalid(`role "${m.role}" is not supported by cohere; use tool messages`, `${param}.role`);
  }
}

function responseFormat(req: ChatRequest, body: CohereChatRequest, warn: Warn) {
  const rf = req.response_format as { type: string; json_schema?: { schema?: Record<string, unknown> } } | undefined;
  if (!rf || rf.type === "text") return;
  if (rf.type === "json_object") body.response_format = { type: "json_object" };
  else if (rf.type === "json_schema") body.response_format = rf.json_schema?.schema ? { type: "json_object", json_schema: rf.json_schema.schema } : { type: "json_object" };
  else warn(`response_format type ${rf.type} is not supported by cohere; ignored`);
}

type OpenAITool = { type: string; function?: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null } };

function tools(req: ChatRequest, body: CohereChatRequest, warn: Warn) {
  let list: CohereTool[] = [];
  for (const t of (req.tools ?? []) as OpenAITool[]) {
    if (t.type !== "function" || !t.function) {
      warn(`tool type ${t.type} is not supported by cohere; ignored`);
      continue;
    }
    const fn = t.function;
    list.push({ type: "function", function: { name: fn.name, ...(fn.description ? { description: fn.description } : {}), parameters: fn.parameters ?? { type: "object", properties: {} } } });
    if (fn.strict === true) body.strict_tools = true;
  }
  const choice: string | { type: string; function?: { name?: string } } | undefined = req.tool_choice;
  if (choice === "none") body.tool_choice = "NONE";
  else if (choice === "required") body.tool_choice = "REQUIRED";
  else if (typeof choice === "object" && choice.type === "function" && choice.function?.name) {
    // Cohere cannot name the tool to call: offer only that tool and require a call.
    const name = choice.function.name;
    warn(`tool_choice naming a function is not supported by cohere; sent only tool ${name} with tool_choice REQUIRED`);
    list = list.filter((t) => t.function.name === name);
    body.tool_choice = "REQUIRED";
  } else if (choice !== undefined && choice !== "auto") warn(`tool_choice ${JSON.stringify(choice)} is not supported by cohere; ignored`);
  if (req.parallel_tool_calls === false) warn("parallel_tool_calls=false is not supported by cohere; the model may call several tools");
  if (list.length) body.tools = list;
}

export function embeddingsRequest(req: EmbeddingsRequest, o: CohereWireOptions): UpstreamRequest {
  const warnings: string[] = [];
  const input = req.input;
  const texts = typeof input === "string" ? [input] : (input as unknown[]);
  if (texts.some((t) => typeof t !== "string")) invalid("token arrays are not supported by cohere embeddings; send text", "input");
  const inputType = (req as Record<string, unknown>).input_type;
  const body: CohereEmbedRequest = {
    model: req.model,
    texts: texts as string[],
    input_type: typeof inputType === "string" ? inputType : o.embeddingInputType,
    embedding_types: ["float"],
  };
  if (req.dimensions != null) body.output_dimension = req.dimensions;
  if (req.user != null) warnings.push("user is not supported by cohere; ignored");
  return { path: "/v2/embed", headers: {}, body, warnings };
}

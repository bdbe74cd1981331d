/**
 * A fake Cohere API v2 upstream: plain node:http on 127.0.0.1 speaking `/v2/chat` (JSON and the
 * SSE event stream) and `/v2/embed`, with Cohere's error bodies (`{"id", "message"}`). It rejects
 * what Cohere rejects: a missing or wrong bearer token, unknown request fields (OpenAI names such
 * as top_p or stop), unknown roles, malformed content, tools and tool messages.
 *
 *   const co = await startFakeCohere({ apiKey: "k" });  // co.url = host root
 *   co.enqueue({ text: "héllo", splitBytes: true });
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { RecordedUpstreamCall, Scenario } from "../conformance/types.js";
import { fakeEmbedding } from "./fake-openai.js";
import { sendJson, startFakeServer, writeSplit, type FakeRequest } from "./fake-server.js";

export interface FakeCohere {
  url: string;
  calls: RecordedUpstreamCall[];
  enqueue(s: Scenario): void;
  reset(): void;
  close(): Promise<void>;
}

const CHAT_FIELDS = new Set([
  "model",
  "messages",
  "stream",
  "tools",
  "strict_tools",
  "documents",
  "citation_options",
  "response_format",
  "safety_mode",
  "max_tokens",
  "stop_sequences",
  "temperature",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "k",
  "p",
  "logprobs",
  "tool_choice",
  "thinking",
  "priority",
]);
const EMBED_FIELDS = new Set(["model", "texts", "images", "inputs", "input_type", "embedding_types", "output_dimension", "max_tokens", "truncate", "priority"]);
const INPUT_TYPES = new Set(["search_document", "search_query", "classification", "clustering", "image"]);
const EMBEDDING_TYPES = new Set(["float", "int8", "uint8", "binary", "ubinary", "base64"]);
const FINISH: Record<string, string> = { stop: "COMPLETE", length: "MAX_TOKENS", tool_calls: "TOOL_CALL", content_filter: "CONTENT_BLOCKED" };

export const cohereError = (message: string) => ({ id: randomUUID(), message });

const isTextItems = (c: unknown) => Array.isArray(c) && c.every((p: any) => p?.type === "text" && typeof p.text === "string");

function contentProblem(m: any, at: string): string | undefined {
  switch (m.role) {
    case "system":
      return typeof m.content === "string" || isTextItems(m.content) ? undefined : `${at}.content must be a string or a list of text content`;
    case "user": {
      if (typeof m.content === "string") return undefined;
      if (!Array.isArray(m.content)) return `${at}.content is required`;
      for (const p of m.content) {
        if (p?.type === "text" && typeof p.text === "string") continue;
        if (p?.type === "image_url" && typeof p.image_url?.url === "string" && [undefined, "auto", "low", "high"].includes(p.image_url.detail)) continue;
        if (p?.type === "document" && p.document?.data !== undefined) continue;
        return `${at}.content: unsupported content type ${JSON.stringify(p?.type)}`;
      }
      return undefined;
    }
    case "assistant": {
      if (m.content !== undefined && typeof m.content !== "string" && !isTextItems(m.content)) return `${at}.content must be a string or a list of text content`;
      if (m.tool_plan !== undefined && typeof m.tool_plan !== "string") return `${at}.tool_plan must be a string`;
      if (m.tool_calls !== undefined) {
        if (!Array.isArray(m.tool_calls)) return `${at}.tool_calls must be a list`;
        for (const tc of m.tool_calls) {
          if (typeof tc?.id !== "string" || tc.type !== "function" || typeof tc.function?.name !== "string" || typeof tc.function?.arguments !== "string") {
            return `${at}.tool_calls: each tool call needs id, type "function" and function {name, arguments}`;
          }
        }
      }
      if (m.content === undefined && !m.tool_calls?.length) return `${at}: assistant messages need content or tool_calls`;
      return undefined;
    }
    case "tool":
      if (typeof m.tool_call_id !== "string") return `${at}.tool_call_id is required`;
      if (typeof m.content === "string") return undefined;
      if (Array.isArray(m.content) && m.content.every((p: any) => (p?.type === "text" && typeof p.text === "string") || (p?.type === "document" && p.document?.data !== undefined))) return undefined;
      return `${at}.content must be a string or a list of text or document content`;
    default:
      return `${at}.role must be one of system, user, assistant, tool`;
  }
}

/** The message Cohere's validation would answer with, or undefined when the request is fine. */
export function chatRequestProblem(b: any): string | undefined {
  for (const k of Object.keys(b)) if (!CHAT_FIELDS.has(k)) return `invalid request: unknown field: parameter ${k} is not a valid field`;
  if (typeof b.model !== "string" || b.model === "") return "invalid request: model is required";
  if (!Array.isArray(b.messages) || b.messages.length === 0) return "invalid request: messages is required and must not be empty";
  for (const [i, m] of b.messages.entries()) {
    const p = contentProblem(m ?? {}, `messages[${i}]`);
    if (p) return `invalid request: ${p}`;
  }
  if (b.tools !== undefined) {
    if (!Array.isArray(b.tools)) return "invalid request: tools must be a list";
    for (const t of b.tools) {
      if (t?.type !== "function" || typeof t.function?.name !== "string" || (t.function.parameters !== undefined && typeof t.function.parameters !== "object")) {
        return 'invalid request: each tool needs type "function" and function {name, description, parameters}';
      }
    }
  }
  if (b.tool_choice !== undefined && !["REQUIRED", "NONE"].includes(b.tool_choice)) return "invalid request: tool_choice must be one of REQUIRED, NONE";
  if (b.p !== undefined && !(typeof b.p === "number" && b.p >= 0.01 && b.p <= 0.99)) return "invalid request: p must be between 0.01 and 0.99";
  if (b.k !== undefined && !(Number.isInteger(b.k) && b.k >= 0 && b.k <= 500)) return "invalid request: k must be an integer between 0 and 500";
  if (b.max_tokens !== undefined && !(Number.isInteger(b.max_tokens) && b.max_tokens > 0)) return "invalid request: max_tokens must be a positive integer";
  if (b.stop_sequences !== undefined && !(Array.isArray(b.stop_sequences) && b.stop_sequences.length <= 5 && b.stop_sequences.every((x: unknown) => typeof x === "string"))) {
    return "invalid request: stop_sequences must be a list of at most 5 strings";
  }
  if (b.response_format !== undefined && !["text", "json_object"].includes(b.response_format?.type)) return "invalid request: response_format.type must be text or json_object";
  if (b.thinking !== undefined && !["enabled", "disabled"].includes(b.thinking?.type)) return "invalid request: thinking.type must be enabled or disabled";
  return undefined;
}

function embedRequestProblem(b: any): string | undefined {
  for (const k of Object.keys(b)) if (!EMBED_FIELDS.has(k)) return `invalid request: unknown field: parameter ${k} is not a valid field`;
  if (typeof b.model !== "string") return "invalid request: model is required";
  if (!Array.isArray(b.texts) || !b.texts.every((t: unknown) => typeof t === "string")) return "invalid request: texts must be a list of strings";
  if (!INPUT_TYPES.has(b.input_type)) return "invalid request: input_type is required for embed models v3 and higher";
  if (!Array.isArray(b.embedding_types) || !b.embedding_types.every((t: string) => EMBEDDING_TYPES.has(t)))
    return "invalid request: embedding_types must be a list of float, int8, uint8, binary, ubinary, base64";
  return undefined;
}

export async function startFakeCohere(opts: { apiKey: string }): Promise<FakeCohere> {
  const server = await startFakeServer<Scenario>({ handle });

  async function handle(rec: RecordedUpstreamCall, res: ServerResponse, { next }: FakeRequest<Scenario>) {
    if (rec.method !== "POST" || (rec.path !== "/v2/chat" && rec.path !== "/v2/embed")) return sendJson(res, 404, cohereError(`${rec.method} ${rec.path} not found`));
    if (rec.headers.authorization !== `Bearer ${opts.apiKey}`) return sendJson(res, 401, cohereError("invalid api token"));
    const b: any = rec.body;
    if (typeof b !== "object" || b === null || Array.isArray(b)) return sendJson(res, 400, cohereError("invalid request: could not parse the request body as JSON"));
    const s = next();
    if (s.error) return sendJson(res, s.error.status, cohereError(s.error.message));
    if (rec.path === "/v2/embed") {
      const problem = embedRequestProblem(b);
      if (problem) return sendJson(res, 400, cohereError(problem));
      const dims = typeof b.output_dimension === "number" ? b.output_dimension : 16;
      return sendJson(res, 200, {
        id: randomUUID(),
        texts: b.texts,
        embeddings: { float: b.texts.map((t: string) => fakeEmbedding(t, dims)) },
        meta: { api_version: { version: "2" }, billed_units: { input_tokens: b.texts.length * 3 } },
        response_type: "embeddings_by_type",
      });
    }
    const problem = chatRequestProblem(b);
    if (problem) return sendJson(res, 400, cohereError(problem));
    return b.stream === true ? stream(res, s) : sendJson(res, 200, response(s));
  }

  function answer(s: Scenario) {
    const toolCalls = s.toolCalls?.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: JSON.stringify(t.arguments) } }));
    const text = s.text ?? (toolCalls ? undefined : "Hello from the fake");
    const u = s.usage ?? { input: 11, output: 7 };
    const usage = {
      billed_units: { input_tokens: u.input - (u.cachedInput ?? 0), output_tokens: u.output },
      tokens: { input_tokens: u.input, output_tokens: u.output },
      ...(u.cachedInput !== undefined ? { cached_tokens: u.cachedInput } : {}),
    };
    const finish = s.finish ? FINISH[s.finish] : toolCalls ? "TOOL_CALL" : "COMPLETE";
    const toolPlan = toolCalls ? `I will call ${toolCalls.map((t) => t.function.name).join(" and ")}.` : undefined;
    return { toolCalls, text, usage, finish, toolPlan };
  }

  function response(s: Scenario) {
    const a = answer(s);
    const content = [...(s.reasoning ? [{ type: "thinking", thinking: s.reasoning }] : []), ...(a.text !== undefined ? [{ type: "text", text: a.text }] : [])];
    return {
      id: randomUUID(),
      message: { role: "assistant", ...(content.length ? { content } : {}), ...(a.toolPlan ? { tool_plan: a.toolPlan, tool_calls: a.toolCalls } : {}) },
      finish_reason: a.finish,
      usage: a.usage,
    };
  }

  async function stream(res: ServerResponse, s: Scenario) {
    const a = answer(s);
    const events: Array<{ type: string; [k: string]: unknown }> = [
      { id: randomUUID(), type: "message-start", delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } } },
    ];
    let index = 0;
    if (s.reasoning) {
      events.push({ type: "content-start", index, delta: { message: { content: { type: "thinking", thinking: "" } } } });
      for (const piece of Array.from(s.reasoning)) events.push({ type: "content-delta", index, delta: { message: { content: { thinking: piece } } } });
      events.push({ type: "content-end", index: index++ });
    }
    if (a.toolCalls) {
      for (const word of a.toolPlan!.split(/(?= )/)) events.push({ type: "tool-plan-delta", delta: { message: { tool_plan: word } } });
      a.toolCalls.forEach((tc, i) => {
        events.push({ type: "tool-call-start", index: i, delta: { message: { tool_calls: { ...tc, function: { name: tc.function.name, arguments: "" } } } } });
        for (const piece of tc.function.arguments.match(/.{1,5}/gs) ?? []) events.push({ type: "tool-call-delta", index: i, delta: { message: { tool_calls: { function: { arguments: piece } } } } });
        events.push({ type: "tool-call-end", index: i });
      });
    }
    if (a.text !== undefined) {
      events.push({ type: "content-start", index, delta: { message: { content: { type: "text", text: "" } } } });
      for (const piece of Array.from(a.text)) events.push({ type: "content-delta", index, delta: { message: { content: { text: piece } } } });
      events.push({ type: "content-end", index });
    }
    events.push({ type: "message-end", delta: { finish_reason: a.finish, usage: a.usage } });
    const wire = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n";
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const bytes = Buffer.from(wire, "utf8");
    await writeSplit(res, bytes, s.splitBytes);
    res.end();
  }

  const { url, calls, enqueue, reset, close } = server;
  return { url, calls, enqueue, reset, close };
}

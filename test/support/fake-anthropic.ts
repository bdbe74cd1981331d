/**
 * A fake Anthropic Messages API for tests: plain node:http on 127.0.0.1, speaking Anthropic's
 * wire format (POST /v1/messages, x-api-key + anthropic-version headers, `message` objects,
 * named SSE events, `{"type":"error","error":{...}}` bodies). It validates requests the way the
 * real API does for the things an adapter can get wrong (headers, required fields, roles, block
 * shapes, tool_use/tool_result pairing, tool definitions, tool_choice, thinking) and answers
 * with Anthropic's 400 / 401 error body, so tests prove the translation is right.
 *
 * Message Batches are there too (fake-anthropic-batch.ts): `up.batches.setOptions(...)` controls
 * how they run; each request gets the usual message (or its validation error, as "errored").
 *
 *   const up = await startFakeAnthropic();   // up.url = "http://127.0.0.1:<port>" (host root)
 *   up.enqueue({ text: "héllo", splitBytes: true });
 *   ... up.calls[0].body.max_tokens ...
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { RecordedUpstreamCall, Scenario } from "../conformance/types.js";
import { fakeAnthropicBatches, type FakeAnthropicBatches } from "./fake-anthropic-batch.js";
import { sendJson, startFakeServer, writeSplit, type FakeRequest } from "./fake-server.js";

export interface FakeAnthropicBehavior extends Scenario {
  /** Send this `event: error` after the first text delta (a mid-stream failure). */
  midStreamError?: { type: string; message: string };
  /** Report usage the newer way: message_delta repeats the cumulative input-side counts. */
  cumulativeDeltaUsage?: boolean;
  /** Answer with exactly this Message (non-stream). */
  message?: Record<string, unknown>;
  /** Stream exactly these events (name, data). */
  events?: Array<[string, unknown]>;
  /** Cut the connection after this many stream events (a stream that breaks mid-way). */
  cutAfter?: number;
  /** Cache write tokens to report (cache_creation_input_tokens, out of `usage.input`). */
  cacheWrite?: number;
}

export interface FakeAnthropic {
  /** Host root, as Anthropic's SDKs take it: http://127.0.0.1:<port> */
  url: string;
  apiKey: string;
  calls: RecordedUpstreamCall[];
  enqueue(b: FakeAnthropicBehavior): void;
  reset(): void;
  close(): Promise<void>;
  /** Message Batches' controls (reset() clears the batches too). */
  batches: FakeAnthropicBatches;
}

const ERROR_TYPE: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const STOP_REASON: Record<string, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" };

const newId = (prefix: string) => `${prefix}_01${randomBytes(12).toString("base64url")}`;
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

export function anthropicErrorBody(status: number, message: string) {
  return { type: "error", error: { type: ERROR_TYPE[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"), message }, request_id: newId("req") };
}

export async function startFakeAnthropic(opts: { apiKey?: string } = {}): Promise<FakeAnthropic> {
  const apiKey = opts.apiKey ?? "sk-ant-conformance-anthropic-key";
  const server = await startFakeServer<FakeAnthropicBehavior>({ handle });
  const batchApi = fakeAnthropicBatches(
    () => server.url,
    (params) => {
      const invalid = validateAnthropicRequest(params);
      return invalid ? { invalid } : { message: buildMessage(params, {}) };
    },
    (res, status, body) => send(res, status, body),
    anthropicErrorBody,
  );

  async function handle(rec: RecordedUpstreamCall, res: ServerResponse, { parsed, next }: FakeRequest<FakeAnthropicBehavior>) {
    const key = rec.headers["x-api-key"];
    if (key !== apiKey) return send(res, 401, anthropicErrorBody(401, "invalid x-api-key"));
    if (!rec.headers["anthropic-version"]) return send(res, 400, anthropicErrorBody(400, "anthropic-version: header is required"));
    if (rec.headers["anthropic-version"] !== "2023-06-01") return send(res, 400, anthropicErrorBody(400, "anthropic-version: invalid version"));
    if (await batchApi.handle(rec, res)) return;
    if (rec.method !== "POST" || rec.path.split("?")[0] !== "/v1/messages") return send(res, 404, anthropicErrorBody(404, "Not Found"));
    if (!String(rec.headers["content-type"] ?? "").startsWith("application/json") || !parsed) {
      return send(res, 400, anthropicErrorBody(400, "There was an error parsing the body of your request"));
    }
    const problem = validateAnthropicRequest(rec.body);
    if (problem) return send(res, 400, anthropicErrorBody(400, problem));

    const b = next();
    if (b.error) return send(res, b.error.status, anthropicErrorBody(b.error.status, b.error.message));
    if (rec.body.stream === true) return stream(res, b.events ?? anthropicEvents(buildMessage(rec.body, b), b), b);
    return send(res, 200, b.message ?? buildMessage(rec.body, b));
  }

  function send(res: ServerResponse, status: number, body: unknown) {
    sendJson(res, status, body, { "request-id": newId("req") });
  }

  async function stream(res: ServerResponse, events: Array<[string, unknown]>, b: FakeAnthropicBehavior) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": newId("req") });
    const sent = b.cutAfter === undefined ? events : events.slice(0, b.cutAfter);
    const bytes = Buffer.from(sent.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(""), "utf8");
    await writeSplit(res, bytes, b.splitBytes);
    if (b.cutAfter !== undefined) res.destroy();
    else res.end();
  }

  const { url, calls, enqueue } = server;
  return {
    url,
    apiKey,
    calls,
    enqueue,
    batches: batchApi.control,
    reset: () => (server.reset(), batchApi.reset()),
    close: () => (batchApi.reset(), server.close()),
  };
}

/** Anthropic's stream events for a Message (as the API streams it), with a scenario's twists. */
export function anthropicEvents(msg: ReturnType<typeof buildMessage>, b: FakeAnthropicBehavior): Array<[string, unknown]> {
  const events: Array<[string, unknown]> = [];
  const { content, usage, stop_reason, ...rest } = msg;
  events.push(["message_start", { type: "message_start", message: { ...rest, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }]);
  content.forEach((block: any, index: number) => {
    if (block.type === "text") {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }]);
      if (index === 0) events.push(["ping", { type: "ping" }]);
      for (const part of pieces(block.text, 3)) events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: part } }]);
      if (b.midStreamError) events.push(["error", { type: "error", error: b.midStreamError }]);
    } else if (block.type === "thinking") {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } }]);
      for (const part of pieces(block.thinking, 2)) events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: part } }]);
      events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "signature_delta", signature: block.signature } }]);
    } else {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }]);
      events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: "" } }]);
      for (const part of pieces(JSON.stringify(block.input), 3)) events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: part } }]);
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  const deltaUsage = b.cumulativeDeltaUsage ? usage : { output_tokens: usage.output_tokens };
  events.push(["message_delta", { type: "message_delta", delta: { stop_reason, stop_sequence: null }, usage: deltaUsage }]);
  events.push(["message_stop", { type: "message_stop" }]);
  return events;
}

/** The `message` object for a scenario; a forced tool_choice (JSON mode) answers through that tool. */
export function buildMessage(req: any, b: FakeAnthropicBehavior) {
  const content: any[] = [];
  if (b.reasoning) content.push({ type: "thinking", thinking: b.reasoning, signature: `sig_${randomBytes(8).toString("hex")}` });
  const forced = req.tool_choice?.type === "tool" && !b.toolCalls ? String(req.tool_choice.name) : undefined;
  const text = b.text ?? (b.toolCalls ? undefined : "Hello from the fake");
  if (forced) {
    let input: unknown;
    try {
      input = JSON.parse(text ?? "{}");
    } catch {
      input = { text };
    }
    content.push({ type: "tool_use", id: newId("toolu"), name: forced, input });
  } else if (text !== undefined) {
    content.push({ type: "text", text });
  }
  for (const t of b.toolCalls ?? []) content.push({ type: "tool_use", id: t.id, name: t.name, input: t.arguments });
  const hasTool = content.some((c) => c.type === "tool_use");
  const finish = b.finish ?? (hasTool ? "tool_calls" : "stop");
  const cached = b.usage?.cachedInput ?? 0;
  const written = b.cacheWrite ?? 0;
  const input = b.usage?.input ?? tokens(JSON.stringify(req.messages));
  return {
    id: newId("msg"),
    type: "message" as const,
    role: "assistant" as const,
    model: String(req.model),
    content,
    stop_reason: STOP_REASON[finish] ?? "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: input - cached - written,
      cache_creation_input_tokens: written,
      cache_read_input_tokens: cached,
      output_tokens: b.usage?.output ?? tokens(JSON.stringify(content)),
      service_tier: "standard",
    },
  };
}

/** Splits text into up to n pieces on character boundaries (byte splitting is splitBytes' job). */
function pieces(text: string, n: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const size = Math.ceil(chars.length / Math.min(n, chars.length));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}

// ---------------------------------------------------------------- request validation

const TOP_LEVEL = new Set([
  "model",
  "messages",
  "max_tokens",
  "system",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "metadata",
  "thinking",
  "service_tier",
  "output_config",
  "container",
  "mcp_servers",
  "context_management",
  "cache_control",
  "inference_geo",
]);
const USER_BLOCKS = new Set(["text", "image", "document", "search_result", "tool_result"]);
const ASSISTANT_BLOCKS = new Set(["text", "thinking", "redacted_thinking", "tool_use", "server_tool_use", "web_search_tool_result"]);
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const TOOL_KEYS = new Set(["name", "description", "input_schema", "cache_control", "strict", "type", "input_examples", "defer_loading", "eager_input_streaming", "allowed_callers"]);

const isObj = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Returns Anthropic's error message for an invalid request body, or null when it is valid. */
export function validateAnthropicRequest(body: any): string | null {
  if (!isObj(body)) return "body: Input should be an object";
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) return `${k}: Extra inputs are not permitted`;
  if (typeof body.model !== "string" || !body.model) return "model: Field required";
  if (body.max_tokens === undefined) return "max_tokens: Field required";
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Input should be a valid positive integer";
  if (!Array.isArray(body.messages)) return "messages: Field required";
  if (body.messages.length === 0) return "messages: at least one message is required";
  if (body.system !== undefined) {
    const ok = typeof body.system === "string" || (Array.isArray(body.system) && body.system.every((b: any) => isObj(b) && b.type === "text" && typeof b.text === "string"));
    if (!ok) return "system: Input should be a valid string or a list of text blocks";
  }
  if (body.temperature !== undefined && (typeof body.temperature !== "number" || body.temperature < 0 || body.temperature > 1)) {
    return "temperature: Input should be less than or equal to 1";
  }
  if (body.stop_sequences !== undefined && !(Array.isArray(body.stop_sequences) && body.stop_sequences.every((x: unknown) => typeof x === "string"))) {
    return "stop_sequences: Input should be a valid list of strings";
  }
  if (body.metadata !== undefined && (!isObj(body.metadata) || Object.keys(body.metadata).some((k) => k !== "user_id"))) return "metadata: Extra inputs are not permitted";
  return validateMessages(body.messages) ?? validateTools(body) ?? validateThinking(body);
}

function validateMessages(messages: any[]): string | null {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const at = `messages.${i}`;
    if (!isObj(m)) return `${at}: Input should be an object`;
    for (const k of Object.keys(m)) if (k !== "role" && k !== "content") return `${at}.${k}: Extra inputs are not permitted`;
    if (m.role !== "user" && m.role !== "assistant") return `${at}.role: Input should be 'user' or 'assistant'`;
    const last = i === messages.length - 1 && m.role === "assistant";
    if (typeof m.content === "string") {
      if (m.content === "" && !last) return `${at}: all messages must have non-empty content except for the optional final assistant message`;
      continue;
    }
    if (!Array.isArray(m.content)) return `${at}.content: Input should be a valid string or list of content blocks`;
    if (m.content.length === 0 && !last) return `${at}: all messages must have non-empty content except for the optional final assistant message`;
    const allowed = m.role === "user" ? USER_BLOCKS : ASSISTANT_BLOCKS;
    let seenNonResult = false;
    for (let j = 0; j < m.content.length; j++) {
      const b = m.content[j];
      const bat = `${at}.content.${j}`;
      if (!isObj(b) || typeof b.type !== "string") return `${bat}: Input should be a content block object`;
      if (!allowed.has(b.type)) return `${bat}.type: '${b.type}' blocks are not allowed in ${m.role} messages`;
      const problem = validateBlock(b, bat);
      if (problem) return problem;
      if (b.type === "tool_result" && seenNonResult) return `${at}: tool_result blocks must come before any other content in a user message`;
      if (b.type !== "tool_result") seenNonResult = true;
    }
    // Every tool_use needs its tool_result in the very next (user) message, and vice versa.
    const uses = m.content.filter((b: any) => b.type === "tool_use").map((b: any) => b.id);
    if (m.role === "assistant" && uses.length) {
      const next = messages[i + 1];
      const results = new Set(Array.isArray(next?.content) ? next.content.filter((b: any) => b?.type === "tool_result").map((b: any) => b.tool_use_id) : []);
      const missing = uses.filter((id: string) => !results.has(id));
      if (next && missing.length)
        return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    if (m.role === "user") {
      const prev = messages[i - 1];
      const ids = new Set(prev?.role === "assistant" && Array.isArray(prev.content) ? prev.content.filter((b: any) => b?.type === "tool_use").map((b: any) => b.id) : []);
      const orphan = m.content.find((b: any) => b.type === "tool_result" && !ids.has(b.tool_use_id));
      if (orphan)
        return `${at}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${orphan.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
  }
  return null;
}

function validateBlock(b: Record<string, any>, at: string): string | null {
  switch (b.type) {
    case "text":
      if (typeof b.text !== "string") return `${at}.text: Field required`;
      if (b.text === "") return `${at}: text content blocks must be non-empty`;
      return null;
    case "image": {
      const s = b.source;
      if (!isObj(s)) return `${at}.source: Field required`;
      if (s.type === "base64") {
        if (!IMAGE_TYPES.has(s.media_type)) return `${at}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
        if (typeof s.data !== "string" || !s.data) return `${at}.source.data: Field required`;
        return null;
      }
      if (s.type === "url") return typeof s.url === "string" && /^https?:\/\//.test(s.url) ? null : `${at}.source.url: Field required`;
      return `${at}.source.type: Input should be 'base64' or 'url'`;
    }
    case "tool_use":
      if (typeof b.id !== "string" || typeof b.name !== "string") return `${at}: tool_use blocks need id and name`;
      return isObj(b.input) ? null : `${at}.input: Input should be a valid dictionary`;
    case "tool_result":
      if (typeof b.tool_use_id !== "string") return `${at}.tool_use_id: Field required`;
      if (b.content !== undefined && typeof b.content !== "string" && !Array.isArray(b.content)) return `${at}.content: Input should be a valid string or list`;
      return null;
    case "thinking":
      return typeof b.thinking === "string" && typeof b.signature === "string" ? null : `${at}: thinking blocks need thinking and signature`;
    case "document":
      return isObj(b.source) ? null : `${at}.source: Field required`;
    default:
      return null;
  }
}

function validateTools(body: any): string | null {
  const tools = body.tools;
  const names = new Set<string>();
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return "tools: Input should be a valid list";
    for (let i = 0; i < tools.length; i++) {
      const t = tools[i];
      if (!isObj(t)) return `tools.${i}: Input should be an object`;
      if (typeof t.type === "string" && t.type !== "custom" && /_\d{8}$/.test(t.type)) {
        names.add(String(t.name)); // a server tool (web_search_20250305, ...)
        continue;
      }
      for (const k of Object.keys(t)) if (!TOOL_KEYS.has(k)) return `tools.${i}.custom.${k}: Extra inputs are not permitted`;
      if (t.type !== undefined && t.type !== "custom") return `tools.${i}.type: Input should be 'custom'`;
      if (typeof t.name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (!isObj(t.input_schema)) return `tools.${i}.custom.input_schema: Field required`;
      if (t.input_schema.type !== "object") return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
      if (names.has(t.name)) return `tools: Tool names must be unique.`;
      names.add(t.name);
    }
  }
  const c = body.tool_choice;
  if (c === undefined) return null;
  if (!isObj(c) || !["auto", "any", "tool", "none"].includes(c.type)) return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'";
  if (!tools?.length && c.type !== "none") return "tool_choice: tool_choice may only be specified while providing tools";
  if (c.type === "tool" && !names.has(c.name)) return `tool_choice.name: Tool '${c.name}' not found in tools`;
  if (c.type === "none" && c.disable_parallel_tool_use !== undefined) return "tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted";
  return null;
}

function validateThinking(body: any): string | null {
  const t = body.thinking;
  if (t === undefined) return null;
  if (!isObj(t) || !["enabled", "disabled", "adaptive"].includes(t.type)) return "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'";
  if (t.type === "disabled") return null;
  if (t.type === "enabled") {
    if (!Number.isInteger(t.budget_tokens) || t.budget_tokens < 1024) return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
    if (t.budget_tokens >= body.max_tokens) return "`max_tokens` must be greater than `thinking.budget_tokens`";
  }
  if (body.tool_choice?.type === "any" || body.tool_choice?.type === "tool") return "Thinking may not be enabled when tool_choice forces tool use.";
  if (body.temperature !== undefined && body.temperature !== 1) return "`temperature` may only be set to 1 when thinking is enabled";
  if (body.top_k !== undefined) return "`top_k` is not supported when thinking is enabled";
  if (body.top_p !== undefined && body.top_p < 0.95) return "`top_p` must be greater than or equal to 0.95 when thinking is enabled";
  return null;
}

/**
 * Canonical (OpenAI) chat request → Anthropic Messages request. Every OpenAI parameter Anthropic
 * cannot honour as given is reported in `warnings`; nothing is dropped or changed silently.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatRequest } from "../../wire/openai.js";
import type { UpstreamRequest } from "../types.js";
import { fitThinkingBudget, THINKING_BUDGETS, thinkingSamplingConflicts } from "../thinking.js";
import { convertMessages } from "./messages.js";
import { JSON_TOOL_NAME, type NativeRequest, type NativeTool, type NativeToolChoice } from "./native.js";

export interface AnthropicWireOptions {
  /** Path of the Messages endpoint relative to the base URL ("/v1/messages"). */
  path: string;
  /** max_tokens sent when the request has none (Anthropic requires it). */
  defaultMaxTokens: number;
  /** How `reasoning_effort` is expressed: a thinking token budget, or adaptive thinking + output_config.effort. */
  thinkingMode: "budget" | "adaptive";
}

/** reasoning_effort → thinking budget_tokens; the table lives in ../thinking.ts (shared with bedrock). */
export { THINKING_BUDGETS };
const ADAPTIVE_EFFORT: Record<string, string> = { minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "xhigh" };

/** Parameters read below; anything else in the request is reported as unsupported. */
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
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "user",
  "safety_identifier",
  "reasoning_effort",
  "thinking",
  "service_tier",
]);
/** Unsupported parameters that are harmless at these (OpenAI default) values. */
const NEUTRAL: Record<string, unknown> = { frequency_penalty: 0, presence_penalty: 0, logprobs: false, store: false };

const invalid = (message: string, param: string) => new GatewayError("invalid_request", message, { param });

export function chatRequest(req: ChatRequest, stream: boolean, o: AnthropicWireOptions): UpstreamRequest {
  const warnings: string[] = [];
  const r = req as ChatRequest & Record<string, unknown>;
  const { system, messages } = convertMessages(req.messages, warnings);
  const body: NativeRequest = { model: req.model, max_tokens: 0, messages };
  if (system !== undefined) body.system = system;

  const explicitMax = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  body.max_tokens = explicitMax ?? o.defaultMaxTokens;

  if (typeof req.temperature === "number") {
    body.temperature = req.temperature;
    if (req.temperature > 1) {
      body.temperature = 1;
      warnings.push(`temperature ${req.temperature} is above anthropic's maximum of 1; clamped to 1`);
    }
  }
  if (typeof req.top_p === "number") body.top_p = req.top_p;
  if (typeof r.top_k === "number") body.top_k = r.top_k;
  if (req.stop !== undefined && req.stop !== null) body.stop_sequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (typeof req.n === "number" && req.n > 1) warnings.push(`n=${req.n} is not supported by anthropic; one choice is returned`);
  const userId = req.user ?? (typeof r.safety_identifier === "string" ? r.safety_identifier : undefined);
  if (userId) body.metadata = { user_id: userId };
  serviceTier(r.service_tier, body, warnings);
  if (stream) body.stream = true;

  const thinkingOn = thinking(r, body, explicitMax, o, warnings);
  tools(r, body, thinkingOn, warnings);
  if (thinkingOn) for (const key of thinkingSamplingConflicts("anthropic", body, warnings)) delete body[key]; // temperature 1, top_p >= 0.95, no top_k

  for (const [key, value] of Object.entries(r)) {
    if (HANDLED.has(key) || value === undefined || value === null) continue;
    if (key in NEUTRAL && NEUTRAL[key] === value) continue;
    warnings.push(`${key} is not supported by anthropic; ignored`);
  }
  if (explicitMax === undefined) warnings.push(`max_tokens is required by anthropic and was not set; sent max_tokens=${body.max_tokens}`);
  return { path: o.path, headers: {}, body, warnings };
}

function serviceTier(tier: unknown, body: NativeRequest, warnings: string[]): void {
  if (tier === undefined || tier === null) return;
  if (tier === "auto") body.service_tier = "auto";
  else if (tier === "default") body.service_tier = "standard_only";
  else warnings.push(`service_tier ${JSON.stringify(tier)} is not supported by anthropic; ignored`);
}

/** Extended thinking from a passthrough `thinking` object or from `reasoning_effort`. Returns whether it is on. */
function thinking(r: Record<string, unknown>, body: NativeRequest, explicitMax: number | undefined, o: AnthropicWireOptions, warnings: string[]): boolean {
  const effort = r.reasoning_effort;
  if (r.thinking && typeof r.thinking === "object") {
    body.thinking = r.thinking as NativeRequest["thinking"];
    if (effort !== undefined && effort !== null) warnings.push("reasoning_effort is ignored because thinking was given");
    return (r.thinking as { type?: string }).type !== "disabled";
  }
  if (effort === undefined || effort === null || effort === "none") return false;
  if (typeof effort !== "string" || !(effort in THINKING_BUDGETS)) {
    warnings.push(`reasoning_effort ${JSON.stringify(effort)} is not supported by anthropic; ignored`);
    return false;
  }
  if (o.thinkingMode === "adaptive") {
    body.thinking = { type: "adaptive" };
    body.output_config = { effort: ADAPTIVE_EFFORT[effort] };
    return true;
  }
  const budget = fitThinkingBudget(effort, explicitMax, "anthropic", warnings);
  if (budget === undefined) return false;
  if (explicitMax === undefined) body.max_tokens = o.defaultMaxTokens + budget; // room for the thinking budget plus the answer
  body.thinking = { type: "enabled", budget_tokens: budget };
  return true;
}

type OpenAITool = { type: string; function?: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null }; cache_control?: unknown; [k: string]: unknown };

function tools(r: Record<string, unknown>, body: NativeRequest, thinkingOn: boolean, warnings: string[]): void {
  const list = (Array.isArray(r.tools) ? r.tools : []) as OpenAITool[];
  const native = list.map((t, i) => toNativeTool(t, i, warnings));
  let choice = toolChoice(r.tool_choice, warnings);
  if (native.length === 0 && choice && choice.type !== "none") {
    warnings.push("tool_choice without tools is not supported by anthropic; ignored");
    choice = undefined;
  }

  const json = jsonTool(r.response_format, warnings);
  if (json) {
    if (native.some((t) => t.name === JSON_TOOL_NAME)) throw invalid(`the tool name "${JSON_TOOL_NAME}" is reserved by the gateway for response_format on anthropic`, "tools");
    native.push(json);
    if (thinkingOn) {
      warnings.push("response_format with extended thinking: anthropic cannot force a tool while thinking, so JSON output is requested but not enforced");
      if (!choice || choice.type === "none") choice = { type: "auto" };
    } else if (native.length === 1 || choice?.type === "none") {
      choice = { type: "tool", name: JSON_TOOL_NAME };
    } else if (!choice || choice.type === "auto") {
      choice = { type: "any" }; // a tool call, or the answer through the JSON tool
    }
  }

  if (r.parallel_tool_calls === false && native.length > 0 && choice?.type !== "none") {
    choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  if (native.length) body.tools = native;
  if (choice && native.length) body.tool_choice = choice;
}

function toNativeTool(t: OpenAITool, i: number, warnings: string[]): NativeTool {
  if (t.type !== "function" || !t.function) return t as unknown as NativeTool; // Anthropic-native tool definitions pass through
  const f = t.function;
  const schema = f.parameters ?? { type: "object", properties: {} };
  const tool: NativeTool = { name: f.name, input_schema: schema.type ? schema : { type: "object", ...schema } };
  if (f.description) tool.description = f.description;
  if (t.cache_control) tool.cache_control = t.cache_control as NativeTool["cache_control"];
  if (f.strict) warnings.push(`tools[${i}].function.strict is not enforced by anthropic; the schema is given to the model but not validated`);
  return tool;
}

function toolChoice(c: unknown, warnings: string[]): NativeToolChoice | undefined {
  if (c === undefined || c === null) return undefined;
  if (c === "auto") return { type: "auto" };
  if (c === "none") return { type: "none" };
  if (c === "required") return { type: "any" };
  const o = c as { type?: string; function?: { name?: string }; name?: string };
  if (o.type === "function" && o.function?.name) return { type: "tool", name: o.function.name };
  if (o.type === "auto" || o.type === "any" || o.type === "none" || (o.type === "tool" && o.name)) return c as NativeToolChoice; // already Anthropic's
  warnings.push(`tool_choice ${JSON.stringify(c)} is not supported by anthropic; ignored`);
  return undefined;
}

/** response_format json_object / json_schema → a tool the model is made to call; its input is the answer. */
function jsonTool(rf: unknown, warnings: string[]): NativeTool | undefined {
  const f = rf as { type?: string; json_schema?: { name?: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } } | undefined;
  if (!f || !f.type || f.type === "text") return undefined;
  if (f.type === "json_object") {
    return { name: JSON_TOOL_NAME, description: "Respond with your answer as a JSON object.", input_schema: { type: "object" } };
  }
  if (f.type === "json_schema") {
    const schema = f.json_schema?.schema ?? { type: "object" };
    if (schema.type !== undefined && schema.type !== "object") {
      throw invalid('response_format.json_schema.schema must describe a JSON object (type "object") on anthropic', "response_format");
    }
    if (f.json_schema?.strict) warnings.push("response_format.json_schema.strict is not enforced by anthropic; the schema is given to the model but not validated");
    const what = [f.json_schema?.name, f.json_schema?.description].filter(Boolean).join(": ");
    return { name: JSON_TOOL_NAME, description: `Respond with your answer as JSON matching the schema${what ? ` (${what})` : ""}.`, input_schema: { type: "object", ...schema } };
  }
  warnings.push(`response_format "${f.type}" is not supported by anthropic; ignored`);
  return undefined;
}

/**
 * Canonical (OpenAI) chat request → Bedrock Converse / ConverseStream request. Every OpenAI
 * parameter Bedrock cannot honour as given is reported in `warnings`; nothing is dropped or
 * changed silently.
 *
 * Choices made here (documented for users):
 * - `response_format: json_object` becomes a system instruction (Converse has no JSON mode).
 * - `response_format: json_schema` becomes a forced tool (`json_response`, input schema = the
 *   schema) on Anthropic models when the request has no tools and no thinking; its input is
 *   returned as the message content. Otherwise it falls back to a system instruction.
 * - `reasoning_effort` becomes Claude's extended thinking budget
 *   (`additionalModelRequestFields.thinking`) on Anthropic models; elsewhere it is ignored.
 * - A request field `additionalModelRequestFields` (not OpenAI) is passed through as is.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatRequest } from "../../wire/openai.js";
import type { UpstreamRequest } from "../types.js";
import { fitThinkingBudget, THINKING_BUDGETS, thinkingSamplingConflicts } from "../thinking.js";
import { toMessages } from "./messages.js";
import { conversePath, JSON_TOOL_NAME, type ConverseRequest, type ToolChoice, type ToolSpec } from "./native.js";

/** reasoning_effort → thinking budget_tokens; the table lives in ../thinking.ts (shared with anthropic). */
export { THINKING_BUDGETS };

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
  "reasoning_effort",
  "thinking",
  "additionalModelRequestFields",
]);
/** Unsupported parameters that are harmless at these (OpenAI default) values. */
const NEUTRAL: Record<string, unknown> = { frequency_penalty: 0, presence_penalty: 0, logprobs: false, store: false };

const invalid = (message: string, param: string) => new GatewayError("invalid_request", message, { param });

/** Anthropic models on Bedrock: `anthropic.claude-...`, or an inference profile `us.anthropic.claude-...`. */
export const isAnthropicModel = (model: string) => /(^|[./:])anthropic\./.test(model);

export function chatRequest(req: ChatRequest, stream: boolean): UpstreamRequest {
  const warnings: string[] = [];
  const r = req as ChatRequest & Record<string, unknown>;
  const anthropic = isAnthropicModel(req.model);
  const translated = toMessages(req.messages, warnings);
  const body: ConverseRequest = { messages: translated.messages };
  const extra: Record<string, unknown> = {};

  const inference: NonNullable<ConverseRequest["inferenceConfig"]> = {};
  const explicitMax = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  if (explicitMax !== undefined) inference.maxTokens = explicitMax;
  if (typeof req.temperature === "number") {
    inference.temperature = req.temperature;
    if (req.temperature > 1) {
      inference.temperature = 1;
      warnings.push(`temperature ${req.temperature} is above bedrock's maximum of 1; clamped to 1`);
    }
  }
  if (typeof req.top_p === "number") inference.topP = req.top_p;
  if (req.stop !== undefined && req.stop !== null) inference.stopSequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (typeof r.top_k === "number") {
    if (anthropic) extra.top_k = r.top_k;
    else warnings.push("top_k is only mapped for anthropic models on bedrock; ignored");
  }
  if (typeof req.n === "number" && req.n > 1) warnings.push(`n=${req.n} is not supported by bedrock; one choice is returned`);

  const thinkingOn = thinking(r, anthropic, inference, extra, warnings);
  const jsonSystem = tools(r, body, translated.usesTools, anthropic && !thinkingOn, warnings);
  if (r.parallel_tool_calls === false) warnings.push("parallel_tool_calls=false is not supported by bedrock; ignored");

  const system = [...translated.system, ...(jsonSystem ? [{ text: jsonSystem }] : [])];
  if (system.length) body.system = system;
  if (Object.keys(inference).length) body.inferenceConfig = inference;
  if (r.additionalModelRequestFields && typeof r.additionalModelRequestFields === "object") Object.assign(extra, r.additionalModelRequestFields);
  if (Object.keys(extra).length) body.additionalModelRequestFields = extra;

  for (const [key, value] of Object.entries(r)) {
    if (HANDLED.has(key) || value === undefined || value === null) continue;
    if (key in NEUTRAL && NEUTRAL[key] === value) continue;
    warnings.push(`${key} is not supported by bedrock; ignored`);
  }
  return { path: conversePath(req.model, stream), headers: {}, body, warnings };
}

/** Claude extended thinking from a passthrough `thinking` object or from `reasoning_effort`. Returns whether it is on. */
function thinking(r: Record<string, unknown>, anthropic: boolean, inference: NonNullable<ConverseRequest["inferenceConfig"]>, extra: Record<string, unknown>, warnings: string[]): boolean {
  const effort = r.reasoning_effort;
  const given = r.thinking && typeof r.thinking === "object" ? r.thinking : undefined;
  if (given === undefined && (effort === undefined || effort === null || effort === "none")) return false;
  if (!anthropic) {
    warnings.push(`${given ? "thinking" : "reasoning_effort"} is only mapped for anthropic models on bedrock; ignored`);
    return false;
  }
  if (given) {
    extra.thinking = given;
    if (effort !== undefined && effort !== null) warnings.push("reasoning_effort is ignored because thinking was given");
  } else {
    if (typeof effort !== "string" || !(effort in THINKING_BUDGETS)) {
      warnings.push(`reasoning_effort "${String(effort)}" is not supported by bedrock; ignored`);
      return false;
    }
    const budget = fitThinkingBudget(effort, inference.maxTokens, "bedrock", warnings);
    if (budget === undefined) return false;
    extra.thinking = { type: "enabled", budget_tokens: budget };
  }
  if ((extra.thinking as { type?: string }).type === "disabled") return false;
  // Claude rejects sampling changes while thinking: temperature must be 1, top_p >= 0.95, no top_k.
  const drop = thinkingSamplingConflicts("bedrock", { temperature: inference.temperature, top_p: inference.topP, top_k: extra.top_k }, warnings);
  if (drop.includes("temperature")) delete inference.temperature;
  if (drop.includes("top_p")) delete inference.topP;
  if (drop.includes("top_k")) delete extra.top_k;
  return true;
}

type OpenAITool = { type: string; function?: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null } };
type ResponseFormat = { type: string; json_schema?: { name?: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };

/** toolConfig from tools / tool_choice / response_format. Returns a system instruction to add, if any. */
function tools(r: Record<string, unknown>, body: ConverseRequest, usesTools: boolean, jsonToolAllowed: boolean, warnings: string[]): string | undefined {
  const list = (Array.isArray(r.tools) ? r.tools : []) as OpenAITool[];
  const specs = list.map((t, i) => toolSpec(t, i, warnings));
  let choice = toolChoice(r.tool_choice);

  if (specs.length === 0 && choice !== undefined) {
    warnings.push("tool_choice without tools is not supported by bedrock; ignored");
    choice = undefined;
  }
  if (choice === "none") {
    if (usesTools) {
      warnings.push('tool_choice "none" is not supported by bedrock; tools stay available because the conversation has tool calls');
      choice = undefined;
    } else {
      warnings.push('tool_choice "none" is not supported by bedrock; tools were not sent');
      specs.length = 0;
      choice = undefined;
    }
  }
  if (specs.length) body.toolConfig = { tools: specs, ...(choice ? { toolChoice: choice } : {}) };

  const format = r.response_format as ResponseFormat | undefined;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_schema" && format.json_schema?.schema && specs.length === 0 && jsonToolAllowed) {
    const desc = format.json_schema.description ?? `Respond with the answer${format.json_schema.name ? ` (${format.json_schema.name})` : ""} as this tool's input.`;
    body.toolConfig = { tools: [{ toolSpec: { name: JSON_TOOL_NAME, description: desc, inputSchema: { json: format.json_schema.schema } } }], toolChoice: { tool: { name: JSON_TOOL_NAME } } };
    if (format.json_schema.strict) warnings.push("response_format json_schema strict is not enforced by bedrock; the schema guides a forced tool call");
    return undefined;
  }
  if (format.type === "json_object" || format.type === "json_schema") {
    warnings.push(`response_format ${format.type} is not supported natively by bedrock for this request; emulated with a system instruction`);
    const schema = format.json_schema?.schema ? ` The JSON must match this JSON schema: ${JSON.stringify(format.json_schema.schema)}` : "";
    return `Respond only with a single valid JSON object and no other text.${schema}`;
  }
  throw invalid(`response_format type "${format.type}" is not supported by bedrock`, "response_format");
}

function toolSpec(t: OpenAITool, i: number, warnings: string[]): ToolSpec {
  if (t.type !== "function" || !t.function) throw invalid(`tools[${i}]: tool type "${t.type}" is not supported by bedrock`, `tools[${i}].type`);
  const f = t.function;
  if (f.name === JSON_TOOL_NAME) throw invalid(`tools[${i}]: the tool name "${JSON_TOOL_NAME}" is reserved by the gateway`, `tools[${i}].function.name`);
  if (f.strict) warnings.push("strict function schemas are not supported by bedrock; ignored");
  const spec: ToolSpec["toolSpec"] = { name: f.name, inputSchema: { json: f.parameters ?? { type: "object", properties: {} } } };
  if (f.description) spec.description = f.description;
  return { toolSpec: spec };
}

function toolChoice(choice: unknown): ToolChoice | "none" | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto") return { auto: {} };
  if (choice === "required") return { any: {} };
  if (choice === "none") return "none";
  const c = choice as { type?: string; function?: { name?: string } };
  if (c.type === "function" && typeof c.function?.name === "string") return { tool: { name: c.function.name } };
  throw invalid(`tool_choice ${JSON.stringify(choice)} is not supported by bedrock`, "tool_choice");
}

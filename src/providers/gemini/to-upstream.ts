/**
 * Canonical (OpenAI) chat and embeddings requests → Gemini `generateContent` /
 * `batchEmbedContents` bodies. Every OpenAI parameter Gemini cannot honour is reported in
 * `warnings`; nothing is dropped or changed silently.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatRequest, EmbeddingsRequest } from "../../wire/openai.js";
import { toContents } from "./messages.js";
import { isEmptyObjectSchema, toGeminiSchema } from "./schema.js";
import type { GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiRequest } from "./types.js";

/** Parameters read below (or deliberately not forwarded: `user` is the gateway's, streams always report usage). */
const HANDLED = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "user",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "n",
  "stop",
  "presence_penalty",
  "frequency_penalty",
  "seed",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
]);

/** reasoning_effort → Gemini 2.x thinkingBudget (Google's own OpenAI-compatibility mapping for low/medium/high). */
const BUDGETS: Record<string, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768 };
/** reasoning_effort → Gemini 3 thinkingLevel. */
const LEVELS: Record<string, string> = { none: "minimal", minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "high" };

/** Gemini 3 and later: thinkingLevel instead of thinkingBudget, and thought signatures are enforced. */
export function isGemini3OrLater(model: string): boolean {
  const m = /gemini-(\d+)/i.exec(model);
  return !!m && Number(m[1]) >= 3;
}

export function chatBody(r: ChatRequest, warnings: string[], label: string): GeminiRequest {
  const g3 = isGemini3OrLater(r.model);
  const { contents, system } = toContents(r.messages, warnings, label, g3);
  if (contents.length === 0) throw new GatewayError("invalid_request", `${label} needs at least one user or assistant message besides system messages`, { param: "messages" });
  const body: GeminiRequest = { contents };
  if (system) body.systemInstruction = system;

  const gc: GeminiGenerationConfig = {};
  if (typeof r.temperature === "number") gc.temperature = r.temperature;
  if (typeof r.top_p === "number") gc.topP = r.top_p;
  if (typeof r.top_k === "number") gc.topK = r.top_k;
  const max = r.max_completion_tokens ?? r.max_tokens;
  if (typeof max === "number") gc.maxOutputTokens = max;
  if (r.stop != null) gc.stopSequences = typeof r.stop === "string" ? [r.stop] : r.stop;
  if (typeof r.n === "number" && r.n !== 1) gc.candidateCount = r.n;
  if (typeof r.presence_penalty === "number") gc.presencePenalty = r.presence_penalty;
  if (typeof r.frequency_penalty === "number") gc.frequencyPenalty = r.frequency_penalty;
  if (typeof r.seed === "number") gc.seed = r.seed;

  const rf = r.response_format as { type: string; json_schema?: { schema?: unknown; strict?: boolean } } | undefined;
  if (rf?.type === "json_object") gc.responseMimeType = "application/json";
  else if (rf?.type === "json_schema") {
    gc.responseMimeType = "application/json";
    if (rf.json_schema?.schema !== undefined) {
      const { schema, dropped } = toGeminiSchema(rf.json_schema.schema);
      gc.responseSchema = schema;
      if (dropped.length) warnings.push(`${label} does not support these JSON schema keywords in response_format.json_schema.schema; removed: ${dropped.join(", ")}`);
    }
  } else if (rf && rf.type !== "text") warnings.push(`response_format type '${rf.type}' is not supported by ${label}; ignored`);

  const effort = r.reasoning_effort;
  if (typeof effort === "string") {
    if (g3 && LEVELS[effort]) {
      gc.thinkingConfig = { thinkingLevel: LEVELS[effort], includeThoughts: effort !== "none" };
      if (effort === "none") warnings.push(`reasoning_effort 'none': Gemini 3 models cannot turn thinking off; sent thinkingLevel 'minimal'`);
    } else if (!g3 && BUDGETS[effort] !== undefined) {
      gc.thinkingConfig = { thinkingBudget: BUDGETS[effort], includeThoughts: effort !== "none" };
    } else warnings.push(`reasoning_effort '${effort}' is not supported by ${label}; ignored`);
  }
  if (Object.keys(gc).length) body.generationConfig = gc;

  tools(r, body, warnings, label);

  for (const k of Object.keys(r)) {
    if (HANDLED.has(k) || r[k] === undefined || r[k] === null) continue;
    if (k === "logprobs" && r[k] === false) continue;
    warnings.push(`${k} is not supported by ${label}; ignored`);
  }
  return body;
}

function tools(r: ChatRequest, body: GeminiRequest, warnings: string[], label: string): void {
  const declared: GeminiFunctionDeclaration[] = [];
  (r.tools ?? []).forEach((t, i) => {
    if (t.type !== "function" || !t.function) {
      warnings.push(`tools[${i}]: tool type '${String(t.type)}' is not supported by ${label}; left out`);
      return;
    }
    const f = t.function as { name: string; description?: string; parameters?: unknown; strict?: boolean };
    const d: GeminiFunctionDeclaration = { name: f.name };
    if (f.description) d.description = f.description;
    if (f.parameters !== undefined) {
      const { schema, dropped } = toGeminiSchema(f.parameters);
      if (!isEmptyObjectSchema(schema)) d.parameters = schema;
      if (dropped.length) warnings.push(`${label} does not support these JSON schema keywords in tools[${i}].function.parameters; removed: ${dropped.join(", ")}`);
    }
    if (f.strict === true) warnings.push(`tools[${i}].function.strict is not supported by ${label}; arguments are not guaranteed to match the schema`);
    declared.push(d);
  });
  if (r.parallel_tool_calls === false) warnings.push(`parallel_tool_calls=false is not supported by ${label}; the model may call several functions at once`);

  let decls = declared;
  const tc: string | { type: string; function?: { name: string }; allowed_tools?: { mode?: string; tools?: Array<{ function?: { name?: string } }> } } | undefined = r.tool_choice;
  let config: GeminiRequest["toolConfig"];
  if (tc === "none") config = { functionCallingConfig: { mode: "NONE" } };
  else if (tc === "auto") config = { functionCallingConfig: { mode: "AUTO" } };
  else if (tc === "required") config = { functionCallingConfig: { mode: "ANY" } };
  else if (tc && typeof tc === "object" && tc.type === "function" && tc.function?.name) {
    config = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [tc.function.name] } };
  } else if (tc && typeof tc === "object" && tc.type === "allowed_tools") {
    const allowed = (tc.allowed_tools?.tools ?? []).map((t) => t.function?.name).filter((n): n is string => !!n);
    if (tc.allowed_tools?.mode === "required") config = { functionCallingConfig: { mode: "ANY", allowedFunctionNames: allowed } };
    else {
      decls = declared.filter((d) => allowed.includes(d.name));
      config = { functionCallingConfig: { mode: "AUTO" } };
    }
  } else if (tc !== undefined) warnings.push(`tool_choice ${JSON.stringify(tc)} is not supported by ${label}; ignored`);

  if (decls.length === 0) return;
  body.tools = [{ functionDeclarations: decls }];
  if (config) body.toolConfig = config;
}

/** Texts of an embeddings request; token-id input has no Gemini equivalent. */
export function embeddingTexts(req: EmbeddingsRequest, label: string): string[] {
  const input = req.input;
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.every((x) => typeof x === "string")) return input;
  throw new GatewayError("invalid_request", `${label} embeddings take text input, not token ids`, { param: "input" });
}

/** `batchEmbedContents`: one request per input text, each naming the model (`user` is the gateway's own field). */
export function batchEmbedBody(req: EmbeddingsRequest, modelResource: string, warnings: string[], label: string) {
  for (const k of Object.keys(req)) {
    if (!["model", "input", "encoding_format", "dimensions", "user"].includes(k)) warnings.push(`${k} is not supported by ${label} embeddings; ignored`);
  }
  return {
    requests: embeddingTexts(req, label).map((text) => ({
      model: modelResource,
      content: { parts: [{ text }] },
      ...(req.dimensions !== undefined ? { outputDimensionality: req.dimensions } : {}),
    })),
  };
}

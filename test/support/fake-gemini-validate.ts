/**
 * What the fake Gemini / Vertex AI servers reject, the way the real ones do: unknown fields
 * (Google's JSON parser answers `Unknown name "x": Cannot find field.`), missing required
 * fields, roles other than user/model, parts that are not exactly one kind, OpenAPI-schema
 * keywords Gemini lacks, function responses that do not answer the preceding function calls,
 * and (Gemini 3) function calls without a thought signature. Each check returns the error
 * message, or null when the body is valid.
 */

type Json = Record<string, any>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function unknownField(o: Json, allowed: string[], at: string): string | null {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) return `Invalid JSON payload received. Unknown name "${k}" at '${at}': Cannot find field.`;
  }
  return null;
}

const REQUEST_FIELDS = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent", "labels"];
const PART_DATA = ["text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"];
const PART_FIELDS = [...PART_DATA, "thought", "thoughtSignature", "videoMetadata"];
const GEN_FIELDS = [
  "temperature",
  "topP",
  "topK",
  "candidateCount",
  "maxOutputTokens",
  "stopSequences",
  "presencePenalty",
  "frequencyPenalty",
  "seed",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "thinkingConfig",
  "responseLogprobs",
  "logprobs",
  "responseModalities",
  "mediaResolution",
];
const SCHEMA_FIELDS = [
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
];
const SCHEMA_TYPES = ["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"];

export function validateGenerateContent(body: unknown, model: string): string | null {
  if (!isObj(body)) return "Invalid JSON payload received.";
  let err = unknownField(body, REQUEST_FIELDS, "");
  if (err) return err;
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return "* GenerateContentRequest.contents: contents is not specified";
  for (let i = 0; i < contents.length; i++) {
    if ((err = validateContent(contents[i], `contents[${i}]`, true))) return err;
  }
  if ((err = validateTurns(contents, model))) return err;
  if (body.systemInstruction !== undefined) {
    const si = body.systemInstruction;
    if (!isObj(si) || !Array.isArray(si.parts) || si.parts.length === 0) return "* GenerateContentRequest.system_instruction.parts: must not be empty";
    if ((err = unknownField(si, ["parts", "role"], "system_instruction"))) return err;
    if (si.parts.some((p: unknown) => !isObj(p) || typeof p.text !== "string" || Object.keys(p).length !== 1)) return "* GenerateContentRequest.system_instruction: only text parts are supported";
  }
  if (body.tools !== undefined && (err = validateTools(body.tools))) return err;
  if (body.toolConfig !== undefined && (err = validateToolConfig(body.toolConfig, body.tools))) return err;
  if (body.generationConfig !== undefined && (err = validateGenerationConfig(body.generationConfig))) return err;
  return null;
}

function validateContent(c: unknown, at: string, roleRequired: boolean): string | null {
  if (!isObj(c)) return `* GenerateContentRequest.${at}: must be an object`;
  const err = unknownField(c, ["role", "parts"], at);
  if (err) return err;
  if ((roleRequired || c.role !== undefined) && c.role !== "user" && c.role !== "model") return `Please use a valid role: user, model.`;
  if (!Array.isArray(c.parts) || c.parts.length === 0) return `* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`;
  for (let j = 0; j < c.parts.length; j++) {
    const p = c.parts[j];
    const where = `${at}.parts[${j}]`;
    if (!isObj(p)) return `* GenerateContentRequest.${where}: must be an object`;
    const e = unknownField(p, PART_FIELDS, where);
    if (e) return e;
    const kinds = PART_DATA.filter((k) => p[k] !== undefined);
    if (kinds.length !== 1) return `* GenerateContentRequest.${where}.data: required oneof field 'data' must have one initialized field`;
    if (p.text !== undefined && typeof p.text !== "string") return `* GenerateContentRequest.${where}.text: must be a string`;
    if (p.inlineData !== undefined) {
      if (!isObj(p.inlineData) || typeof p.inlineData.mimeType !== "string" || typeof p.inlineData.data !== "string")
        return `* GenerateContentRequest.${where}.inline_data: mime_type and data are required`;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.inlineData.data)) return `Invalid value at '${where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed`;
    }
    if (p.fileData !== undefined && (!isObj(p.fileData) || typeof p.fileData.fileUri !== "string")) return `* GenerateContentRequest.${where}.file_data.file_uri: required`;
    if (p.functionCall !== undefined) {
      if (c.role !== "model") return `* GenerateContentRequest.${where}: function_call is only allowed in model turns`;
      if (!isObj(p.functionCall) || typeof p.functionCall.name !== "string") return `* GenerateContentRequest.${where}.function_call.name: Name cannot be empty.`;
      if (p.functionCall.args !== undefined && !isObj(p.functionCall.args)) return `Invalid value at '${where}.function_call.args' (type.googleapis.com/google.protobuf.Struct)`;
    }
    if (p.functionResponse !== undefined) {
      if (c.role !== "user") return `* GenerateContentRequest.${where}: function_response is only allowed in user turns`;
      const fr = p.functionResponse;
      if (!isObj(fr) || typeof fr.name !== "string" || fr.name === "") return `* GenerateContentRequest.${where}.function_response.name: Name cannot be empty.`;
      if (!isObj(fr.response)) return `Invalid value at '${where}.function_response.response' (type.googleapis.com/google.protobuf.Struct)`;
    }
  }
  return null;
}

/** Function calls must be answered by the next turn, one function response per call, by name; Gemini 3 needs thought signatures. */
function validateTurns(contents: Json[], model: string): string | null {
  const g3 = /gemini-([3-9]|\d{2,})/.test(model);
  for (let i = 0; i < contents.length; i++) {
    const calls = contents[i].parts.filter((p: Json) => p.functionCall);
    if (calls.length === 0) continue;
    if (g3 && !calls[0].thoughtSignature) {
      return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${calls[0].functionCall.name}\` , position ${i + 1}.`;
    }
    const next = contents[i + 1];
    if (!next) continue;
    const responses = next.parts.filter((p: Json) => p.functionResponse);
    if (responses.length !== calls.length) {
      return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
    }
    const names = calls
      .map((p: Json) => p.functionCall.name)
      .sort()
      .join(",");
    if (
      responses
        .map((p: Json) => p.functionResponse.name)
        .sort()
        .join(",") !== names
    )
      return "Please ensure that function response turn comes immediately after a function call turn.";
  }
  return null;
}

function validateTools(tools: unknown): string | null {
  if (!Array.isArray(tools)) return "* GenerateContentRequest.tools: must be a list";
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i];
    if (!isObj(t)) return `* GenerateContentRequest.tools[${i}]: must be an object`;
    let err = unknownField(t, ["functionDeclarations", "googleSearch", "codeExecution", "urlContext"], `tools[${i}]`);
    if (err) return err;
    for (let j = 0; j < (t.functionDeclarations ?? []).length; j++) {
      const d = t.functionDeclarations[j];
      const at = `tools[${i}].function_declarations[${j}]`;
      if ((err = unknownField(d, ["name", "description", "parameters", "parametersJsonSchema", "response", "behavior"], at))) return err;
      if (typeof d.name !== "string" || !/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/.test(d.name)) return `* GenerateContentRequest.${at}.name: Invalid function name.`;
      if (d.parameters !== undefined) {
        if ((err = validateSchema(d.parameters, `${at}.parameters`))) return err;
        if (d.parameters.type === "OBJECT" && (!isObj(d.parameters.properties) || Object.keys(d.parameters.properties).length === 0)) {
          return `* GenerateContentRequest.${at}.parameters.properties: should be non-empty for OBJECT type`;
        }
      }
    }
  }
  return null;
}

export function validateSchema(s: unknown, at: string): string | null {
  if (!isObj(s)) return `Invalid value at '${at}' (Schema)`;
  let err = unknownField(s, SCHEMA_FIELDS, at);
  if (err) return err;
  if (s.type !== undefined && !SCHEMA_TYPES.includes(s.type)) return `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "${s.type}"`;
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.some((v: unknown) => typeof v !== "string"))) return `Invalid value at '${at}.enum' (TYPE_STRING)`;
  for (const [k, v] of Object.entries(isObj(s.properties) ? s.properties : {})) if ((err = validateSchema(v, `${at}.properties[${k}]`))) return err;
  if (s.items !== undefined && (err = validateSchema(s.items, `${at}.items`))) return err;
  for (const [i, v] of (Array.isArray(s.anyOf) ? s.anyOf : []).entries()) if ((err = validateSchema(v, `${at}.any_of[${i}]`))) return err;
  return null;
}

function validateToolConfig(tc: unknown, tools: unknown): string | null {
  if (!isObj(tc) || !isObj(tc.functionCallingConfig)) return "* GenerateContentRequest.tool_config: function_calling_config is required";
  const f = tc.functionCallingConfig;
  const err = unknownField(f, ["mode", "allowedFunctionNames"], "tool_config.function_calling_config");
  if (err) return err;
  if (!["AUTO", "ANY", "NONE", "VALIDATED"].includes(f.mode)) return `Invalid value at 'tool_config.function_calling_config.mode', "${f.mode}"`;
  if (f.allowedFunctionNames !== undefined) {
    if (f.mode !== "ANY" && f.mode !== "VALIDATED") return "* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY.";
    const declared = (Array.isArray(tools) ? tools : []).flatMap((t: Json) => (t.functionDeclarations ?? []).map((d: Json) => d.name));
    for (const n of f.allowedFunctionNames) if (!declared.includes(n)) return `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: ${n} is not a declared function`;
  }
  return null;
}

function validateGenerationConfig(gc: unknown): string | null {
  if (!isObj(gc)) return "Invalid value at 'generation_config'";
  let err = unknownField(gc, GEN_FIELDS, "generation_config");
  if (err) return err;
  if (gc.temperature !== undefined && !(gc.temperature >= 0 && gc.temperature <= 2)) return "* GenerateContentRequest.generation_config.temperature: must be in [0, 2]";
  if (gc.stopSequences !== undefined && (!Array.isArray(gc.stopSequences) || gc.stopSequences.length > 5)) return "* GenerateContentRequest.generation_config.stop_sequences: at most 5";
  if (gc.responseMimeType !== undefined && !["text/plain", "application/json", "text/x.enum"].includes(gc.responseMimeType))
    return `* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are text/plain, application/json, text/x.enum`;
  if (gc.responseSchema !== undefined && (err = validateSchema(gc.responseSchema, "generation_config.response_schema"))) return err;
  if (gc.thinkingConfig !== undefined) {
    if ((err = unknownField(gc.thinkingConfig, ["thinkingBudget", "thinkingLevel", "includeThoughts"], "generation_config.thinking_config"))) return err;
    if (gc.thinkingConfig.thinkingBudget !== undefined && gc.thinkingConfig.thinkingLevel !== undefined) return "You can only set only one of thinking budget and thinking level.";
  }
  return null;
}

/** Gemini API `batchEmbedContents`: every request names the model of the URL. */
export function validateBatchEmbed(body: unknown, model: string): string | null {
  if (!isObj(body) || !Array.isArray(body.requests) || body.requests.length === 0) return "* BatchEmbedContentsRequest.requests: requests is not specified";
  const err = unknownField(body, ["requests"], "");
  if (err) return err;
  for (let i = 0; i < body.requests.length; i++) {
    const r = body.requests[i];
    const e = unknownField(r, ["model", "content", "taskType", "title", "outputDimensionality"], `requests[${i}]`);
    if (e) return e;
    if (r.model !== `models/${model}`) return `* BatchEmbedContentsRequest.requests[${i}].model: The model in the batch request (${r.model}) must match the model in the URL (models/${model}).`;
    if (!isObj(r.content) || !Array.isArray(r.content.parts) || r.content.parts.length === 0 || r.content.parts.some((p: unknown) => !isObj(p) || typeof p.text !== "string")) {
      return `* BatchEmbedContentsRequest.requests[${i}].content.parts: must not be empty`;
    }
  }
  return null;
}

/** Vertex AI `:predict` for text-embedding models. */
export function validatePredict(body: unknown): string | null {
  if (!isObj(body) || !Array.isArray(body.instances) || body.instances.length === 0) return "instances must not be empty";
  const err = unknownField(body, ["instances", "parameters"], "");
  if (err) return err;
  for (const inst of body.instances) if (!isObj(inst) || typeof inst.content !== "string") return "Each instance must have a 'content' string.";
  return null;
}

/** Cohere API v2 wire shapes (https://docs.cohere.com/reference/chat, /reference/embed), as far as the adapter uses them. */

export type CohereContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } }
  | { type: "thinking"; thinking: string }
  | { type: "document"; document: { data: unknown; id?: string } };

export interface CohereToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type CohereMessage =
  | { role: "system"; content: string | Array<{ type: "text"; text: string }> }
  | { role: "user"; content: string | CohereContentPart[] }
  | { role: "assistant"; content?: string | Array<{ type: "text"; text: string }>; tool_calls?: CohereToolCall[]; tool_plan?: string }
  | { role: "tool"; tool_call_id: string; content: string | Array<{ type: "text"; text: string }> };

export interface CohereTool {
  type: "function";
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream?: boolean;
  tools?: CohereTool[];
  strict_tools?: boolean;
  tool_choice?: "REQUIRED" | "NONE";
  max_tokens?: number;
  temperature?: number;
  p?: number;
  k?: number;
  seed?: number;
  stop_sequences?: string[];
  frequency_penalty?: number;
  presence_penalty?: number;
  response_format?: { type: "json_object"; json_schema?: Record<string, unknown> };
  thinking?: { type: "enabled" | "disabled"; token_budget?: number };
}

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

export interface CohereChatResponse {
  id: string;
  finish_reason: string;
  message: {
    role: "assistant";
    content?: CohereContentPart[];
    tool_calls?: CohereToolCall[];
    tool_plan?: string;
    citations?: unknown[];
  };
  usage?: CohereUsage;
  /** Older v2 responses reported usage here. */
  meta?: CohereUsage;
  logprobs?: unknown;
}

/** One `data:` payload of the v2 chat stream; `type` names the event. */
export interface CohereStreamEvent {
  type: string;
  id?: string;
  index?: number;
  delta?: {
    message?: {
      role?: string;
      content?: { type?: string; text?: string; thinking?: string };
      tool_plan?: string;
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } };
    };
    finish_reason?: string;
    usage?: CohereUsage;
    error?: string;
  };
}

export interface CohereEmbedRequest {
  model: string;
  texts: string[];
  input_type: string;
  embedding_types: ["float"];
  output_dimension?: number;
  truncate?: "NONE" | "START" | "END";
}

export interface CohereEmbedResponse {
  id?: string;
  embeddings: { float?: number[][] };
  texts?: string[];
  meta?: { billed_units?: { input_tokens?: number } };
  response_type?: string;
}

/**
 * The parts of Anthropic's Messages API (POST /v1/messages, anthropic-version 2023-06-01) that the
 * adapter reads and writes. Shapes follow Anthropic's API reference; fields the adapter never
 * touches are left out or kept loose.
 */

export const ANTHROPIC_VERSION = "2023-06-01";
export const MESSAGES_PATH = "/v1/messages";
/** Name of the forced tool used to implement OpenAI's JSON mode (response_format). */
export const JSON_TOOL_NAME = "json_response";

export type CacheControl = { type: "ephemeral"; ttl?: "5m" | "1h" };

export type NativeBlock = { type: string; cache_control?: CacheControl; [k: string]: unknown };

export interface NativeMessage {
  role: "user" | "assistant";
  content: string | NativeBlock[];
}

export interface NativeTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: CacheControl;
  [k: string]: unknown;
}

export type NativeToolChoice =
  { type: "auto"; disable_parallel_tool_use?: boolean } | { type: "any"; disable_parallel_tool_use?: boolean } | { type: "tool"; name: string; disable_parallel_tool_use?: boolean } | { type: "none" };

export interface NativeRequest {
  model: string;
  max_tokens: number;
  messages: NativeMessage[];
  system?: string | NativeBlock[];
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  tools?: NativeTool[];
  tool_choice?: NativeToolChoice;
  metadata?: { user_id?: string };
  thinking?: { type: "enabled"; budget_tokens: number } | { type: "disabled" } | { type: "adaptive" } | Record<string, unknown>;
  output_config?: { effort?: string };
  [k: string]: unknown;
}

export interface NativeUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
  [k: string]: unknown;
}

export type NativeContentBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature?: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: string; [k: string]: unknown };

export interface NativeResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: NativeContentBlock[];
  stop_reason: string | null;
  stop_sequence?: string | null;
  usage?: NativeUsage;
}

/** Anthropic's error body: `{"type":"error","error":{"type","message"},"request_id"}`. */
export interface NativeErrorBody {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}

/**
 * The data of one streamed event (message_start, content_block_start / _delta, message_delta,
 * error, ping, …), as far as the adapter reads it. Every field is optional: events differ.
 */
export interface NativeStreamEvent {
  type?: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: NativeUsage };
  content_block?: NativeStreamBlock;
  delta?: NativeStreamDelta;
  usage?: NativeUsage;
}

/** `content_block` of content_block_start: text, thinking, redacted_thinking, tool_use, server tools. */
export interface NativeStreamBlock {
  type?: string;
  text?: string;
  thinking?: string;
  data?: string;
  id?: string;
  name?: string;
}

/** `delta` of content_block_delta (text / thinking / signature / input_json) and of message_delta (stop_reason). */
export interface NativeStreamDelta {
  type?: string;
  text?: string;
  thinking?: string;
  signature?: string;
  partial_json?: string;
  stop_reason?: string | null;
}

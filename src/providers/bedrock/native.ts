/**
 * The parts of Amazon Bedrock Runtime's Converse / ConverseStream API (rest-json, service
 * "bedrock", API version 2023-09-30) and of InvokeModel for embeddings that the adapter reads and
 * writes. Shapes follow the Bedrock API reference (ConverseRequest, ContentBlock, TokenUsage,
 * ConverseStreamOutput); fields the adapter never touches are left out or kept loose.
 */

/** SigV4 signing name of Bedrock Runtime (its endpoint prefix is `bedrock-runtime`). */
export const SIGNING_SERVICE = "bedrock";
export const DEFAULT_REGION = "us-east-1";
export const defaultBaseUrl = (region: string) => `https://bedrock-runtime.${region}.amazonaws.com`;

/** Model ids go into the path URL-encoded (`anthropic.claude-3-5-sonnet-20240620-v1:0` → `...v1%3A0`). */
export const conversePath = (modelId: string, stream: boolean) => `/model/${encodeURIComponent(modelId)}/${stream ? "converse-stream" : "converse"}`;
export const invokePath = (modelId: string) => `/model/${encodeURIComponent(modelId)}/invoke`;

/**
 * Name of the forced tool that carries OpenAI's `response_format: json_schema`; its input is
 * returned to the client as the message content. Requests may not use it as a tool name.
 */
export const JSON_TOOL_NAME = "json_response";

export type ImageFormat = "png" | "jpeg" | "gif" | "webp";

export type ToolResultContent = { text: string } | { json: unknown } | { image: ImageBlock };

export interface ImageBlock {
  format: ImageFormat;
  source: { bytes: string };
}

/** ContentBlock is a union: exactly one member is set. */
export type ContentBlock =
  | { text: string }
  | { image: ImageBlock }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: ToolResultContent[]; status?: "success" | "error" } }
  | { reasoningContent: { reasoningText?: { text: string; signature?: string }; redactedContent?: string } };

export interface Message {
  role: "user" | "assistant";
  content: ContentBlock[];
}

export interface ToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown } };
}

export type ToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ConverseRequest {
  messages: Message[];
  system?: Array<{ text: string }>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ToolSpec[]; toolChoice?: ToolChoice };
  additionalModelRequestFields?: Record<string, unknown>;
}

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export type OutputBlock = {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: unknown };
  reasoningContent?: { reasoningText?: { text?: string; signature?: string }; redactedContent?: string };
};

export interface ConverseResponse {
  output?: { message?: { role: "assistant"; content?: OutputBlock[] } };
  stopReason?: string;
  usage?: TokenUsage;
  metrics?: { latencyMs?: number };
  additionalModelResponseFields?: unknown;
}

/** ConverseStream event payloads, by `:event-type`. */
export interface StreamEvents {
  messageStart: { role: "assistant" };
  contentBlockStart: { contentBlockIndex: number; start?: { toolUse?: { toolUseId: string; name: string } } };
  contentBlockDelta: {
    contentBlockIndex: number;
    delta?: { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string; signature?: string; redactedContent?: string } };
  };
  contentBlockStop: { contentBlockIndex: number };
  messageStop: { stopReason?: string; additionalModelResponseFields?: unknown };
  metadata: { usage?: TokenUsage; metrics?: { latencyMs?: number } };
}

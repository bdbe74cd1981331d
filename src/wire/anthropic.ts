/**
 * Anthropic's Messages API as clients send it to the gateway (POST /v1/messages and
 * /v1/messages/count_tokens, anthropic-version 2023-06-01): the request schema, the response and
 * stream event shapes the gateway writes back, and Anthropic's error envelope.
 *
 * Rules: the top level is closed (a field the gateway cannot translate is refused by name, never
 * dropped silently; gateway extension fields `x-…` are the exception); content blocks are checked
 * by type; `cache_control` is accepted on every block that can carry it.
 */
import { z } from "zod";
import type { ErrorCode, GatewayError } from "../core/errors.js";

/** The API version a request without the `anthropic-version` header gets. */
export const ANTHROPIC_API_VERSION = "2023-06-01";
/**
 * The versions the gateway speaks. 2026-10-21 (what Anthropic's current SDKs send) removes
 * temperature, top_p and top_k and refuses citations on user text blocks; the gateway applies
 * the same rules to requests that name it.
 */
export const ANTHROPIC_API_VERSIONS: readonly string[] = [ANTHROPIC_API_VERSION, "2026-10-21"];
/** Request fields the 2026-10-21 version removed. */
export const REMOVED_IN_2026_10_21: readonly string[] = ["temperature", "top_p", "top_k"];

const cacheControl = z.looseObject({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() });

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: cacheControl.nullish() });
const imageSource = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("base64"), media_type: z.string().min(1), data: z.string().min(1) }),
  z.looseObject({ type: z.literal("url"), url: z.string().min(1) }),
]);
const imageBlock = z.looseObject({ type: z.literal("image"), source: imageSource, cache_control: cacheControl.nullish() });
const documentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.looseObject({ type: z.string() }),
  title: z.string().nullish(),
  context: z.string().nullish(),
  cache_control: cacheControl.nullish(),
});
const toolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()), cache_control: cacheControl.nullish() });
const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion("type", [textBlock, imageBlock]))]).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl.nullish(),
});
const thinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() });
const redactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

const contentBlock = z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock]);

/**
 * A `system` message inside `messages` (Anthropic's SDKs and Claude Code send them) carries text
 * only; it stays where it is in the conversation.
 */
const message = z.union([
  z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(contentBlock)]) }),
  z.strictObject({ role: z.literal("system"), content: z.union([z.string(), z.array(textBlock)]) }),
]);

const tool = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.string().optional() }),
  type: z.string().nullish(),
  cache_control: cacheControl.nullish(),
});

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
]);

const thinking = z.discriminatedUnion("type", [
  z.object({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1024) }),
  z.object({ type: z.literal("disabled") }),
  z.object({ type: z.literal("adaptive") }),
]);

const messagesFields = {
  model: z.string().min(1),
  messages: z.array(message).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
};

export const messagesRequestSchema = z.object({
  ...messagesFields,
  max_tokens: z.number().int().positive(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
  stream: z.boolean().optional(),
  thinking: thinking.optional(),
  service_tier: z.enum(["auto", "standard_only"]).optional(),
});

/** Block types the gateway reads; others (server tool results, search results, …) pass through natively only. */
const KNOWN_BLOCKS: ReadonlySet<string> = new Set(["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"]);
const otherBlock = z.looseObject({ type: z.string().min(1) }).refine((b) => !KNOWN_BLOCKS.has(b.type), { message: "malformed content block" });

/**
 * A Messages request as native pass-through takes it: the top level open (fields newer than the
 * gateway go upstream as they are), blocks of other types and server tools accepted; the blocks
 * and fields the gateway reads still checked as in `messagesRequestSchema`.
 */
export const lenientMessagesRequestSchema = z.looseObject({
  ...messagesRequestSchema.shape,
  messages: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(z.union([contentBlock, otherBlock]))]) })).min(1),
  tools: z.array(z.union([tool, z.looseObject({ type: z.string().min(1), name: z.string().min(1) })])).optional(),
});

/** count_tokens takes the prompt side of a Messages request: no max_tokens, no sampling. */
export const countTokensRequestSchema = z.object({ ...messagesFields, thinking: thinking.optional() });

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type MessageParam = z.infer<typeof message>;
export type ContentBlockParam = z.infer<typeof contentBlock>;
export type ToolParam = z.infer<typeof tool>;
export type ToolChoiceParam = z.infer<typeof toolChoice>;

/** Top-level fields a request may carry; anything else (but `x-…` extensions) is refused by name. */
export function unknownTopLevelFields(raw: Record<string, unknown>, schema: z.ZodObject): string[] {
  const known = schema.shape;
  const unknown: string[] = [];
  for (const k of Object.keys(raw)) if (!(k in known) && !k.startsWith("x-")) unknown.push(k);
  return unknown;
}

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "refusal";

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

export type ResponseBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

export interface MessagesResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
}

export interface AnthropicErrorEnvelope {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}

/**
 * Anthropic's error type for each gateway error code. Statuses stay the gateway's own; the
 * types are those Anthropic's SDKs know: a budget is `billing_error` (HTTP 402, as Anthropic's
 * own billing refusals), a gateway that cannot serve now is `overloaded_error`, a timeout
 * `timeout_error`.
 */
const ANTHROPIC_TYPES: Record<ErrorCode, string> = {
  invalid_request: "invalid_request_error",
  invalid_api_key: "authentication_error",
  budget_exceeded: "billing_error",
  model_not_priced: "invalid_request_error",
  permission_denied: "permission_error",
  guardrail_blocked: "permission_error",
  model_not_found: "not_found_error",
  context_length_exceeded: "invalid_request_error",
  not_found: "not_found_error",
  method_not_allowed: "invalid_request_error",
  conflict: "invalid_request_error",
  request_too_large: "request_too_large",
  rate_limit_exceeded: "rate_limit_error",
  internal_error: "api_error",
  upstream_error: "api_error",
  upstream_auth_error: "api_error",
  no_healthy_deployment: "overloaded_error",
  not_ready: "overloaded_error",
  starting: "overloaded_error",
  upstream_timeout: "timeout_error",
  client_disconnected: "api_error",
};

export function anthropicErrorType(code: ErrorCode): string {
  return ANTHROPIC_TYPES[code];
}

/**
 * The error type and message an Anthropic-speaking upstream gave (native pass-through), kept with
 * the GatewayError made of it so that the client's envelope carries them unchanged.
 */
export const UPSTREAM_ERROR = new WeakMap<GatewayError, { type: string; message: string }>();

export function anthropicEnvelope(e: GatewayError, requestId?: string): AnthropicErrorEnvelope {
  const upstream = UPSTREAM_ERROR.get(e);
  const body: AnthropicErrorEnvelope = { type: "error", error: upstream ? { type: upstream.type, message: upstream.message } : { type: anthropicErrorType(e.code), message: e.message } };
  if (requestId) body.request_id = requestId;
  return body;
}

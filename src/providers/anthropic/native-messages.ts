/**
 * The Messages API passed through natively (see docs/architecture.md, "Native pass-through"):
 * the client's own body goes to Anthropic with only `model` replaced, the answer comes back as it
 * is. Shared with Claude on Bedrock and Vertex AI: usage read from a Message and from the stream
 * events (message_start, message_delta), error events with Anthropic's type and message kept,
 * `anthropic-beta` flags merged.
 */
import { GatewayError } from "../../core/errors.js";
import type { Usage } from "../../wire/openai.js";
import type { NativeEvent, NativeStreamState, NativeWire } from "../types.js";
import { errorFromResponse, keepAnthropicError, nativeErrorFromResponse, streamError } from "./errors.js";
import type { NativeUsage } from "./native.js";
import { mergeUsage, toOpenAIUsage } from "./usage.js";

/** The usage of a Message body, as canonical usage (cache reads and writes included in the prompt). */
export function messageUsage(body: unknown): Usage | undefined {
  const u = (body as { usage?: NativeUsage } | null)?.usage;
  return u && typeof u === "object" ? toOpenAIUsage(u) : undefined;
}

interface MessagesStreamData {
  usage?: NativeUsage;
  stopped?: boolean;
}

function streamData(state: NativeStreamState): MessagesStreamData {
  return ((state.data.messages as MessagesStreamData | undefined) ??= {});
}

function parse(data: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(data);
    if (v && typeof v === "object") return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new GatewayError("upstream_error", "the upstream sent a stream event that is not JSON", { retryable: false });
}

/**
 * One Anthropic stream event, named `name`, with its JSON text: relayed as it is. message_start
 * and message_delta are read for usage (the later report's non-null fields win); an `error`
 * event throws its GatewayError with Anthropic's type and message kept; message_stop marks the
 * stream complete. `parsed` is given when the caller has parsed the event already (Bedrock).
 */
export function foldMessagesEvent(provider: string, secrets: string[], name: string, data: string, state: NativeStreamState, parsed?: Record<string, unknown>): NativeEvent {
  switch (name) {
    case "message_start": {
      const s = streamData(state);
      const m = (parsed ?? parse(data)).message as { usage?: NativeUsage } | undefined;
      s.usage = mergeUsage(s.usage, m?.usage);
      state.usage = toOpenAIUsage(s.usage);
      break;
    }
    case "message_delta": {
      const s = streamData(state);
      s.usage = mergeUsage(s.usage, (parsed ?? parse(data)).usage as NativeUsage | undefined);
      state.usage = toOpenAIUsage(s.usage);
      break;
    }
    case "message_stop":
      streamData(state).stopped = true;
      break;
    case "error": {
      const body = parsed ?? parse(data);
      throw keepAnthropicError(streamError(provider, body, secrets), body, secrets);
    }
  }
  return { event: name, data };
}

/** An event's `type` (Anthropic's events name themselves in their data too). */
export const typeName = (data: Record<string, unknown>): string => (typeof data.type === "string" ? data.type : "");

export const messagesStreamComplete = (state: NativeStreamState): boolean => streamData(state).stopped === true;

/** `anthropic-beta` flags: the configured ones, then the client's, each once. */
export function mergeBetas(configured: readonly string[], client: readonly string[] | undefined): string[] {
  const out = [...configured];
  for (const b of client ?? []) if (!out.includes(b)) out.push(b);
  return out;
}

/** The Messages API to Anthropic itself: POST {base}/v1/messages with the client's body. */
export function anthropicNativeMessages(provider: string, secrets: string[], path: string, configuredBetas: readonly string[]): NativeWire {
  return {
    accepts: () => true,
    request(r) {
      const body = { ...r.body, model: r.model };
      const betas = mergeBetas(configuredBetas, r.betas);
      const headers: Record<string, string> = {};
      if (betas.length) headers["anthropic-beta"] = betas.join(",");
      return { path, headers, body };
    },
    usage: messageUsage,
    streamEvent: (ev, state) => foldMessagesEvent(provider, secrets, ev.event ?? typeName(parse(ev.data)), ev.data, state),
    streamComplete: messagesStreamComplete,
    error: (status, body, headers) => nativeErrorFromResponse(errorFromResponse(provider, status, body, headers, secrets), body, secrets),
  };
}

/** The configured `anthropic_beta` setting as a list (a string may hold several, comma-separated). */
export function configuredBetas(value: unknown): string[] {
  const list = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value.map(String) : [];
  return list.map((b) => b.trim()).filter(Boolean);
}

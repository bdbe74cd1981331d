import type { ChatRequest, EmbeddingsRequest } from "../../wire/openai.js";
import type { UpstreamRequest } from "../types.js";

export interface OpenAIWireOptions {
  /** Whether the server understands `stream_options.include_usage` (most OpenAI-compatible servers do). */
  streamUsage: boolean;
  chatPath: string;
  embeddingsPath: string;
}

/** The canonical request is OpenAI's own; streams always ask for usage when the server supports it. */
export function chatRequest(req: ChatRequest, stream: boolean, o: OpenAIWireOptions): UpstreamRequest {
  let body: ChatRequest = req;
  if (stream) {
    body = { ...req, stream: true };
    if (o.streamUsage) body.stream_options = { ...(req.stream_options ?? {}), include_usage: true };
  } else if (req.stream !== undefined || req.stream_options !== undefined) {
    body = { ...req };
    delete body.stream;
    delete body.stream_options;
  }
  return { path: o.chatPath, headers: {}, body };
}

export function embeddingsRequest(req: EmbeddingsRequest, o: OpenAIWireOptions): UpstreamRequest {
  return { path: o.embeddingsPath, headers: {}, body: req };
}

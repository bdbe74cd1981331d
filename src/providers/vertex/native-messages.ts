/**
 * The Messages API passed through natively to Claude on Vertex AI (see docs/architecture.md,
 * "Native pass-through"): `publishers/anthropic/models/{model}:rawPredict` and
 * `:streamRawPredict` take Anthropic's Messages body, as Vertex documents it: without `model`
 * (the path names it), with `anthropic_version: "vertex-2023-10-16"`, and `anthropic-beta` flags
 * as the body's `anthropic_beta` list. Answers, stream events and model errors are Anthropic's
 * own; errors of Vertex itself (Google's shape) are mapped as for Gemini.
 */
import { nativeErrorFromResponse } from "../anthropic/errors.js";
import { foldMessagesEvent, messagesStreamComplete, messageUsage } from "../anthropic/native-messages.js";
import { errorFromResponse } from "../gemini/errors.js";
import type { NativeWire } from "../types.js";
import { modelPath, type VertexLocation } from "./to-upstream.js";

export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";
const ANTHROPIC_MODELS = "publishers/anthropic/models/";

/** Claude on Vertex: `claude-…` names (`claude-sonnet-4-5@20250929`), or the full publisher path. */
export const isVertexClaude = (model: string) => model.startsWith("claude-") || model.startsWith(ANTHROPIC_MODELS);

export function vertexNativeMessages(provider: string, loc: VertexLocation): NativeWire {
  return {
    accepts: isVertexClaude,
    request(r) {
      const { model: _model, ...rest } = r.body;
      const body: Record<string, unknown> = { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
      if (r.betas?.length) body.anthropic_beta = [...r.betas];
      const path = modelPath(loc, r.model.startsWith(ANTHROPIC_MODELS) ? r.model : ANTHROPIC_MODELS + r.model);
      return { path: `${path}:${r.stream ? "streamRawPredict" : "rawPredict"}`, headers: {}, body };
    },
    usage: messageUsage,
    streamEvent: (ev, state) => foldMessagesEvent(provider, [], ev.event ?? "", ev.data, state),
    streamComplete: messagesStreamComplete,
    error: (status, body, headers) => nativeErrorFromResponse(errorFromResponse(provider, status, body, headers, []), body, []),
  };
}

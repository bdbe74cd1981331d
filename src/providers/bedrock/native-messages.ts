/**
 * The Messages API passed through natively to Claude on Bedrock (see docs/architecture.md,
 * "Native pass-through"): InvokeModel (`/model/{id}/invoke`) and InvokeModelWithResponseStream
 * (`/model/{id}/invoke-with-response-stream`) take Anthropic's Messages body, as Bedrock
 * documents it: without `model` (the path names it) and `stream` (the path says it), with
 * `anthropic_version: "bedrock-2023-05-31"`, and `anthropic-beta` flags as the body's
 * `anthropic_beta` list. The answer is Anthropic's Message; the stream's `chunk` events carry
 * Anthropic's stream events, base64-encoded, which are relayed decoded as Anthropic's SSE events.
 */
import { GatewayError } from "../../core/errors.js";
import { foldMessagesEvent, messagesStreamComplete, messageUsage, typeName } from "../anthropic/native-messages.js";
import type { NativeWire } from "../types.js";
import { errorFromResponse, streamError } from "./errors.js";
import { invokePath } from "./native.js";
import { isAnthropicModel } from "./to-upstream.js";

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";

const invokeStreamPath = (modelId: string) => `/model/${encodeURIComponent(modelId)}/invoke-with-response-stream`;

export function bedrockNativeMessages(provider: string, secrets: string[]): NativeWire {
  return {
    accepts: isAnthropicModel,
    request(r) {
      const { model: _model, stream: _stream, ...rest } = r.body;
      const body: Record<string, unknown> = { anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...rest };
      if (r.betas?.length) body.anthropic_beta = [...r.betas];
      return { path: r.stream ? invokeStreamPath(r.model) : invokePath(r.model), headers: {}, body };
    },
    usage: messageUsage,
    streamFormat: "aws-eventstream",
    streamEvent(ev, state) {
      const name = ev.event ?? "";
      if (name !== "chunk") {
        if (name.startsWith("exception:") || name.startsWith("error:")) throw streamError(provider, name, ev.data, secrets);
        return null;
      }
      let data: string;
      let parsed: Record<string, unknown>;
      try {
        const bytes = (JSON.parse(ev.data) as { bytes?: unknown }).bytes;
        if (typeof bytes !== "string") throw new Error("no bytes");
        data = Buffer.from(bytes, "base64").toString("utf8");
        parsed = JSON.parse(data) as Record<string, unknown>;
      } catch {
        throw new GatewayError("upstream_error", `${provider} sent a stream chunk that is not an Anthropic event`, { retryable: false });
      }
      return foldMessagesEvent(provider, secrets, typeName(parsed), data, state, parsed);
    },
    streamComplete: messagesStreamComplete,
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
  };
}

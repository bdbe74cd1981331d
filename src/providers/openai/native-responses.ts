/**
 * OpenAI's Responses API passed through natively (see docs/architecture.md, "Native
 * pass-through"): POST {base}/responses with the body the pipeline built from the client's own
 * (only `model` replaced there; the gateway's conversation rule is in docs/responses.md), the
 * Response and its stream events relayed as they come. Usage is read from the Response and from
 * the terminal events (response.completed, response.incomplete, response.failed); an `error`
 * event throws.
 */
import { GatewayError } from "../../core/errors.js";
import type { Usage } from "../../wire/openai.js";
import { upstreamError } from "../errors.js";
import type { NativeStreamState, NativeWire, WireAdapter } from "../types.js";

interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** A Response's usage as canonical usage (cached tokens are part of the input, reasoning of the output). */
export function responsesUsage(u: ResponsesUsage | null | undefined): Usage | undefined {
  if (!u || typeof u !== "object") return undefined;
  const prompt = num(u.input_tokens);
  const completion = num(u.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: num(u.input_tokens_details?.cached_tokens) },
    completion_tokens_details: { reasoning_tokens: num(u.output_tokens_details?.reasoning_tokens) },
  };
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

function parse(data: string): Record<string, unknown> {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    throw new GatewayError("upstream_error", "the upstream sent a stream event that is not JSON", { retryable: false });
  }
}

export function openAINativeResponses(provider: string, secrets: string[]): NativeWire {
  return {
    accepts: () => true,
    request: (r) => ({ path: "/responses", headers: {}, body: { ...r.body, model: r.model } }),
    usage: (body) => responsesUsage((body as { usage?: ResponsesUsage } | null)?.usage),
    streamEvent(ev, state: NativeStreamState) {
      const name = ev.event ?? "";
      if (name === "error") {
        const e = parse(ev.data) as { message?: unknown; code?: unknown };
        throw upstreamError(provider, 500, `${typeof e.code === "string" ? e.code + ": " : ""}${typeof e.message === "string" ? e.message : "stream error"}`, {}, secrets);
      }
      if (TERMINAL.has(name) || (!ev.event && TERMINAL.has(String(parse(ev.data).type)))) {
        const response = parse(ev.data).response as { usage?: ResponsesUsage } | undefined;
        state.usage = responsesUsage(response?.usage);
        state.data.ended = true;
      }
      return { event: name || String(parse(ev.data).type), data: ev.data };
    },
    streamComplete: (state) => state.data.ended === true,
  };
}

/** The OpenAI adapter with the Responses API spoken natively (OpenAI's own API only, not every compatible server). */
export function withNativeResponses(wire: WireAdapter, provider: string, secrets: string[]): WireAdapter {
  return { ...wire, native: { ...wire.native, responses: openAINativeResponses(provider, secrets) } };
}

/**
 * What the benchmark sends: the same small conversation as an OpenAI chat completion
 * (direct, pass-through, gateway) or as an Anthropic Messages request (`messages`: the same
 * gateway's `/v1/messages`, translated to the same upstream call), and the sanity request that
 * checks a target answers it before it is measured.
 */
import { request } from "undici";
import type { Mode, Target } from "./report.js";

export const MODEL = "bench:gpt-4o-mini";

const SYSTEM = "You are a helpful assistant.";
const PROMPT = "Say hello to the benchmark.";

/** The request path of a target. */
export function targetPath(target: Target): string {
  return target === "messages" ? "/v1/messages" : "/v1/chat/completions";
}

/** Headers a target's requests carry besides authentication. */
export function targetHeaders(target: Target): Record<string, string> {
  return target === "messages" ? { "anthropic-version": "2023-06-01" } : {};
}

/** The JSON body of one request to a target. */
export function requestBody(target: Target, mode: Mode): string {
  const stream = mode === "stream" ? { stream: true } : {};
  if (target === "messages") {
    return JSON.stringify({ model: MODEL, system: SYSTEM, messages: [{ role: "user", content: PROMPT }], max_tokens: 64, ...stream });
  }
  return JSON.stringify({
    model: MODEL,
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: PROMPT },
    ],
    max_tokens: 64,
    ...stream,
  });
}

/** One request of the target's shape; a problem found, or undefined when it answered properly. */
export async function sanityCheck(port: number, target: Target, mode: Mode, headers: Record<string, string>): Promise<string | undefined> {
  try {
    const r = await request(`http://127.0.0.1:${port}${targetPath(target)}`, {
      method: "POST",
      headers: { ...headers, ...targetHeaders(target), "content-type": "application/json" },
      body: requestBody(target, mode),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await r.body.text();
    if (r.statusCode !== 200) return `HTTP ${r.statusCode}: ${text.slice(0, 300)}`;
    if (target === "messages") {
      if (mode === "stream") return text.includes("event: message_stop\n") ? undefined : `stream had no message_stop event: ${text.slice(-200)}`;
      const m = JSON.parse(text) as { type?: string; content?: unknown[] };
      return m.type === "message" && Array.isArray(m.content) && m.content.length > 0 ? undefined : `not a message with content: ${text.slice(0, 200)}`;
    }
    if (mode === "stream") return text.endsWith("data: [DONE]\n\n") ? undefined : `stream did not end with [DONE]: ${text.slice(-200)}`;
    const j = JSON.parse(text) as { choices?: unknown[] };
    return Array.isArray(j.choices) && j.choices.length > 0 ? undefined : `no choices in ${text.slice(0, 200)}`;
  } catch (e) {
    return (e as Error).message;
  }
}

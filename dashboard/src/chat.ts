/** A streaming chat completion through the gateway's OpenAI-compatible API. */
import { sseData } from "./sse";

export interface ChatMessage {
  role: "user" | "assistant" | "system";
  content: string;
}

export interface ChatResult {
  text: string;
  requestId: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  ttftMs: number | null;
  totalMs: number;
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  error?: { message?: string };
}

export async function streamChat(key: string, model: string, messages: ChatMessage[], onText: (text: string) => void, signal: AbortSignal): Promise<ChatResult> {
  const started = performance.now();
  const res = await fetch("/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  const requestId = res.headers.get("x-switchboard-request-id");
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => null)) as Chunk | null;
    throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  }
  let text = "";
  let ttftMs: number | null = null;
  let usage: ChatResult["usage"] = null;
  for await (const data of sseData(res.body)) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data) as Chunk;
    if (chunk.error) throw new Error(chunk.error.message ?? "the stream failed");
    const piece = chunk.choices?.[0]?.delta?.content;
    if (piece) {
      ttftMs ??= performance.now() - started;
      text += piece;
      onText(text);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, requestId, usage, ttftMs, totalMs: performance.now() - started };
}

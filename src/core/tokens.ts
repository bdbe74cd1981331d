/**
 * Token estimates, used only when a provider reports no usage (and by the mock provider).
 * The tokenizer costs ~70 MB and ~0.3 s to load, so it is loaded on first use only.
 */
type Counter = (text: string) => number;
let counter: Promise<Counter> | null = null;

function load(): Promise<Counter> {
  counter ??= import("gpt-tokenizer/encoding/o200k_base").then((m) => (text: string) => m.countTokens(text));
  return counter;
}

export async function countTokens(text: string): Promise<number> {
  if (!text) return 0;
  return (await load())(text);
}

/** Text of a message's content, whatever its form (string or content parts). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : "")).join("");
  }
  return "";
}

/** Estimated prompt tokens of a chat request: content + ~4 tokens of framing per message. */
export async function estimatePromptTokens(messages: ReadonlyArray<{ content?: unknown; tool_calls?: unknown }>, tools?: unknown): Promise<number> {
  let text = "";
  for (const m of messages) {
    text += contentText(m.content) + "\n";
    if (m.tool_calls) text += JSON.stringify(m.tool_calls);
  }
  if (tools) text += JSON.stringify(tools);
  return (await countTokens(text)) + messages.length * 4 + 3;
}

/**
 * Token estimates, used only when a provider reports no usage (and by the mock provider), and
 * token bounds for budget reservations. The tokenizer costs ~70 MB and ~0.3 s to load, so it
 * is loaded on first use only.
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

type PromptMessages = ReadonlyArray<{ content?: unknown; tool_calls?: unknown }>;

/** Estimated prompt tokens of a chat request: content + ~4 tokens of framing per message. */
export async function estimatePromptTokens(messages: PromptMessages, tools?: unknown): Promise<number> {
  return (await countTokens(promptText(messages, tools))) + framingTokens(messages);
}

/**
 * An upper bound of `estimatePromptTokens`, without the tokenizer: a byte-level BPE token
 * always stands for at least one byte, so a text has at most as many tokens as UTF-8 bytes.
 * Costs a byte count instead of a tokenization (and never loads the tokenizer).
 */
export function promptTokenBound(messages: PromptMessages, tools?: unknown): number {
  return Buffer.byteLength(promptText(messages, tools), "utf8") + framingTokens(messages);
}

/** An upper bound of `countTokens(text)`, as `promptTokenBound`. */
export function tokenBound(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function promptText(messages: PromptMessages, tools: unknown): string {
  let text = "";
  for (const m of messages) {
    text += contentText(m.content) + "\n";
    if (m.tool_calls) text += JSON.stringify(m.tool_calls);
  }
  if (tools) text += JSON.stringify(tools);
  return text;
}

function framingTokens(messages: PromptMessages): number {
  return messages.length * 4 + 3;
}

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

/**
 * Longest piece of text tokenized at once. The tokenizer merges a run without spaces (CJK text,
 * a long "word") in time quadratic in its length: 20,000 random CJK characters given whole take
 * ~2 s, and a request body holds megabytes. In pieces of this size the work is linear, and a
 * piece boundary adds at most about one token (~0.2% on ordinary text).
 */
const PIECE_CHARS = 512;
/** Pieces tokenized between two yields to the event loop (~8 KB of text, a few ms at most). */
const PIECES_PER_TURN = 16;

export async function countTokens(text: string): Promise<number> {
  if (!text) return 0;
  const count = await load();
  if (text.length <= PIECE_CHARS) return count(text);
  let n = 0;
  for (let i = 0, pieces = 0; i < text.length; pieces++) {
    let end = Math.min(i + PIECE_CHARS, text.length);
    // Never split a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    n += count(text.slice(i, end));
    i = end;
    if (pieces % PIECES_PER_TURN === PIECES_PER_TURN - 1) await new Promise<void>((r) => setImmediate(r));
  }
  return n;
}

/** Text of a message's content, whatever its form (string or content parts). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map(partText).join("");
  }
  return "";
}

/** A content part's text: `text`, or an assistant's `refusal`. */
function partText(p: unknown): string {
  if (!p || typeof p !== "object") return "";
  const { text, refusal } = p as { text?: unknown; refusal?: unknown };
  return typeof text === "string" ? text : typeof refusal === "string" ? refusal : "";
}

type PromptMessages = ReadonlyArray<{ content?: unknown; tool_calls?: unknown; name?: unknown; function_call?: unknown; audio?: unknown }>;

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

/**
 * Tokens one image in a prompt may count for, at most, for models the catalog gives no figure
 * of their own. Providers count an image by its size: OpenAI's tiled models at most 1,445 (high
 * detail, 85 + 8 tiles × 170) and its patch-based ones at most 1,536 patches × their multiplier
 * (≤ 2.46: 3,779), Anthropic about 1,600 (images are scaled to ≤ 1.15 megapixels), Gemini 258 per
 * 768-pixel tile (1,120 at its highest media resolution). 4,096 covers each of these.
 */
export const IMAGE_TOKEN_BOUND = 4096;

/** What a prompt holds besides text, for bounding its tokens without reading media. */
export interface PromptMedia {
  /** Image parts (`image_url`, `input_image`, `image`). */
  images: number;
  /**
   * UTF-8 bytes of inline audio parts (`input_audio`): a bound of their tokens, as for text
   * (audio is tokenized at tens of tokens per second, its encoding takes thousands of bytes).
   */
  audioBytes: number;
  /**
   * Types of the parts whose tokens the request does not bound (a file, which may be a long
   * document and may be given by reference, or a part type the gateway does not know).
   */
  unbounded: string[];
}

const IMAGE_PARTS = new Set(["image_url", "input_image", "image"]);
const AUDIO_PARTS = new Set(["input_audio"]);

/** Counts the non-text parts of a chat prompt (text parts and `refusal` parts are text). */
export function promptMedia(messages: PromptMessages): PromptMedia {
  const media: PromptMedia = { images: 0, audioBytes: 0, unbounded: [] };
  for (const m of messages) {
    // An assistant message's earlier audio answer, by reference: its length is not in the request.
    if (m.audio) media.unbounded.push("audio");
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content as unknown[]) {
      const type = part && typeof part === "object" ? (part as { type?: unknown }).type : undefined;
      if (type === "text" || type === "input_text" || type === "refusal") continue;
      if (typeof type === "string" && IMAGE_PARTS.has(type)) media.images++;
      else if (typeof type === "string" && AUDIO_PARTS.has(type)) media.audioBytes += Buffer.byteLength(JSON.stringify(part), "utf8");
      else media.unbounded.push(String(type));
    }
  }
  return media;
}

/** Embeddings input: a text, texts, a token array or token arrays. */
export type EmbeddingsInput = string | readonly string[] | readonly number[] | ReadonlyArray<readonly number[]>;

/**
 * Tokens of an embeddings input: token arrays count exactly (one token per number); texts are
 * bounded by their UTF-8 bytes (`bound`) or counted with the tokenizer, one text at a time.
 */
export function embeddingsTokenBound(input: EmbeddingsInput): number {
  if (typeof input === "string") return tokenBound(input);
  let n = 0;
  for (const item of input) n += typeof item === "string" ? tokenBound(item) : typeof item === "number" ? 1 : item.length;
  return n;
}

export async function countEmbeddingsTokens(input: EmbeddingsInput): Promise<number> {
  if (typeof input === "string") return countTokens(input);
  let n = 0;
  for (const item of input) n += typeof item === "string" ? await countTokens(item) : typeof item === "number" ? 1 : item.length;
  return n;
}

function promptText(messages: PromptMessages, tools: unknown): string {
  let text = "";
  for (const m of messages) {
    text += contentText(m.content) + "\n";
    if (typeof m.name === "string") text += m.name;
    if (m.tool_calls) text += JSON.stringify(m.tool_calls);
    if (m.function_call) text += JSON.stringify(m.function_call);
  }
  if (tools) text += JSON.stringify(tools);
  return text;
}

function framingTokens(messages: PromptMessages): number {
  return messages.length * 4 + 3;
}

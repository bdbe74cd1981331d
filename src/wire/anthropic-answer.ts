/**
 * Canonical (OpenAI chat) answers as Anthropic's Messages API: a chat completion as a Message,
 * and the canonical chunk stream as Anthropic's event sequence (message_start, content blocks
 * with their deltas, message_delta with usage and stop_reason, message_stop). Pure functions,
 * shared by the gateway's /v1/messages and the library's `messages()`.
 */
import type { ChatChunk, ChatCompletion, Usage } from "./openai.js";
import type { MessagesResponse, MessagesUsage, ResponseBlock, StopReason } from "./anthropic.js";

/** Takes one named stream event; a returned promise makes the sender wait (the client is not keeping up). */
export type EventSink = (event: string, data: object) => Promise<void> | void;

/** Takes one canonical chunk; a returned promise makes the sender wait. */
export type ChunkSink = (chunk: ChatChunk) => Promise<void> | void;

/** OpenAI's finish_reason → Anthropic's stop_reason; a matched stop sequence only when the provider names it. */
function stopReason(finish: string | null | undefined, matched: string | null): StopReason | null {
  if (finish === null || finish === undefined) return null;
  if (finish === "length") return "max_tokens";
  if (finish === "tool_calls" || finish === "function_call") return "tool_use";
  if (finish === "content_filter") return "refusal";
  return matched === null ? "end_turn" : "stop_sequence";
}

/**
 * The stop sequence that ended the answer, when the provider says which: vLLM and servers like it
 * put the matched string in `choices[].stop_reason`. OpenAI's own `finish_reason: "stop"` does
 * not tell a stop sequence from a natural end, and is reported as `end_turn`.
 */
function matchedStop(choice: Record<string, unknown> | undefined, stops: readonly string[] | undefined): string | null {
  const s = choice?.stop_reason;
  return typeof s === "string" && stops?.includes(s) ? s : null;
}

export function toMessagesUsage(u: Usage | null | undefined): MessagesUsage {
  const prompt = u?.prompt_tokens ?? 0;
  const cacheRead = num(u?.prompt_tokens_details?.cached_tokens);
  const cacheWrite = num(u?.prompt_tokens_details?.cache_creation_tokens);
  return {
    input_tokens: Math.max(0, prompt - cacheRead - cacheWrite),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** A tool call's arguments as the object Anthropic's `input` is; arguments that are not a JSON object are reported, not invented. */
function toolInput(args: string, name: string, warnings: string[]): Record<string, unknown> {
  if (args.trim() === "") return {};
  try {
    const v: unknown = JSON.parse(args);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  warnings.push(`the arguments the model gave tool "${name}" are not a JSON object; sent as {"arguments": <the text>}`);
  return { arguments: args };
}

/** A canonical chat completion as a Message. */
/** `id`: the Message id; `stops`: the request's stop sequences; `warnings` is told what could not be carried as given. */
export function toMessagesResponse(c: ChatCompletion, id: string, stops: readonly string[] | undefined, warnings: string[]): MessagesResponse {
  const choice = c.choices[0] as (ChatCompletion["choices"][number] & Record<string, unknown>) | undefined;
  const msg = choice?.message;
  const content: ResponseBlock[] = [];
  const blocks = msg?.thinking_blocks;
  if (Array.isArray(blocks) && blocks.length) {
    for (const b of blocks as Array<Record<string, unknown>>) {
      if (b.type === "thinking") content.push({ type: "thinking", thinking: str(b.thinking), signature: str(b.signature) });
      else if (b.type === "redacted_thinking") content.push({ type: "redacted_thinking", data: str(b.data) });
    }
  } else if (typeof msg?.reasoning_content === "string" && msg.reasoning_content) {
    content.push({ type: "thinking", thinking: msg.reasoning_content, signature: "" });
  }
  const text = typeof msg?.content === "string" ? msg.content : (msg?.refusal ?? "");
  if (text) content.push({ type: "text", text });
  for (const tc of msg?.tool_calls ?? []) content.push({ type: "tool_use", id: tc.id, name: tc.function.name, input: toolInput(tc.function.arguments, tc.function.name, warnings) });
  const matched = matchedStop(choice, stops);
  return {
    id,
    type: "message",
    role: "assistant",
    model: c.model,
    content,
    stop_reason: stopReason(choice?.finish_reason, matched),
    stop_sequence: matched,
    usage: toMessagesUsage(c.usage),
  };
}

type OpenBlock = "text" | "thinking" | "tool" | null;

/**
 * Canonical chunks → Anthropic's stream events: message_start and a ping first, then for each
 * content block content_block_start, its deltas (text_delta, thinking_delta, signature_delta,
 * input_json_delta) and content_block_stop; at the end message_delta (stop_reason, usage) and
 * message_stop. One block is open at a time: a change of kind (text → tool call) closes it.
 */
export class MessagesStreamTranslator {
  private started = false;
  private open: OpenBlock = null;
  private nextIndex = 0;
  /** Block index of each canonical tool call, for deltas that come back to an earlier call. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: string | null = null;
  private matched: string | null = null;
  private usage: Usage | null | undefined;
  private model = "";
  private wait: Promise<void> | undefined = undefined;

  constructor(
    private readonly send: EventSink,
    private readonly id: string,
    private readonly stops: readonly string[] | undefined,
  ) {}

  /** Takes one canonical chunk; returns a promise while the client is not keeping up. */
  readonly chunk: ChunkSink = (c) => {
    this.wait = undefined;
    if (!this.started) this.start(c.model);
    if (c.usage) this.usage = c.usage;
    const choice = c.choices[0] as (ChatChunk["choices"][number] & Record<string, unknown>) | undefined;
    if (!choice) return this.wait;
    const d = choice.delta;
    if (typeof d.reasoning_content === "string" && d.reasoning_content) {
      this.ensure("thinking", { type: "thinking", thinking: "", signature: "" });
      this.emit("content_block_delta", { type: "content_block_delta", index: this.nextIndex - 1, delta: { type: "thinking_delta", thinking: d.reasoning_content } });
    }
    if (Array.isArray(d.thinking_blocks)) this.thinkingBlocks(d.thinking_blocks as Array<Record<string, unknown>>);
    const text = typeof d.content === "string" && d.content ? d.content : typeof d.refusal === "string" ? d.refusal : "";
    if (text) {
      this.ensure("text", { type: "text", text: "" });
      this.emit("content_block_delta", { type: "content_block_delta", index: this.nextIndex - 1, delta: { type: "text_delta", text } });
    }
    for (const tc of d.tool_calls ?? []) this.toolDelta(tc.index, tc.id, tc.function?.name, tc.function?.arguments);
    if (choice.finish_reason) {
      this.finish = choice.finish_reason;
      this.matched = matchedStop(choice, this.stops);
    }
    return this.wait;
  };

  /** Closes the open block and sends message_delta and message_stop. */
  async end(): Promise<void> {
    if (!this.started) this.start("");
    this.close();
    const u = toMessagesUsage(this.usage);
    this.emit("message_delta", {
      type: "message_delta",
      delta: { stop_reason: stopReason(this.finish ?? "stop", this.matched), stop_sequence: this.matched },
      usage: { input_tokens: u.input_tokens, output_tokens: u.output_tokens, cache_creation_input_tokens: u.cache_creation_input_tokens, cache_read_input_tokens: u.cache_read_input_tokens },
    });
    this.emit("message_stop", { type: "message_stop" });
    if (this.wait) await this.wait;
  }

  private start(model: string): void {
    this.started = true;
    this.model = model;
    // Input tokens are known only once the provider reports usage; the final message_delta carries them.
    this.emit("message_start", {
      type: "message_start",
      message: {
        id: this.id,
        type: "message",
        role: "assistant",
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null },
      },
    });
    this.emit("ping", { type: "ping" });
  }

  private thinkingBlocks(blocks: Array<Record<string, unknown>>): void {
    for (const b of blocks) {
      if (b.type === "thinking" && typeof b.signature === "string" && this.open === "thinking") {
        this.emit("content_block_delta", { type: "content_block_delta", index: this.nextIndex - 1, delta: { type: "signature_delta", signature: b.signature } });
      } else if (b.type === "redacted_thinking") {
        this.close();
        const index = this.nextIndex++;
        this.emit("content_block_start", { type: "content_block_start", index, content_block: { type: "redacted_thinking", data: str(b.data) } });
        this.emit("content_block_stop", { type: "content_block_stop", index });
      }
    }
  }

  private toolDelta(toolIndex: number, id: string | undefined, name: string | undefined, args: string | undefined): void {
    let index = this.toolBlocks.get(toolIndex);
    if (index === undefined) {
      this.close();
      index = this.nextIndex++;
      this.toolBlocks.set(toolIndex, index);
      this.open = "tool";
      this.emit("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: id ?? `toolu_${this.id}_${toolIndex}`, name: name ?? "", input: {} } });
    }
    if (args) this.emit("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args } });
  }

  /** Opens a block of `kind` unless one is open. */
  private ensure(kind: "text" | "thinking", block: object): void {
    if (this.open === kind) return;
    this.close();
    this.open = kind;
    this.emit("content_block_start", { type: "content_block_start", index: this.nextIndex++, content_block: block });
  }

  private close(): void {
    if (this.open === null) return;
    // The open block is always the last one started: a new block closes the one before it.
    this.emit("content_block_stop", { type: "content_block_stop", index: this.nextIndex - 1 });
    this.open = null;
  }

  private emit(event: string, data: object): void {
    const w = this.send(event, data);
    if (w instanceof Promise) this.wait = w;
  }
}

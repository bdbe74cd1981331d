/**
 * Content logging (`logging.store_content: true`): a request's prompt and its completion,
 * stored with its ledger rows (table `request_content`), bounded per request:
 * `CONTENT_MAX_BYTES` of JSON in all, the prompt taking at most `REQUEST_MAX_BYTES` of it and the
 * completion the rest. What had to be cut is marked `truncated: true`.
 *
 * The prompt goes with the request's first row, the completion with the row of the attempt that
 * produced it (a stream's text and tool calls are assembled from its chunks as they pass, or
 * from a native stream's events: content-native.ts).
 */
import type { ChatChunk, ChatCompletion } from "../wire/openai.js";
import type { StoredContent } from "./types.js";

/** Most bytes of content (JSON) stored for one request. */
export const CONTENT_MAX_BYTES = 64 * 1024;
/** Most bytes of it the prompt may take; the completion has the rest (at least 16 KiB). */
export const REQUEST_MAX_BYTES = 48 * 1024;

type Completion = NonNullable<StoredContent["completion"]>;
/** One choice of a stored completion: its text and tool calls. */
export type Choice = Completion["choices"][number];
type ToolCall = NonNullable<Choice["tool_calls"]>[number];
interface StreamChoice {
  text: string;
  calls: Map<number, ToolCall>;
}

export class ContentCapture {
  private request: StoredContent["request"] | undefined;
  private requestBytes = 0;
  private completion: Completion | undefined;
  /** Characters assembled from a stream so far; past the cap the rest is only marked as cut. */
  private streamChars = 0;
  private streamCut = false;
  private stream: Map<number, StreamChoice> | undefined;

  constructor(request: { messages?: unknown; input?: unknown }) {
    const key = request.messages !== undefined ? "messages" : "input";
    const clipped = clipJson(request[key], REQUEST_MAX_BYTES);
    this.request = { [key]: clipped.value, truncated: clipped.truncated };
    this.requestBytes = clipped.bytes;
  }

  /** The completion of a chat completion: its choices' text and tool calls. */
  completed(c: ChatCompletion): void {
    const choices: Choice[] = [];
    for (const ch of c.choices) {
      const m = ch.message as { content?: unknown; tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }> } | undefined;
      const choice: Choice = { index: ch.index, text: typeof m?.content === "string" ? m.content : "" };
      if (m?.tool_calls?.length) choice.tool_calls = m.tool_calls.map((t) => ({ id: t.id, name: t.function?.name, arguments: t.function?.arguments ?? "" }));
      choices.push(choice);
    }
    this.setCompletion(choices, false);
  }

  /** The completion of an answer read some other way (a native answer's text and tool calls). */
  completedChoices(choices: Choice[]): void {
    this.setCompletion(choices, false);
  }

  /** One chunk of a stream relayed to the client. */
  chunk(c: ChatChunk): void {
    for (const ch of c.choices) {
      if (!this.streamChoice(ch.index)) continue;
      const d = ch.delta as { content?: unknown; tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }> } | undefined;
      if (typeof d?.content === "string") this.streamText(ch.index, d.content);
      for (const tc of d?.tool_calls ?? []) this.streamCall(ch.index, tc.index ?? 0, tc.id, tc.function?.name, tc.function?.arguments);
    }
  }

  /** Text a stream added to choice `index`. */
  streamText(index: number, text: string): void {
    const acc = this.streamChoice(index);
    if (acc && text) acc.text += this.keep(text);
  }

  /**
   * A stream's tool call `key` of choice `index`: made by the first part naming it, then given its
   * id and name when they come and `args` appended. A call past the bound is not made (marked cut).
   */
  streamCall(index: number, key: number, id: string | undefined, name: string | undefined, args: string | undefined): void {
    const acc = this.streamChoice(index);
    if (!acc) return;
    let call = acc.calls.get(key);
    if (!call) {
      if (this.full()) return;
      acc.calls.set(key, (call = { arguments: "" }));
    }
    if (id) call.id = this.keep(id);
    if (name) call.name = this.keep(name);
    if (args) call.arguments += this.keep(args);
  }

  /** Arguments a stream added to a tool call `streamCall` made (none: ignored, as for a tool that is not a function). */
  streamArguments(index: number, key: number, args: string): void {
    const call = this.stream?.get(index)?.calls.get(key);
    if (call && args) call.arguments += this.keep(args);
  }

  /** What goes with the row being recorded now: the prompt once, the completion once it exists. */
  take(): StoredContent | undefined {
    if (this.stream) {
      const choices: Choice[] = [...this.stream.entries()].map(([index, acc]) => {
        const choice: Choice = { index, text: acc.text };
        if (acc.calls.size) choice.tool_calls = [...acc.calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
        return choice;
      });
      this.stream = undefined;
      this.setCompletion(choices, this.streamCut);
    }
    if (!this.request && !this.completion) return undefined;
    const out: StoredContent = {};
    if (this.request) out.request = this.request;
    if (this.completion) out.completion = this.completion;
    this.request = undefined;
    this.completion = undefined;
    return out;
  }

  private completionRoom(): number {
    return CONTENT_MAX_BYTES - this.requestBytes;
  }

  /** Choice `index` of the stream being assembled; a new one only while there is room (else marked cut). */
  private streamChoice(index: number): StreamChoice | undefined {
    const stream = (this.stream ??= new Map<number, StreamChoice>());
    let acc = stream.get(index);
    if (!acc && !this.full()) stream.set(index, (acc = { text: "", calls: new Map() }));
    return acc;
  }

  /** Whether the stream's share of the bound is used up (then marked cut). */
  private full(): boolean {
    if (this.streamChars < this.completionRoom()) return false;
    this.streamCut = true;
    return true;
  }

  /** As much of `text` as the stream's share of the bound still takes. */
  private keep(text: string): string {
    const room = this.completionRoom();
    if (this.streamChars >= room) {
      if (text) this.streamCut = true;
      return "";
    }
    const part = text.length <= room - this.streamChars ? text : text.slice(0, room - this.streamChars);
    if (part.length < text.length) this.streamCut = true;
    this.streamChars += part.length;
    return part;
  }

  private setCompletion(choices: Choice[], cut: boolean): void {
    const clipped = clipJson(choices, this.completionRoom());
    this.completion = { choices: clipped.value as Choice[], truncated: cut || clipped.truncated };
  }
}

/**
 * `value` as stored: unchanged when its JSON fits in `maxBytes`, else with its strings cut
 * (and, if need be, the tail of its lists dropped) until it fits.
 */
export function clipJson(value: unknown, maxBytes: number): { value: unknown; truncated: boolean; bytes: number } {
  const whole = Buffer.byteLength(JSON.stringify(value) ?? "null");
  if (whole <= maxBytes) return { value, truncated: false, bytes: whole };
  let budget = maxBytes;
  for (let i = 0; i < 8 && budget > 0; i++) {
    const cut = clip(value, { left: budget });
    const bytes = Buffer.byteLength(JSON.stringify(cut) ?? "null");
    if (bytes <= maxBytes) return { value: cut, truncated: true, bytes };
    budget = Math.floor((budget * maxBytes * 0.9) / bytes);
  }
  const empty = Array.isArray(value) ? [] : null;
  return { value: empty, truncated: true, bytes: Buffer.byteLength(JSON.stringify(empty)) };
}

/** A copy of `v` whose strings, in order, take at most `st.left` characters in all (structure counted roughly). */
function clip(v: unknown, st: { left: number }): unknown {
  if (typeof v === "string") {
    if (v.length <= st.left) {
      st.left -= v.length + 2;
      return v;
    }
    const out = v.slice(0, Math.max(0, st.left));
    st.left = 0;
    return out;
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      if (st.left <= 0) break;
      out.push(clip(x, st));
      st.left -= 2;
    }
    return out;
  }
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      st.left -= k.length + 4;
      out[k] = clip(x, st);
    }
    return out;
  }
  st.left -= 8;
  return v;
}

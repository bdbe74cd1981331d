/**
 * OpenAI's Responses API, answer side: a canonical chat completion as a Response object, and the
 * canonical chunk stream as the Responses event sequence (response.created, response.in_progress,
 * output items with their content parts and deltas, response.completed or response.incomplete),
 * every event numbered by `sequence_number`. The request side is responses.ts.
 */
import type { ChatChunk, ChatCompletion, Usage } from "./openai.js";

export type OutputItem = Record<string, unknown> & { type: string; id: string };

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: "completed" | "incomplete" | "in_progress" | "failed";
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
  [k: string]: unknown;
}

/** The request's settings a Response repeats (instructions, tools, sampling, store, …). */
export type ResponseEcho = Record<string, unknown>;

/** Ids of one response's items; the gateway derives them from its request id. */
export interface ResponseIds {
  response: string;
  /** The base the message (`msg_`) and reasoning (`rs_`) item ids are made from. */
  base: string;
}

export function idsFor(base: string): ResponseIds {
  return { response: `resp_${base}`, base };
}

export function toResponseUsage(u: Usage | undefined | null): ResponseUsage {
  const input = u?.prompt_tokens ?? 0;
  const output = u?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: num(u?.prompt_tokens_details?.cached_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: num(u?.completion_tokens_details?.reasoning_tokens) },
    total_tokens: input + output,
  };
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** A Response with no output yet (status in_progress), as response.created carries it. */
export function responseShell(ids: ResponseIds, createdAt: number, model: string, echo: ResponseEcho): ResponseObject {
  return {
    id: ids.response,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    ...echo,
    model,
    output: [],
    usage: null,
  };
}

/** Whether a finish reason cut the answer short, and why in the Responses API's words. */
function incompleteReason(finish: string | null | undefined): string | null {
  if (finish === "length") return "max_output_tokens";
  if (finish === "content_filter") return "content_filter";
  return null;
}

function finished(shell: ResponseObject, output: OutputItem[], finish: string | null | undefined, usage: Usage | null | undefined): ResponseObject {
  const reason = incompleteReason(finish);
  return { ...shell, status: reason ? "incomplete" : "completed", incomplete_details: reason ? { reason } : null, output, usage: toResponseUsage(usage) };
}

export const messageItemId = (ids: ResponseIds, n = 0) => `msg_${ids.base}${n ? `_${n}` : ""}`;
export const reasoningItemId = (ids: ResponseIds, n: number) => `rs_${ids.base}${n ? `_${n}` : ""}`;
export const functionCallItemId = (callId: string) => `fc_${callId}`;

function textContent(text: string) {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

/** Reasoning as an output item; the provider's signature (or redacted data) in `encrypted_content`. */
function reasoningItem(id: string, text: string, signature: string | undefined): OutputItem {
  const item: OutputItem = { id, type: "reasoning", summary: [], content: text ? [{ type: "reasoning_text", text }] : [] };
  if (signature) item.encrypted_content = signature;
  return item;
}

/** A canonical chat completion as a Response: reasoning, then the message, then function calls. */
export function fromChatCompletion(c: ChatCompletion, ids: ResponseIds = idsFor(c.id), echo: ResponseEcho = {}): ResponseObject {
  const choice = c.choices[0] as (ChatCompletion["choices"][number] & Record<string, unknown>) | undefined;
  const msg = choice?.message;
  const output: OutputItem[] = [];
  const blocks = Array.isArray(msg?.thinking_blocks) ? (msg.thinking_blocks as Array<Record<string, unknown>>) : [];
  blocks.forEach((b, n) => {
    if (b.type === "thinking") output.push(reasoningItem(reasoningItemId(ids, n), str(b.thinking), str(b.signature) || undefined));
    else if (b.type === "redacted_thinking") output.push(reasoningItem(reasoningItemId(ids, n), "", str(b.data)));
  });
  if (!blocks.length && typeof msg?.reasoning_content === "string" && msg.reasoning_content) output.push(reasoningItem(reasoningItemId(ids, 0), msg.reasoning_content, undefined));
  const status = incompleteReason(choice?.finish_reason) ? "incomplete" : "completed";
  const text = typeof msg?.content === "string" ? msg.content : "";
  const refusal = typeof msg?.refusal === "string" ? msg.refusal : "";
  if (text || refusal) {
    const content = text ? [textContent(text)] : [{ type: "refusal", refusal }];
    output.push({ id: messageItemId(ids), type: "message", status, role: "assistant", content });
  }
  for (const tc of msg?.tool_calls ?? []) {
    output.push({ id: functionCallItemId(tc.id), type: "function_call", status: "completed", arguments: tc.function.arguments, call_id: tc.id, name: tc.function.name });
  }
  return finished(responseShell(ids, c.created, c.model, echo), output, choice?.finish_reason, c.usage);
}

/** The text of a response's message items (what the SDKs call `output_text`). */
export function outputText(r: Pick<ResponseObject, "output">): string {
  let text = "";
  for (const item of r.output) {
    if (item.type !== "message") continue;
    for (const p of item.content as Array<{ type: string; text?: string }>) if (p.type === "output_text") text += p.text ?? "";
  }
  return text;
}

/** Output items as a client sees them: `encrypted_content` only when it asked for it (`include`). */
export function visibleOutput(output: OutputItem[], encrypted: boolean): OutputItem[] {
  if (encrypted) return output;
  return output.map((item) => {
    if (item.type !== "reasoning" || !("encrypted_content" in item)) return item;
    const { encrypted_content: _, ...rest } = item;
    return rest;
  });
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** Takes one stream event (with its `type`); a returned promise makes the sender wait. */
export type ResponseEventSink = (event: Record<string, unknown> & { type: string }) => Promise<void> | void;

type Open =
  | { kind: "reasoning"; index: number; id: string; text: string; signature?: string }
  | { kind: "message"; index: number; id: string; part: "output_text" | "refusal"; text: string }
  | { kind: "call"; index: number; id: string; callId: string; name: string; args: string }
  | null;

/**
 * Canonical chunks → the Responses event sequence. One output item is open at a time: a change
 * of kind (reasoning → text → a function call) closes it with its `.done` events. `end()`
 * closes the last and sends response.completed (response.incomplete when the answer was cut by
 * the token limit or a content filter); `fail()` sends response.failed and the `error` event
 * OpenAI's SDKs raise.
 */
export class ResponseStreamTranslator {
  private seq = 0;
  private started = false;
  private open: Open = null;
  private readonly output: OutputItem[] = [];
  private readonly calls = new Map<number, Extract<Open, { kind: "call" }>>();
  private finish: string | null = null;
  private usage: Usage | null | undefined;
  private shell: ResponseObject | undefined;
  private reasoningCount = 0;
  private messageCount = 0;
  private wait: Promise<void> | undefined;

  constructor(
    private readonly send: ResponseEventSink,
    private readonly ids: ResponseIds,
    private readonly echo: ResponseEcho,
    private readonly encrypted: boolean,
    private readonly createdAt: number = Math.floor(Date.now() / 1000),
  ) {}

  /** Takes one canonical chunk; returns a promise while the client is not keeping up. */
  readonly chunk = (c: ChatChunk): Promise<void> | undefined => {
    this.wait = undefined;
    if (!this.started) this.start(c.model);
    if (c.usage) this.usage = c.usage;
    const choice = c.choices[0] as (ChatChunk["choices"][number] & Record<string, unknown>) | undefined;
    if (!choice) return this.wait;
    const d = choice.delta;
    if (typeof d.reasoning_content === "string" && d.reasoning_content) this.reasoning(d.reasoning_content);
    if (Array.isArray(d.thinking_blocks)) this.thinkingBlocks(d.thinking_blocks as Array<Record<string, unknown>>);
    if (typeof d.content === "string" && d.content) this.text("output_text", d.content);
    if (typeof d.refusal === "string" && d.refusal) this.text("refusal", d.refusal);
    for (const tc of d.tool_calls ?? []) this.toolDelta(tc.index, tc.id, tc.function?.name, tc.function?.arguments);
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return this.wait;
  };

  /** The model seen in the first chunk (the response's `model`). */
  get model(): string {
    return this.shell?.model ?? "";
  }

  /** Everything the stream produced, as a finished Response with the full output (signatures kept). */
  result(): ResponseObject {
    return finished(this.shell ?? responseShell(this.ids, this.createdAt, "", this.echo), this.output, this.finish, this.usage);
  }

  /** Closes the open item and sends response.completed (or response.incomplete). `beforeLast` runs first (the response is stored there). */
  async end(beforeLast?: (full: ResponseObject) => Promise<void>): Promise<ResponseObject> {
    if (!this.started) this.start("");
    this.close();
    const full = this.result();
    if (this.wait) await this.wait;
    if (beforeLast) await beforeLast(full);
    const shown = { ...full, output: visibleOutput(full.output, this.encrypted) };
    this.emit({ type: full.status === "completed" ? "response.completed" : "response.incomplete", response: shown });
    if (this.wait) await this.wait;
    return full;
  }

  /**
   * The stream failed after it began: response.failed (its `error.code` in OpenAI's vocabulary),
   * then the `error` event with the gateway's own code, flat as the reference documents it and
   * nested under `error` as the live API sends it (which OpenAI's SDKs raise as an APIError).
   */
  async fail(err: { code: string; message: string; type?: string; param?: string | null }): Promise<void> {
    if (!this.started) this.start("");
    const failedCode = err.code === "rate_limit_exceeded" ? "rate_limit_exceeded" : "server_error";
    this.emit({
      type: "response.failed",
      response: { ...this.shell, status: "failed", error: { code: failedCode, message: err.message }, output: visibleOutput(this.output, this.encrypted), usage: null },
    });
    const param = err.param ?? null;
    this.emit({ type: "error", code: err.code, message: err.message, param, error: { type: err.type ?? "api_error", code: err.code, message: err.message, param } });
    if (this.wait) await this.wait;
  }

  private start(model: string): void {
    this.started = true;
    this.shell = responseShell(this.ids, this.createdAt, model, this.echo);
    this.emit({ type: "response.created", response: this.shell });
    this.emit({ type: "response.in_progress", response: this.shell });
  }

  private reasoning(text: string): void {
    if (this.open?.kind !== "reasoning") {
      this.close();
      const id = reasoningItemId(this.ids, this.reasoningCount++);
      this.open = { kind: "reasoning", index: this.output.length, id, text: "" };
      this.output.push({ id, type: "reasoning", summary: [], content: [] });
      this.emit({ type: "response.output_item.added", output_index: this.open.index, item: { id, type: "reasoning", summary: [], content: [] } });
      this.emit({ type: "response.content_part.added", item_id: id, output_index: this.open.index, content_index: 0, part: { type: "reasoning_text", text: "" } });
    }
    if (!text) return;
    this.open.text += text;
    this.emit({ type: "response.reasoning_text.delta", item_id: this.open.id, output_index: this.open.index, content_index: 0, delta: text });
  }

  private thinkingBlocks(blocks: Array<Record<string, unknown>>): void {
    for (const b of blocks) {
      if (b.type === "thinking" && typeof b.signature === "string") {
        if (this.open?.kind !== "reasoning") this.reasoning("");
        (this.open as Extract<Open, { kind: "reasoning" }>).signature = b.signature;
      } else if (b.type === "redacted_thinking") {
        this.close();
        const id = reasoningItemId(this.ids, this.reasoningCount++);
        const item = reasoningItem(id, "", str(b.data));
        const index = this.output.length;
        this.output.push(item);
        this.emit({ type: "response.output_item.added", output_index: index, item: { id, type: "reasoning", summary: [], content: [] } });
        this.emit({ type: "response.output_item.done", output_index: index, item: visibleOutput([item], this.encrypted)[0] });
      }
    }
  }

  private text(part: "output_text" | "refusal", text: string): void {
    if (this.open?.kind !== "message" || this.open.part !== part) {
      this.close();
      const id = messageItemId(this.ids, this.messageCount++);
      this.open = { kind: "message", index: this.output.length, id, part, text: "" };
      this.output.push({ id, type: "message", status: "in_progress", role: "assistant", content: [] });
      this.emit({ type: "response.output_item.added", output_index: this.open.index, item: { id, type: "message", status: "in_progress", role: "assistant", content: [] } });
      this.emit({
        type: "response.content_part.added",
        item_id: id,
        output_index: this.open.index,
        content_index: 0,
        part: part === "output_text" ? { type: "output_text", text: "", annotations: [], logprobs: [] } : { type: "refusal", refusal: "" },
      });
    }
    this.open.text += text;
    const base = { item_id: this.open.id, output_index: this.open.index, content_index: 0, delta: text };
    this.emit(part === "output_text" ? { type: "response.output_text.delta", ...base, logprobs: [] } : { type: "response.refusal.delta", ...base });
  }

  private toolDelta(toolIndex: number, callId: string | undefined, name: string | undefined, args: string | undefined): void {
    let call = this.calls.get(toolIndex);
    if (!call) {
      this.close();
      const cid = callId ?? `call_${this.ids.base}_${toolIndex}`;
      call = { kind: "call", index: this.output.length, id: functionCallItemId(cid), callId: cid, name: name ?? "", args: "" };
      this.calls.set(toolIndex, call);
      this.open = call;
      this.output.push({ id: call.id, type: "function_call", status: "in_progress", arguments: "", call_id: cid, name: call.name });
      this.emit({ type: "response.output_item.added", output_index: call.index, item: { id: call.id, type: "function_call", status: "in_progress", arguments: "", call_id: cid, name: call.name } });
    }
    if (args) {
      call.args += args;
      this.emit({ type: "response.function_call_arguments.delta", item_id: call.id, output_index: call.index, delta: args });
    }
  }

  /** Closes the open item: its `.done` events, and its final form in the output. */
  private close(): void {
    const o = this.open;
    if (!o) return;
    this.open = null;
    if (o.kind === "reasoning") {
      const item = reasoningItem(o.id, o.text, o.signature);
      this.output[o.index] = item;
      if (o.text) {
        this.emit({ type: "response.reasoning_text.done", item_id: o.id, output_index: o.index, content_index: 0, text: o.text });
        this.emit({ type: "response.content_part.done", item_id: o.id, output_index: o.index, content_index: 0, part: { type: "reasoning_text", text: o.text } });
      }
      this.emit({ type: "response.output_item.done", output_index: o.index, item: visibleOutput([item], this.encrypted)[0] });
    } else if (o.kind === "message") {
      const part = o.part === "output_text" ? textContent(o.text) : { type: "refusal", refusal: o.text };
      const base = { item_id: o.id, output_index: o.index, content_index: 0 };
      this.emit(o.part === "output_text" ? { type: "response.output_text.done", ...base, text: o.text, logprobs: [] } : { type: "response.refusal.done", ...base, refusal: o.text });
      this.emit({ type: "response.content_part.done", ...base, part });
      const status = incompleteReason(this.finish) ? "incomplete" : "completed";
      const item: OutputItem = { id: o.id, type: "message", status, role: "assistant", content: [part] };
      this.output[o.index] = item;
      this.emit({ type: "response.output_item.done", output_index: o.index, item });
    } else {
      const item: OutputItem = { id: o.id, type: "function_call", status: "completed", arguments: o.args, call_id: o.callId, name: o.name };
      this.output[o.index] = item;
      this.emit({ type: "response.function_call_arguments.done", item_id: o.id, output_index: o.index, name: o.name, arguments: o.args });
      this.emit({ type: "response.output_item.done", output_index: o.index, item });
    }
  }

  private emit(event: Record<string, unknown> & { type: string }): void {
    const w = this.send({ ...event, sequence_number: this.seq++ });
    if (w instanceof Promise) this.wait = w;
  }
}

/** Canonical chunks as Responses events, pulled (the library's `responses({ stream: true })`). */
export async function* toResponseEvents(chunks: AsyncIterable<ChatChunk>, ids?: ResponseIds, echo: ResponseEcho = {}, encrypted = false): AsyncGenerator<Record<string, unknown>> {
  const queue: Array<Record<string, unknown>> = [];
  let t: ResponseStreamTranslator | undefined;
  for await (const c of chunks) {
    t ??= new ResponseStreamTranslator((e) => void queue.push(e), ids ?? idsFor(c.id), echo, encrypted, c.created);
    void t.chunk(c);
    while (queue.length) yield queue.shift()!;
  }
  t ??= new ResponseStreamTranslator((e) => void queue.push(e), ids ?? idsFor(`${Date.now()}`), echo, encrypted);
  await t.end();
  while (queue.length) yield queue.shift()!;
}

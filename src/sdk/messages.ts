/**
 * `messages`: Anthropic's Messages API (request, Message, stream events) against any provider.
 * A provider that speaks it (Anthropic, Claude on Bedrock and Vertex AI) gets the request as it
 * is, only `model` replaced, and its answer comes back unchanged; any other provider gets the
 * translation to its own format (wire/anthropic-request.ts) and its answer is translated back
 * (wire/anthropic-answer.ts), with what cannot be carried refused or reported to `onWarning`.
 */
import { GatewayError } from "../core/errors.js";
import { randomId } from "../core/ids.js";
import type { NativeRequest } from "../providers/types.js";
import type { MessagesResponse } from "../wire/anthropic.js";
import { MessagesStreamTranslator, toMessagesResponse } from "../wire/anthropic-answer.js";
import { prepareMessagesRequest } from "../wire/anthropic-request.js";
import { errorsMapped, resolveTarget, withRetries, type RequestOptions } from "./completion.js";
import { toLibraryError } from "./errors.js";

/** A Messages request (as Anthropic's API takes it) with the library's call options; `betas` are `anthropic-beta` flags. */
export type MessagesParams = { model: string; max_tokens: number; messages: unknown[]; stream?: boolean | null; betas?: string[]; [field: string]: unknown } & Omit<RequestOptions, "maxSteps">;

/** One event of Anthropic's stream (message_start, content_block_delta, …), as Anthropic's API sends it. */
export type MessageStreamEvent = { type: string; [field: string]: unknown };

const OPTION_KEYS = ["apiKey", "baseUrl", "provider", "signal", "timeouts", "maxRetries", "onWarning", "betas"] as const;

export function messages(params: MessagesParams & { stream: true }): Promise<AsyncIterable<MessageStreamEvent>>;
export function messages(params: MessagesParams & { stream?: false | null }): Promise<MessagesResponse>;
export async function messages(params: MessagesParams): Promise<MessagesResponse | AsyncIterable<MessageStreamEvent>> {
  const body: Record<string, unknown> = { ...params };
  const opts: Record<string, unknown> = {};
  for (const k of OPTION_KEYS) {
    if (k in body) opts[k] = body[k];
    delete body[k];
  }
  const o = opts as RequestOptions & { betas?: string[] };
  const betas = Array.isArray(o.betas) ? o.betas.map(String) : [];
  let prepared;
  try {
    prepared = prepareMessagesRequest(body);
  } catch (e) {
    throw toLibraryError(e);
  }
  const { provider, upstreamModel, call } = resolveTarget(prepared.req.model, o);
  const maxRetries = o.maxRetries ?? 2;
  const stream = prepared.req.stream === true;
  const warn = (w: string) => o.onWarning?.(w);

  if (provider.native?.speaks("messages", upstreamModel)) {
    const native = provider.native;
    const req: NativeRequest = { body, model: upstreamModel, stream, betas };
    if (!stream) return (await withRetries(maxRetries, () => native.call("messages", req, call))).body as MessagesResponse;
    const events = await withRetries(maxRetries, () => native.stream("messages", req, call));
    return errorsMapped(parsedEvents(events));
  }

  if (prepared.untranslatable) throw toLibraryError(prepared.untranslatable);
  for (const w of prepared.translationWarnings) warn(w);
  if (betas.length) warn(`anthropic-beta ${betas.join(",")} is not honoured by provider ${provider.id} (the request was translated for it); ignored`);
  const chat = { ...prepared.chat, model: upstreamModel };
  const id = `msg_${randomId(24)}`;
  if (!stream) {
    const warnings: string[] = [];
    const c = await withRetries(maxRetries, () => provider.chat(chat, call));
    const message = toMessagesResponse(c, id, prepared.req.stop_sequences, warnings);
    warnings.forEach(warn);
    return message;
  }
  const chunks = await withRetries(maxRetries, () => provider.chatStream(chat, call));
  return errorsMapped(translatedEvents(chunks, id, prepared.req.stop_sequences));
}

async function* parsedEvents(events: AsyncIterable<{ event?: string; data: string }>): AsyncGenerator<MessageStreamEvent> {
  for await (const ev of events) {
    try {
      yield JSON.parse(ev.data) as MessageStreamEvent;
    } catch {
      throw new GatewayError("upstream_error", "the provider sent a stream event that is not JSON", { retryable: false });
    }
  }
}

/** Canonical chunks as Anthropic's events, through the same translator as the gateway's. */
async function* translatedEvents(chunks: AsyncIterable<Parameters<MessagesStreamTranslator["chunk"]>[0]>, id: string, stops: readonly string[] | undefined): AsyncGenerator<MessageStreamEvent> {
  const out: MessageStreamEvent[] = [];
  const t = new MessagesStreamTranslator((_event, data) => void out.push(data as MessageStreamEvent), id, stops);
  for await (const c of chunks) {
    void t.chunk(c);
    yield* out.splice(0);
  }
  await t.end();
  yield* out.splice(0);
}

/**
 * The answer side of POST /v1/messages on the translated path: the Message id of a request, and
 * the chat relay as Anthropic's event stream. The translation itself is wire/anthropic-answer.ts
 * (shared with the library); the request side is messages.ts.
 */
import { MessagesStreamTranslator, toMessagesResponse, type EventSink } from "../wire/anthropic-answer.js";
import type { MessagesRequest, MessagesResponse } from "../wire/anthropic.js";
import type { ChatCompletion } from "../wire/openai.js";
import type { ChunkSink } from "./chat.js";
import type { RequestContext } from "./context.js";

export { MessagesStreamTranslator, toMessagesUsage } from "../wire/anthropic-answer.js";

/** The Message id for a request: the gateway's request id, so a client's message id finds the request in the ledger. */
export function messageId(ctx: RequestContext): string {
  return `msg_${ctx.requestId.startsWith("req_") ? ctx.requestId.slice(4) : ctx.requestId}`;
}

/** A canonical chat completion as the request's Message. */
export function toMessage(c: ChatCompletion, ctx: RequestContext, req: MessagesRequest): MessagesResponse {
  return toMessagesResponse(c, messageId(ctx), req.stop_sequences, ctx.warnings);
}

/** The chat relay as Anthropic's event stream. */
export function messagesRelay(relay: (send: ChunkSink) => Promise<void>, ctx: RequestContext, req: MessagesRequest): (send: EventSink) => Promise<void> {
  return async (send) => {
    const t = new MessagesStreamTranslator(send, messageId(ctx), req.stop_sequences);
    await relay(t.chunk);
    await t.end();
  };
}

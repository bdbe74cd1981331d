/**
 * POST /v1/responses (OpenAI's Responses API) through the canonical pipeline: the request is
 * translated to a chat request and runs through `runChat`, so keys, budgets, rate limits,
 * routing to any provider and the ledger (endpoint `responses`) are exactly those of chat
 * completions; the answer is translated back into a Response object, or into the Responses
 * event sequence (wire/responses-answer.ts).
 *
 * `store` (default true, as OpenAI's) keeps the response in the database: `previous_response_id`
 * then continues the conversation (the previous response's inherited items, input and output
 * come first; its `instructions` are not carried over), and GET/DELETE /v1/responses/{id} find
 * it. A stored response belongs to the key that created it; the master key may read them all.
 */
import { GatewayError, toGatewayError } from "../core/errors.js";
import type { Principal } from "../policy/auth.js";
import { findResponse, insertResponse, type StoredResponse } from "../store/repos/responses.js";
import { INCLUDE_ENCRYPTED_REASONING, inputItems, parseResponsesRequest, responseEcho, toChatRequest, type InputItem, type ResponsesRequest } from "../wire/responses.js";
import { fromChatCompletion, idsFor, ResponseStreamTranslator, visibleOutput, type ResponseIds, type ResponseObject } from "../wire/responses-answer.js";
import { runNativeOrChat } from "./native.js";
import { nativeResponse, nativeResponsesRelay, responsesSpec } from "./responses-native.js";
import type { RequestContext, Runtime } from "./context.js";
import type { EventSink } from "./messages.js";
import { readRoutingExtensions } from "./route.js";
import { ContentCapture } from "../usage/content.js";

/** Items a conversation may hold (inherited and new) in one request. */
export const MAX_CONVERSATION_ITEMS = 4096;

export type ResponsesResult = { kind: "json"; body: ResponseObject } | { kind: "stream"; relay: (send: EventSink) => Promise<void> };

/** What a request continues and adds: its history, its own input, and whether it is stored. */
interface Conversation {
  history: InputItem[];
  own: InputItem[];
  store: boolean;
  previousId: string | null;
}

/** The response id for a request: the gateway's request id, so a client's response id finds the request in the ledger. */
export function responseIds(ctx: RequestContext): ResponseIds {
  return idsFor(ctx.requestId.startsWith("req_") ? ctx.requestId.slice(4) : ctx.requestId);
}

const notFound = (id: string, param: string | null) => new GatewayError("not_found", `Response with id '${id}' not found.`, { param });

/** A stored response the principal may see: its own key's, or any for the master key. Another key's is "not found", never revealed. */
export async function loadOwnResponse(rt: Runtime, principal: Principal | undefined, id: string, param: string | null = null): Promise<StoredResponse> {
  if (!id.startsWith("resp_") || id.length > 256) throw notFound(id, param);
  const row = await findResponse(rt.store.db, id);
  if (!row || !principal) throw notFound(id, param);
  if (principal.kind !== "master" && (row.key_id === null || row.key_id !== principal.keyId)) throw notFound(id, param);
  return row;
}

export async function runResponses(rt: Runtime, ctx: RequestContext, raw: Record<string, unknown>): Promise<ResponsesResult> {
  const req = parseResponsesRequest(raw);
  // Kept on the response and recorded with the request's ledger rows; never sent upstream.
  if (req.metadata && Object.keys(req.metadata).length) ctx.metadata = req.metadata;
  const conv: Conversation = { history: [], own: inputItems(req), store: req.store ?? true, previousId: req.previous_response_id ?? null };
  if (rt.config.logging.storeContent) ctx.content = new ContentCapture({ input: contentInput(req, conv.own) });
  if (conv.previousId) {
    const prev = await loadOwnResponse(rt, ctx.principal, conv.previousId, "previous_response_id");
    conv.history = [...prev.history, ...prev.input_items, ...prev.output_items] as InputItem[];
  }
  if (conv.history.length + conv.own.length > MAX_CONVERSATION_ITEMS)
    throw new GatewayError("invalid_request", `the conversation holds more than ${MAX_CONVERSATION_ITEMS} items; start a new one without previous_response_id`, { param: "previous_response_id" });
  return answerTranslated(rt, ctx, raw, req, conv);
}

/**
 * The input stored with content logging: the request's own items as the client sent them (a
 * string input as the user message it stands for), after its `instructions` as the developer
 * message they stand for. What `previous_response_id` brings in is stored with the requests that
 * sent it, not again.
 */
function contentInput(req: ResponsesRequest, own: InputItem[]): InputItem[] {
  return req.instructions ? [{ type: "message", role: "developer", content: req.instructions }, ...own] : own;
}

/** The translated path: the request as a chat request through `runChat`, the answer as a Response. */
async function answerTranslated(rt: Runtime, ctx: RequestContext, raw: Record<string, unknown>, req: ResponsesRequest, conv: Conversation): Promise<ResponsesResult> {
  const chat = toChatRequest(req, { history: conv.history, warnings: ctx.warnings });
  // The final response carries usage: the pipeline must relay it (estimated if the provider sends none).
  if (chat.stream) chat.stream_options = { include_usage: true };
  // Deployments that speak the Responses API themselves (OpenAI) get the client's body (responses-native.ts).
  const result = await runNativeOrChat(rt, ctx, chat, readRoutingExtensions(raw, ctx.headers), responsesSpec(raw, conv));
  const keep = conv.store ? (full: ResponseObject) => save(rt, ctx, conv, full, full) : undefined;
  if (result.kind === "native-json") return { kind: "json", body: await nativeResponse(result.text, keep) };
  if (result.kind === "native-stream") return { kind: "stream", relay: nativeResponsesRelay(result.relay, keep) };
  const ids = responseIds(ctx);
  const echo = responseEcho(req, conv.store);
  const encrypted = req.include?.includes(INCLUDE_ENCRYPTED_REASONING) ?? false;
  const createdAt = Math.floor(Date.now() / 1000);
  if (result.kind === "json") {
    const full = { ...fromChatCompletion(result.body, ids, echo), created_at: createdAt };
    const shown = { ...full, output: visibleOutput(full.output, encrypted) };
    // Written before the answer (only with store: true), so the id works as soon as the client has it.
    if (conv.store && !(await save(rt, ctx, conv, full, shown))) ctx.warnings.push("the response could not be stored: previous_response_id and GET will not find it");
    return { kind: "json", body: shown };
  }
  return {
    kind: "stream",
    relay: async (send) => {
      const t = new ResponseStreamTranslator((e) => send(e.type, e), ids, echo, encrypted, createdAt);
      try {
        await result.relay(t.chunk);
      } catch (e) {
        const err = toGatewayError(e);
        if (err.code === "client_disconnected") throw err;
        await t.fail(err);
        return;
      }
      // Stored before response.completed is sent, so the id works as soon as the client has it.
      await t.end(conv.store ? (full) => save(rt, ctx, conv, full, { ...full, output: visibleOutput(full.output, encrypted) }).then(() => undefined) : undefined);
    },
  };
}

/** Stores a finished response; false (and logged) when the database refused it. */
async function save(rt: Runtime, ctx: RequestContext, conv: Conversation, full: ResponseObject, shown: ResponseObject): Promise<boolean> {
  try {
    await insertResponse(rt.store.db, {
      id: full.id,
      key_id: ctx.principal?.keyId ?? null,
      user_id: ctx.principal?.userId ?? null,
      created_at: new Date(full.created_at * 1000),
      model: full.model,
      previous_response_id: conv.previousId,
      history: conv.history,
      input_items: conv.own,
      output_items: full.output,
      response: shown,
    });
    return true;
  } catch (e) {
    console.error(JSON.stringify({ level: "error", msg: "response not stored", request_id: ctx.requestId, error: String((e as Error)?.message ?? e) }));
    return false;
  }
}

/**
 * POST /v1/responses passed through natively to a provider that speaks the Responses API
 * (OpenAI): see docs/architecture.md, "Native pass-through", and docs/responses.md. The gateway
 * keeps conversations itself, so they work across providers: the upstream gets the client's body
 * with `model` replaced, `previous_response_id` expanded by the gateway into the `input` items it
 * stands for, and `store: false`; the upstream's Response (and its events) come back unchanged,
 * and with `store` (default true) the gateway stores it under the upstream's own id.
 */
import type { InputItem } from "../wire/responses.js";
import type { ResponseObject } from "../wire/responses-answer.js";
import { RAW_JSON } from "../wire/raw.js";
import { stripExtensions } from "./chat.js";
import type { EventSink } from "./messages.js";
import type { NativeSpec } from "./native.js";

/** What the conversation adds to a request (responses.ts). */
export interface NativeConversation {
  history: InputItem[];
  own: InputItem[];
}

/** The upstream body of a native Responses request, and its spec. */
export function responsesSpec(raw: Record<string, unknown>, conv: NativeConversation): NativeSpec {
  const body = stripExtensions({ ...raw });
  delete body.previous_response_id;
  if (conv.history.length) body.input = [...conv.history, ...conv.own];
  body.store = false;
  return { api: "responses", body, untranslatable: null };
}

/** A native Response as the answer (its own text, unchanged), stored first when asked. */
export async function nativeResponse(text: string, store: ((full: ResponseObject) => Promise<unknown>) | undefined): Promise<ResponseObject> {
  const body = JSON.parse(text) as ResponseObject;
  if (store) await store(body);
  RAW_JSON.set(body, text);
  return body;
}

/** The native stream relayed unchanged; the finished Response is stored before its terminal event is sent. */
export function nativeResponsesRelay(relay: (send: EventSink) => Promise<void>, store: ((full: ResponseObject) => Promise<unknown>) | undefined): (send: EventSink) => Promise<void> {
  if (!store) return relay;
  return (send) =>
    relay(async (event, data) => {
      if (event === "response.completed" || event === "response.incomplete") {
        const text = RAW_JSON.get(data);
        const response = text ? (JSON.parse(text) as { response?: ResponseObject }).response : undefined;
        if (response) await store(response);
      }
      await send(event, data);
    });
}

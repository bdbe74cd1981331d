/**
 * The inference endpoints (the hot path). The handler reads the request and writes the
 * response through `Inbound` / `Reply`, so the same code serves the gateway's own HTTP/1.1
 * connections and the connections Node's `http` server handles. Anthropic's Messages API
 * (`messages`, `count_tokens`) answers errors in Anthropic's envelope and streams named events.
 */
import { Cancellation } from "../../core/cancel.js";
import { GatewayError, toGatewayError } from "../../core/errors.js";
import { acceptableRequestId, newRequestId } from "../../core/ids.js";
import type { ChunkSink } from "../../pipeline/chat.js";
import { overheadMs, type RequestContext, type Runtime } from "../../pipeline/context.js";
import { runInference, runMessageTokenCount, type Answer } from "../../pipeline/run.js";
import type { EventSink } from "../../pipeline/messages.js";
import { parseJsonObject } from "../../net/body.js";
import type { Inbound, Reply } from "../../net/reply.js";
import { microsToUsd } from "../../catalog/prices.js";
import { budgetRemaining } from "../../pipeline/budget.js";
import { requestedTotalTimeout } from "../../pipeline/attempts.js";
import { sendError, sendJson, SseWriter, type HeaderBag } from "../respond.js";
import { RAW_JSON } from "../../wire/raw.js";
import { anthropicEnvelope } from "../../wire/anthropic.js";
import { requestEnded } from "../../pipeline/request-log.js";
import { errorFields } from "../../observability/log.js";

export type Endpoint = "chat" | "embeddings" | "messages" | "count_tokens" | "responses";

/**
 * Serves one inference request. Never rejects: anything that escapes the handler (a bug) is
 * logged and the connection dropped, instead of becoming an unhandled rejection that would stop
 * the process.
 */
export function serveInference(rt: Runtime, endpoint: Endpoint, req: Inbound, res: Reply): Promise<void> {
  return handleInference(rt, endpoint, req, res).catch((e: unknown) => {
    rt.log.error(errorFields(e), "inference handler failed");
    res.destroy();
  });
}

export async function handleInference(rt: Runtime, endpoint: Endpoint, req: Inbound, res: Reply): Promise<void> {
  const receivedAt = performance.now();
  // The ledger's identity is always the gateway's own id: a client reusing its x-request-id must
  // not make requests collide (the ledger is unique on request id and attempt). The client's id
  // is echoed back and kept beside it, for finding the request.
  const requestId = newRequestId();
  const given = req.headers["x-request-id"];
  const clientRequestId = typeof given === "string" && acceptableRequestId(given) ? given : null;
  const headers: HeaderBag = { "x-request-id": clientRequestId ?? requestId, "x-switchboard-request-id": requestId };
  const cancellation = new Cancellation();
  res.onAbort(() => cancellation.cancel());
  const anthropic = endpoint === "messages" || endpoint === "count_tokens";
  // Anthropic's SDKs read the request id from `request-id`.
  if (anthropic) headers["request-id"] = requestId;
  const ctx: RequestContext = {
    requestId,
    clientRequestId,
    endpoint: endpoint === "count_tokens" ? "messages" : endpoint,
    receivedAt,
    headers: req.headers,
    signal: cancellation,
    attempts: 0,
    externalMs: 0,
    responseHeaders: headers,
    warnings: [],
    costMicros: 0,
    tokens: 0,
    promptTokens: 0,
    completionTokens: 0,
    attemptErrors: [],
  };
  let raw: Record<string, unknown> | undefined;
  try {
    ctx.principal = await rt.auth.authenticate(req.headers, req.remoteAddress);
    ctx.totalTimeoutMs = requestedTotalTimeout(req.headers);
    raw = parseJsonObject(await req.body(rt.config.server.maxBodyBytes));
    const answer: Answer = {
      json: (body) => {
        const h = finalHeaders(ctx, rt);
        h["x-switchboard-cost-usd"] = microsToUsd(ctx.costMicros);
        sendJson(res, 200, body, h);
      },
      stream: (relay) => writeStream(res, ctx, relay, finalHeaders(ctx, rt)),
      events: (relay) => writeEvents(res, ctx, relay, finalHeaders(ctx, rt)),
    };
    if (endpoint === "count_tokens") await runMessageTokenCount(ctx, raw, answer);
    else await runInference(rt, ctx, raw, answer);
  } catch (e) {
    const err = toGatewayError(e);
    if (err.code === "client_disconnected") {
      res.destroy();
      requestEnded(rt, ctx, 499, err, raw);
      return;
    }
    if (err.code === "internal_error") rt.log.error({ request_id: requestId, ...errorFields(err.cause) }, "internal error");
    sendError(res, err, finalHeaders(ctx, rt), anthropic ? (e) => anthropicEnvelope(e, requestId) : undefined);
    requestEnded(rt, ctx, err.status, err, raw);
    return;
  }
  // Answered: 200, or for a stream its last attempt's status (a stream cut after its first byte).
  requestEnded(rt, ctx, ctx.lastStatus ?? 200, undefined, raw);
}

function finalHeaders(ctx: RequestContext, rt: Runtime): HeaderBag {
  const h = ctx.responseHeaders;
  const left = budgetRemaining(rt, ctx);
  if (left !== null) h["x-switchboard-budget-remaining-usd"] = microsToUsd(left);
  if (ctx.provider) h["x-switchboard-provider"] = ctx.provider;
  if (ctx.model) h["x-switchboard-model"] = ctx.model;
  h["x-switchboard-attempts"] = String(ctx.attempts);
  h["x-switchboard-cache"] = "bypass";
  h["x-switchboard-overhead-ms"] = overheadMs(ctx).toFixed(3);
  if (ctx.warnings.length) h["x-switchboard-warnings"] = ctx.warnings.join("; ");
  return h;
}

/** Writes the chunks as SSE; a failure after the first byte ends the stream with an error event and no [DONE]. */
function writeStream(res: Reply, ctx: RequestContext, relay: (send: ChunkSink) => Promise<void>, headers: HeaderBag): Promise<void> {
  return writeSse(
    res,
    ctx,
    headers,
    async (sse) => {
      await relay((chunk) => {
        if (ctx.signal.aborted) throw new GatewayError("client_disconnected", "client closed the request");
        return sse.data(RAW_JSON.get(chunk) ?? JSON.stringify(chunk));
      });
      await sse.data("[DONE]");
    },
    (sse, err) => sse.data(JSON.stringify({ error: { message: err.message, type: err.type, code: err.code } })),
  );
}

/**
 * Writes Anthropic's named events as SSE. A failure after the first byte ends the stream with an
 * `error` event in Anthropic's envelope, as Anthropic's own API does (its SDKs raise it).
 */
function writeEvents(res: Reply, ctx: RequestContext, relay: (send: EventSink) => Promise<void>, headers: HeaderBag): Promise<void> {
  return writeSse(
    res,
    ctx,
    headers,
    (sse) =>
      relay((event, data) => {
        if (ctx.signal.aborted) throw new GatewayError("client_disconnected", "client closed the request");
        return sse.event(event, RAW_JSON.get(data) ?? JSON.stringify(data));
      }),
    (sse, err) => sse.event("error", JSON.stringify(anthropicEnvelope(err, ctx.requestId))),
  );
}

/** One SSE answer: `body` writes it; a failure after the first byte is written by `failed` (the client gone: the socket is dropped). */
async function writeSse(
  res: Reply,
  ctx: RequestContext,
  headers: HeaderBag,
  body: (sse: SseWriter) => Promise<void>,
  failed: (sse: SseWriter, err: GatewayError) => void | Promise<void>,
): Promise<void> {
  const sse = new SseWriter(res);
  sse.start(headers);
  try {
    await body(sse);
    sse.end();
  } catch (e) {
    const err = toGatewayError(e);
    if (err.code === "client_disconnected" || sse.closed) {
      res.destroy();
      return;
    }
    await failed(sse, err);
    sse.end();
  }
}

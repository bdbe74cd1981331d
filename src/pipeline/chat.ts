/**
 * POST /v1/chat/completions through the pipeline: validate → authenticate → resolve the model
 * → call upstream with retries → account. Streams are pulled up to their first chunk inside
 * the attempt loop, so anything that fails before the first byte reaches the client can still
 * be retried; after that, failures end the stream with an error event.
 */
import { authorizeModel } from "../policy/auth.js";
import { refuseUnpriced } from "../pricing/unpriced.js";
import { GatewayError, toGatewayError } from "../core/errors.js";
import type { CallOptions, ChunkStream } from "../providers/types.js";
import { chatRequestSchema, describeIssues, type ChatChunk, type ChatCompletion, type ChatRequest, type Usage } from "../wire/openai.js";
import { cutInFlight, estimateChatUsage, fromReported, NO_USAGE, recordAttempt, type AttemptUsage } from "./account.js";
import { concludeAttempt, endAttempt, withAttempts, type AttemptInfo } from "./attempts.js";
import { chatPromptTokenBound, reserveChat, reserveSpentAttempt } from "./budget.js";
import { overheadMs, type RequestContext, type Runtime } from "./context.js";
import { admitAndReserve, admitChat } from "./limits.js";
import { routeChat, type RoutingExtensions } from "./route.js";

/**
 * Takes each relayed chunk; a returned promise makes the relay wait (the client is not keeping
 * up), a throw stops the stream (the client went away).
 */
export type ChunkSink = (chunk: ChatChunk) => Promise<void> | void;

export type ChatResult = { kind: "json"; body: ChatCompletion } | { kind: "stream"; relay: (send: ChunkSink) => Promise<void> };

export function parseChatRequest(raw: Record<string, unknown>): ChatRequest {
  const parsed = chatRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error);
    throw new GatewayError("invalid_request", `invalid chat request: ${message}`, { param });
  }
  return stripExtensions(parsed.data);
}

/** Gateway extension fields (`x-…`) are for the gateway only and never go upstream. */
export function stripExtensions<T extends Record<string, unknown>>(body: T): T {
  for (const k of Object.keys(body)) if (k.startsWith("x-")) delete body[k];
  return body;
}

export async function runChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, ext: RoutingExtensions): Promise<ChatResult> {
  // "auto" chooses among the candidates the key may use (route.ts), so it is not itself checked.
  if (ctx.principal && req.model !== "auto") authorizeModel(ctx.principal, req.model);
  const route = await routeChat(rt, ctx, req, ext);
  if (rt.config.pricingRequired) refuseUnpriced(rt.pricing, req.model, route.deployments);
  const requested = req.model;
  await admitAndReserve(
    () => admitChat(rt, ctx, req, route.deployments),
    () => reserveChat(rt, ctx, req, route.deployments),
  );
  const onFailure = (info: AttemptInfo, err: GatewayError) => {
    const usage = cutInFlight(err) ? { ...NO_USAGE, promptTokens: chatPromptTokenBound(rt, info.deployment, req), estimated: true } : NO_USAGE;
    const cost = recordAttempt(rt, ctx, info, requested, { status: err.status, error: err, usage, streamed: req.stream === true });
    if (err.retryable) return reserveSpentAttempt(rt, ctx, cost.totalMicros);
  };

  if (!req.stream) {
    const { value, info } = await withAttempts(
      rt,
      ctx,
      route.steps,
      async (info) => {
        const body = await info.provider.chat({ ...req, model: info.deployment.model }, callOptions(ctx, info));
        ctx.externalMs += performance.now() - info.startedAt;
        return body;
      },
      onFailure,
      route.tokens,
    );
    endAttempt(rt, info, true);
    const usage = value.usage ? fromReported(value.usage) : await estimateChatUsage(rt, info, req, completionText(value));
    ctx.content?.completed(value);
    recordAttempt(rt, ctx, info, requested, { status: 200, usage, streamed: false, responseModel: value.model });
    return { kind: "json", body: value };
  }

  const { value, info } = await withAttempts(
    rt,
    ctx,
    route.steps,
    async (info) => {
      const stream = await info.provider.chatStream({ ...req, model: info.deployment.model }, callOptions(ctx, info));
      const it = stream[Symbol.asyncIterator]();
      try {
        const first = await it.next();
        ctx.externalMs += performance.now() - info.startedAt;
        return { stream, it, first };
      } catch (e) {
        stream.cancel();
        throw e;
      }
    },
    onFailure,
    route.tokens,
  );
  return { kind: "stream", relay: (send) => chatRelay(rt, ctx, req, info, value, send) };
}

export function callOptions(ctx: RequestContext, info: AttemptInfo): CallOptions {
  return {
    signal: ctx.signal,
    timeouts: info.timeouts,
    headers: info.trace ? { "x-request-id": ctx.requestId, traceparent: info.trace.traceparent } : { "x-request-id": ctx.requestId },
    warn: (w) => {
      if (!ctx.warnings.includes(w)) ctx.warnings.push(w);
    },
  };
}

/**
 * Relays the upstream stream to `send` (the client): captures usage, drops the usage chunk the
 * gateway asked for on the client's behalf, adds one (estimated if need be) when the client
 * asked and the provider sent none, and records the attempt on every exit path. It pushes
 * chunks to a callback rather than being an async generator itself: one async step less per
 * chunk.
 */
export async function chatRelay(
  rt: Runtime,
  ctx: RequestContext,
  req: ChatRequest,
  info: AttemptInfo,
  s: { stream: ChunkStream; it: AsyncIterator<ChatChunk>; first: IteratorResult<ChatChunk> },
  send: ChunkSink,
): Promise<void> {
  const wantsUsage = req.stream_options?.include_usage === true;
  const firstByteAt = performance.now();
  const headerOverhead = overheadMs(ctx, firstByteAt);
  let reported: Usage | undefined;
  let text = "";
  let last: ChatChunk | undefined;
  let completed = false;
  let failure: GatewayError | undefined;
  try {
    for (let r = s.first; !r.done; r = await s.it.next()) {
      const c = r.value;
      last = c;
      if (c.usage) reported = c.usage;
      if (ctx.content) ctx.content.chunk(c);
      for (const ch of c.choices) {
        if (typeof ch.delta?.content === "string") text += ch.delta.content;
        for (const tc of ch.delta?.tool_calls ?? []) text += tc.function?.arguments ?? "";
      }
      if (c.usage && c.choices.length === 0 && !wantsUsage) continue;
      const wait = send(c);
      if (wait) await wait;
    }
    completed = true;
    if (wantsUsage && !reported) {
      const est = await estimateChatUsage(rt, info, req, text);
      reported = { prompt_tokens: est.promptTokens, completion_tokens: est.completionTokens, total_tokens: est.promptTokens + est.completionTokens };
      await send({
        id: last?.id ?? `chatcmpl-${ctx.requestId}`,
        object: "chat.completion.chunk",
        created: last?.created ?? Math.floor(Date.now() / 1000),
        model: last?.model ?? info.deployment.model,
        choices: [],
        usage: reported,
      });
    }
  } catch (e) {
    failure = toGatewayError(e);
    throw failure;
  } finally {
    if (!completed) s.stream.cancel();
    const usage: AttemptUsage = reported ? fromReported(reported) : await estimateChatUsage(rt, info, req, text);
    if (reported && !completed) usage.estimated = false;
    const status = completed ? 200 : failure && failure.code !== "client_disconnected" ? failure.status : 499;
    // A stream is in flight on its deployment until here; one cut by the upstream counts against
    // it, one the client ended (leaving, or its own timeout) does not.
    const ended = completed ? undefined : (failure ?? new GatewayError("client_disconnected", "client closed the request"));
    concludeAttempt(rt, ctx, info, ended, firstByteAt - info.startedAt);
    recordAttempt(rt, ctx, info, req.model, {
      status,
      error: completed ? undefined : (failure ?? new GatewayError("client_disconnected", "client closed the request")),
      usage,
      streamed: true,
      ttftMs: firstByteAt - ctx.receivedAt,
      responseModel: last?.model,
      overheadMs: headerOverhead,
    });
  }
}

export function completionText(c: ChatCompletion): string {
  let text = "";
  for (const ch of c.choices) {
    if (typeof ch.message?.content === "string") text += ch.message.content;
    for (const tc of ch.message?.tool_calls ?? []) text += tc.function.arguments;
  }
  return text;
}

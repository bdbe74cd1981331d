/**
 * Native pass-through (see docs/architecture.md, "Native pass-through"): a request in a client
 * API that some providers speak themselves (Anthropic's Messages API, OpenAI's Responses API)
 * runs exactly as a chat request does — route, rate limits, the budget reservation (estimated
 * from its canonical form), attempts with retries, circuit breakers and fallbacks, the ledger,
 * the receipt — and each attempt chooses: a deployment whose provider speaks the API for its
 * model gets the client's own body (only `model` replaced) and its answer is relayed byte for
 * byte (a stream's events as they come, read only for usage and, with content logging, for the
 * text and tool calls they carry); any other deployment gets the canonical translation, as
 * before. A request the translation cannot carry is served only by deployments that speak it
 * natively.
 */
import { GatewayError, toGatewayError } from "../core/errors.js";
import { authorizeModel } from "../policy/auth.js";
import { refuseUnpriced } from "../pricing/unpriced.js";
import type { NativeAnswer, NativeApi, NativeEvent, NativeStream } from "../providers/types.js";
import type { ChatCompletion, ChatRequest } from "../wire/openai.js";
import { nativeChoices, nativeStreamContent } from "../usage/content-native.js";
import { RAW_JSON } from "../wire/raw.js";
import { cutInFlight, estimateChatUsage, fromReported, NO_USAGE, recordAttempt, type AttemptUsage } from "./account.js";
import { concludeAttempt, endAttempt, withAttempts, type AttemptInfo } from "./attempts.js";
import { chatPromptTokenBound, reserveChat, reserveSpentAttempt } from "./budget.js";
import { callOptions, chatRelay, completionText, type ChatResult, type ChunkSink } from "./chat.js";
import { overheadMs, type RequestContext, type Runtime } from "./context.js";
import { admitAndReserve, admitChat } from "./limits.js";
import type { EventSink } from "./messages.js";
import { routeChat, type RoutingExtensions } from "./route.js";

/** What the endpoint knows of the request beyond its canonical form. */
export interface NativeSpec {
  api: NativeApi;
  /** The client's own body, gateway extension fields (`x-…`) removed. */
  body: Record<string, unknown>;
  /** Anthropic's `anthropic-beta` flags of the request. */
  betas?: readonly string[];
  /** Why the canonical translation cannot carry the request (null: it can). */
  untranslatable: GatewayError | null;
  /** Warnings for an attempt that takes the translation (what only the native path honours). */
  translatedWarnings?(provider: string): string[];
}

export type NativeResult = { kind: "native-json"; text: string } | { kind: "native-stream"; relay: (send: EventSink) => Promise<void> } | (ChatResult & { native?: undefined });

interface StreamStart {
  stream: NativeStream;
  it: AsyncIterator<NativeEvent>;
  first: IteratorResult<NativeEvent>;
}

type ChatStreamStart = Parameters<typeof chatRelay>[4];

type Attempted = { kind: "native"; answer: NativeAnswer } | { kind: "chat"; body: ChatCompletion } | { kind: "native-stream"; start: StreamStart } | { kind: "chat-stream"; start: ChatStreamStart };

/** Runs a request of `spec.api` with `req` its canonical form; see the file's comment. */
export async function runNativeOrChat(rt: Runtime, ctx: RequestContext, req: ChatRequest, ext: RoutingExtensions, spec: NativeSpec): Promise<NativeResult> {
  if (ctx.principal && req.model !== "auto") authorizeModel(ctx.principal, req.model);
  const route = await routeChat(rt, ctx, req, ext);
  const speaks = (provider: string, model: string) => rt.providers.get(provider)?.native?.speaks(spec.api, model) === true;
  let steps = route.steps;
  if (spec.untranslatable) {
    steps = steps.filter((s) => speaks(s.deployment.provider, s.deployment.model));
    if (steps.length === 0) throw spec.untranslatable;
    if (steps.length < route.steps.length) {
      ctx.warnings.push(`deployments that cannot take this request unchanged were left out of the route (${spec.untranslatable.message})`);
      if (ctx.routing) ctx.routing.candidates = steps.map((s) => s.key);
    }
  }
  const deployments = steps.map((s) => s.deployment);
  if (rt.config.pricingRequired) refuseUnpriced(rt.pricing, req.model, deployments);
  const requested = req.model;
  await admitAndReserve(
    () => admitChat(rt, ctx, req, deployments),
    () => reserveChat(rt, ctx, req, deployments),
  );
  const onFailure = (info: AttemptInfo, err: GatewayError) => {
    const usage = cutInFlight(err) ? { ...NO_USAGE, promptTokens: chatPromptTokenBound(rt, info.deployment, req), estimated: true } : NO_USAGE;
    const cost = recordAttempt(rt, ctx, info, requested, { status: err.status, error: err, usage, streamed: req.stream === true });
    if (err.retryable) return reserveSpentAttempt(rt, ctx, cost.totalMicros);
  };
  const native = (info: AttemptInfo) => {
    const n = info.provider.native;
    if (n?.speaks(spec.api, info.deployment.model)) return n;
    for (const w of spec.translatedWarnings?.(info.deployment.provider) ?? []) if (!ctx.warnings.includes(w)) ctx.warnings.push(w);
    return undefined;
  };
  const nativeRequest = (info: AttemptInfo, stream: boolean) => ({ body: spec.body, model: info.deployment.model, stream, betas: spec.betas });

  const { value, info } = await withAttempts<Attempted>(
    rt,
    ctx,
    steps,
    async (info) => {
      const n = native(info);
      const opts = callOptions(ctx, info);
      if (!req.stream) {
        const out: Attempted = n
          ? { kind: "native", answer: await n.call(spec.api, nativeRequest(info, false), opts) }
          : { kind: "chat", body: await info.provider.chat({ ...req, model: info.deployment.model }, opts) };
        ctx.externalMs += performance.now() - info.startedAt;
        return out;
      }
      const stream = n ? await n.stream(spec.api, nativeRequest(info, true), opts) : await info.provider.chatStream({ ...req, model: info.deployment.model }, opts);
      const it = stream[Symbol.asyncIterator]();
      try {
        const first = await it.next();
        ctx.externalMs += performance.now() - info.startedAt;
        return n ? { kind: "native-stream", start: { stream, it, first } as StreamStart } : { kind: "chat-stream", start: { stream, it, first } as ChatStreamStart };
      } catch (e) {
        stream.cancel();
        throw e;
      }
    },
    onFailure,
    route.tokens,
  );

  if (value.kind === "native" || value.kind === "chat") {
    endAttempt(rt, info, true);
    const reported = value.kind === "native" ? value.answer.usage : value.body.usage;
    const usage = reported ? fromReported(reported) : await estimateChatUsage(rt, info, req, value.kind === "native" ? value.answer.text : completionText(value.body));
    if (ctx.content) {
      if (value.kind === "native") ctx.content.completedChoices(nativeChoices(spec.api, value.answer.body));
      else ctx.content.completed(value.body);
    }
    recordAttempt(rt, ctx, info, requested, { status: 200, usage, streamed: false, responseModel: value.kind === "chat" ? value.body.model : nativeModel(value.answer.body) });
    return value.kind === "native" ? { kind: "native-json", text: value.answer.text } : { kind: "json", body: value.body };
  }
  if (value.kind === "native-stream") {
    const s = value.start;
    return { kind: "native-stream", relay: (send) => nativeRelay(rt, ctx, req, info, s, send, spec.api) };
  }
  const s = value.start;
  return { kind: "stream", relay: (send: ChunkSink) => chatRelay(rt, ctx, req, info, s, send) };
}

/**
 * Relays a native stream's events to the client unchanged (their own JSON text), and records the
 * attempt on every exit path with the usage the events reported: input, cache reads and writes
 * from the start, output as the stream went. A stream cut before its end counts its output at
 * least at the delta events relayed (four characters a token, their JSON included: an upper bound).
 */
async function nativeRelay(rt: Runtime, ctx: RequestContext, req: ChatRequest, info: AttemptInfo, s: StreamStart, send: EventSink, api: NativeApi): Promise<void> {
  const firstByteAt = performance.now();
  // With content logging, the events that carry text or tool calls are read as they pass; without, nothing is.
  const capture = ctx.content ? nativeStreamContent(api, ctx.content) : undefined;
  const headerOverhead = overheadMs(ctx, firstByteAt);
  let relayedChars = 0;
  let completed = false;
  let failure: GatewayError | undefined;
  try {
    for (let r = s.first; !r.done; r = await s.it.next()) {
      const ev = r.value;
      if (ev.event?.endsWith("delta")) relayedChars += ev.data.length;
      if (capture) capture(ev);
      const holder = {};
      RAW_JSON.set(holder, ev.data);
      const wait = send(ev.event ?? "message", holder);
      if (wait) await wait;
    }
    completed = true;
  } catch (e) {
    failure = toGatewayError(e);
    throw failure;
  } finally {
    if (!completed) s.stream.cancel();
    const usage = await streamUsage(rt, info, req, s.stream, completed, relayedChars);
    const ended = completed ? undefined : (failure ?? new GatewayError("client_disconnected", "client closed the request"));
    const status = completed ? 200 : ended!.code !== "client_disconnected" ? ended!.status : 499;
    concludeAttempt(rt, ctx, info, ended, firstByteAt - info.startedAt);
    recordAttempt(rt, ctx, info, req.model, { status, error: ended, usage, streamed: true, ttftMs: firstByteAt - ctx.receivedAt, overheadMs: headerOverhead });
  }
}

async function streamUsage(rt: Runtime, info: AttemptInfo, req: ChatRequest, stream: NativeStream, completed: boolean, relayedChars: number): Promise<AttemptUsage> {
  const reported = stream.state.usage;
  const relayedTokens = Math.ceil(relayedChars / 4);
  if (!reported) return { ...(await estimateChatUsage(rt, info, req, "")), completionTokens: relayedTokens };
  const usage = fromReported(reported);
  if (!completed && usage.completionTokens < relayedTokens) {
    usage.completionTokens = relayedTokens;
    usage.estimated = true;
  }
  return usage;
}

/** The model a native answer names (Anthropic's Message and OpenAI's Response both have `model`). */
function nativeModel(body: unknown): string | undefined {
  const m = (body as { model?: unknown } | null)?.model;
  return typeof m === "string" ? m : undefined;
}

/**
 * One inference request through the pipeline, from its parsed JSON body to the answer: the
 * master key acting for a user, the request's own checks, the rate limits and the budget
 * reservation together (inside `runChat` / `runEmbeddings`, limits.ts), the attempts, the accounting,
 * and, on every exit path (answered, failed, cut, disconnected), the settlement of the
 * reservation and the end of the request's count against its limits. Anthropic's Messages API
 * (messages.ts) takes the same road as chat completions, translated on the way in and out.
 */
import { parseChatRequest, runChat, stripExtensions, type ChunkSink } from "./chat.js";
import type { RequestContext, Runtime } from "./context.js";
import { parseEmbeddingsRequest, runEmbeddings } from "./embeddings.js";
import { extensionWarnings } from "./extensions.js";
import { settleBudget } from "./budget.js";
import { finishLimits } from "./limits.js";
import { betaFlags, betaWarning, checkApiVersion, countMessageTokens, prepareMessagesRequest, type EventSink } from "./messages.js";
import { messagesRelay, toMessage } from "./messages-answer.js";
import { runNativeOrChat } from "./native.js";
import { RAW_JSON } from "../wire/raw.js";
import { readRoutingExtensions } from "./route.js";
import { runResponses } from "./responses.js";
import { readMetadata, readTags } from "./tags.js";
import { ContentCapture } from "../usage/content.js";

/** How the pipeline answers; the HTTP layer writes it. The budget is settled before `json` is called. */
export interface Answer {
  json(body: object): void;
  /** Writes the chunks `relay` sends until it resolves (or rejects, after the first byte). */
  stream(relay: (send: ChunkSink) => Promise<void>): Promise<void>;
  /** Writes the named events (Anthropic's stream) `relay` sends until it resolves (or rejects, after the first byte). */
  events(relay: (send: EventSink) => Promise<void>): Promise<void>;
}

export async function runInference(rt: Runtime, ctx: RequestContext, raw: Record<string, unknown>, answer: Answer): Promise<void> {
  try {
    ctx.warnings.push(...extensionWarnings(raw, ctx.headers));
    ctx.tags = readTags(ctx.headers);
    if (ctx.endpoint === "messages") {
      await runMessages(rt, ctx, raw, answer);
      return;
    }
    // The master key may act for a user: refused like that user's own keys would be.
    if (ctx.principal?.kind === "master" && typeof raw.user === "string" && raw.user) ctx.principal = await rt.auth.actFor(raw.user);
    if (ctx.endpoint === "responses") {
      const result = await runResponses(rt, ctx, raw);
      if (result.kind === "json") {
        end(rt, ctx);
        answer.json(result.body);
        return;
      }
      await answer.events(result.relay);
      return;
    }
    const ext = readRoutingExtensions(raw, ctx.headers);
    if (ctx.endpoint === "embeddings") {
      const req = parseEmbeddingsRequest(raw);
      if (rt.config.logging.storeContent) ctx.content = new ContentCapture({ input: req.input });
      const body = await runEmbeddings(rt, ctx, req, ext);
      end(rt, ctx);
      answer.json(body);
      return;
    }
    ctx.metadata = readMetadata(raw);
    const req = parseChatRequest(raw);
    if (rt.config.logging.storeContent) ctx.content = new ContentCapture({ messages: req.messages });
    const result = await runChat(rt, ctx, req, ext);
    if (result.kind === "json") {
      end(rt, ctx);
      answer.json(result.body);
      return;
    }
    await answer.stream(result.relay);
  } finally {
    end(rt, ctx);
  }
}

/**
 * POST /v1/messages. The master key does not act for `metadata.user_id`: clients such as Claude
 * Code fill it with their own session identifiers, which are not the gateway's users.
 */
async function runMessages(rt: Runtime, ctx: RequestContext, raw: Record<string, unknown>, answer: Answer): Promise<void> {
  const m = prepareMessagesRequest(raw, checkApiVersion(ctx.headers));
  const ext = readRoutingExtensions(raw, ctx.headers);
  const chat = m.chat;
  if (rt.config.logging.storeContent) ctx.content = new ContentCapture({ messages: chat.messages });
  const betas = betaFlags(ctx.headers);
  const result = await runNativeOrChat(rt, ctx, chat, ext, {
    api: "messages",
    body: stripExtensions({ ...raw }),
    betas,
    untranslatable: m.untranslatable,
    translatedWarnings: (provider) => (betas.length ? [...m.translationWarnings, betaWarning(betas, provider)] : m.translationWarnings),
  });
  if (result.kind === "json" || result.kind === "native-json") {
    end(rt, ctx);
    answer.json(result.kind === "json" ? toMessage(result.body, ctx, m.req) : rawJson(result.text));
    return;
  }
  await answer.events(result.kind === "stream" ? messagesRelay(result.relay, ctx, m.req) : result.relay);
}

/** An object `sendJson` writes as this JSON text, unchanged. */
function rawJson(text: string): object {
  const holder = {};
  RAW_JSON.set(holder, text);
  return holder;
}

/** POST /v1/messages/count_tokens: counted here, no upstream call, nothing reserved or recorded. */
export async function runMessageTokenCount(ctx: RequestContext, raw: Record<string, unknown>, answer: Answer): Promise<void> {
  ctx.warnings.push(...extensionWarnings(raw, ctx.headers));
  answer.json(await countMessageTokens(ctx, raw));
}

/** The request's budget reservation settled and its limits' count corrected: idempotent. */
function end(rt: Runtime, ctx: RequestContext): void {
  settleBudget(rt, ctx);
  finishLimits(rt, ctx);
}

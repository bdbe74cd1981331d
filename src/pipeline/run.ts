/**
 * One inference request through the pipeline, from its parsed JSON body to the answer: the
 * master key acting for a user, the request's own checks, the rate limits and the budget
 * reservation together (inside `runChat` / `runEmbeddings`, limits.ts), the attempts, the accounting,
 * and, on every exit path (answered, failed, cut, disconnected), the settlement of the
 * reservation and the end of the request's count against its limits. Anthropic's Messages API
 * (messages.ts) takes the same road as chat completions, translated on the way in and out.
 */
import { parseChatRequest, runChat, type ChunkSink } from "./chat.js";
import type { RequestContext, Runtime } from "./context.js";
import { parseEmbeddingsRequest, runEmbeddings } from "./embeddings.js";
import { extensionWarnings } from "./extensions.js";
import { settleBudget } from "./budget.js";
import { finishLimits } from "./limits.js";
import { checkApiVersion, countMessageTokens, parseMessagesRequest, toChatRequest, type EventSink } from "./messages.js";
import { messagesRelay, toMessagesResponse } from "./messages-answer.js";
import { readRoutingExtensions } from "./route.js";

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
    if (ctx.endpoint === "messages") {
      await runMessages(rt, ctx, raw, answer);
      return;
    }
    // The master key may act for a user: refused like that user's own keys would be.
    if (ctx.principal?.kind === "master" && typeof raw.user === "string" && raw.user) ctx.principal = await rt.auth.actFor(raw.user);
    const ext = readRoutingExtensions(raw, ctx.headers);
    if (ctx.endpoint === "embeddings") {
      const body = await runEmbeddings(rt, ctx, parseEmbeddingsRequest(raw), ext);
      end(rt, ctx);
      answer.json(body);
      return;
    }
    const result = await runChat(rt, ctx, parseChatRequest(raw), ext);
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
  const req = parseMessagesRequest(raw, checkApiVersion(ctx.headers));
  const ext = readRoutingExtensions(raw, ctx.headers);
  const result = await runChat(rt, ctx, toChatRequest(req, ctx.warnings), ext);
  if (result.kind === "json") {
    end(rt, ctx);
    answer.json(toMessagesResponse(result.body, ctx, req));
    return;
  }
  await answer.events(messagesRelay(result.relay, ctx, req));
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

/** Turning attempts into usage-ledger rows; estimating usage only when the provider reported none. */
import type { GatewayError } from "../core/errors.js";
import { countTokens, estimatePromptTokens } from "../core/tokens.js";
import type { UsageRecord } from "../usage/types.js";
import type { ChatRequest, Usage } from "../wire/openai.js";
import type { AttemptInfo } from "./attempts.js";
import { overheadMs, type RequestContext, type Runtime } from "./context.js";

export interface AttemptUsage {
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
}

export const NO_USAGE: AttemptUsage = { promptTokens: 0, completionTokens: 0, estimated: false };

export function fromReported(u: Usage): AttemptUsage {
  return { promptTokens: u.prompt_tokens ?? 0, completionTokens: u.completion_tokens ?? 0, estimated: false };
}

/** Tokenizer estimate for a chat exchange whose provider reported no usage. */
export async function estimateChatUsage(req: ChatRequest, completionText: string): Promise<AttemptUsage> {
  return {
    promptTokens: await estimatePromptTokens(req.messages, req.tools),
    completionTokens: await countTokens(completionText),
    estimated: true,
  };
}

export function recordAttempt(
  rt: Runtime,
  ctx: RequestContext,
  info: AttemptInfo,
  requestedModel: string,
  outcome: { status: number; error?: GatewayError; usage: AttemptUsage; streamed: boolean; ttftMs?: number | null; overheadMs?: number },
): void {
  const now = performance.now();
  const row: UsageRecord = {
    requestId: ctx.requestId,
    attempt: info.attempt,
    createdAt: new Date(),
    requestedModel,
    provider: info.deployment.provider,
    model: info.deployment.model,
    endpoint: ctx.endpoint,
    status: outcome.status,
    errorCode: outcome.error?.code ?? null,
    promptTokens: outcome.usage.promptTokens,
    completionTokens: outcome.usage.completionTokens,
    totalTokens: outcome.usage.promptTokens + outcome.usage.completionTokens,
    usageEstimated: outcome.usage.estimated,
    streamed: outcome.streamed,
    ttftMs: outcome.ttftMs ?? null,
    totalMs: now - ctx.receivedAt,
    overheadMs: outcome.overheadMs ?? overheadMs(ctx, now),
    keyId: ctx.principal?.keyId ?? null,
    userId: ctx.principal?.userId ?? null,
    teamId: ctx.principal?.teamId ?? null,
  };
  rt.usage.record(row);
}

/** One row of the usage ledger: one upstream attempt that reached (or tried to reach) a provider. */
export interface UsageRecord {
  /** The gateway's own id for the request; the ledger's identity with `attempt`. */
  requestId: string;
  /**
   * The client's own `x-request-id`, when it sent an acceptable one: kept for finding the
   * request, never part of its identity. Absent (or null) without one; rows spooled before the
   * field existed have none.
   */
  clientRequestId?: string | null;
  /** 1-based attempt number within the request. (requestId, attempt) is unique. */
  attempt: number;
  createdAt: Date;
  /** The model as the client asked for it (alias or provider:model). */
  requestedModel: string;
  provider: string;
  /** The upstream model name actually called. */
  model: string;
  endpoint: "chat" | "embeddings" | "messages" | "responses";
  /** HTTP-ish status of the attempt: 200 on success, the upstream/gateway status otherwise. */
  status: number;
  errorCode: string | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** True when the provider reported no usage and the numbers are tokenizer estimates. */
  usageEstimated: boolean;
  streamed: boolean;
  /** Milliseconds from the gateway receiving the request to the first streamed byte (streams only). */
  ttftMs: number | null;
  totalMs: number;
  overheadMs: number;
  keyId: string | null;
  userId: string | null;
  teamId: string | null;
  /** Prompt tokens read from the provider's cache (included in promptTokens). */
  cachedTokens: number;
  /** Prompt tokens written to the provider's cache (included in promptTokens). */
  cacheWriteTokens: number;
  /** Reasoning tokens (included in completionTokens). */
  reasoningTokens: number;
  /** Cost of the attempt in integer micro-USD, by part. */
  cost: CostBreakdown;
  /** The price version the cost was computed with; null when no price was known. */
  priceVersion: string | null;
  /** The request's execution receipt (routing, attempts, timings), on the attempt that answered. */
  receipt: Record<string, unknown> | null;
  /** The request's tags (`x-switchboard-tags`); absent or null without any. */
  tags?: string[] | null;
  /** The request's metadata (the body's `metadata`, strings only); absent or null without any. */
  metadata?: Record<string, string> | null;
  /**
   * With `logging.store_content`: the prompt (on the request's first row) and the completion (on
   * the row of the attempt that produced it), bounded. Stored apart from the row, deleted after
   * `logging.retention_days`. Absent without content.
   */
  content?: StoredContent;
}

/** Content stored with a ledger row (see usage/content.ts). */
export interface StoredContent {
  /** The request's messages (chat, messages) or input (responses: its instructions and own input items; embeddings), as the pipeline read them. */
  request?: { messages?: unknown; input?: unknown; truncated: boolean };
  /** What the attempt answered: text of each choice and tool calls (a stream: assembled from its chunks). */
  completion?: { choices: Array<{ index: number; text: string; tool_calls?: Array<{ id?: string; name?: string; arguments: string }> }>; truncated: boolean };
}

export interface CostBreakdown {
  inputMicros: number;
  cachedMicros: number;
  cacheWriteMicros: number;
  outputMicros: number;
  totalMicros: number;
}

export const ZERO_COST: CostBreakdown = Object.freeze({ inputMicros: 0, cachedMicros: 0, cacheWriteMicros: 0, outputMicros: 0, totalMicros: 0 });

/** Where usage goes. `record` never blocks the response; durability is the sink's job. */
export interface UsageSink {
  record(row: UsageRecord): void;
}

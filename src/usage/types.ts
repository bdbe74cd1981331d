/** One row of the usage ledger: one upstream attempt that reached (or tried to reach) a provider. */
export interface UsageRecord {
  requestId: string;
  /** 1-based attempt number within the request. (requestId, attempt) is unique. */
  attempt: number;
  createdAt: Date;
  /** The model as the client asked for it (alias or provider:model). */
  requestedModel: string;
  provider: string;
  /** The upstream model name actually called. */
  model: string;
  endpoint: "chat" | "embeddings";
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
}

/** Where usage goes. `record` never blocks the response; durability is the sink's job. */
export interface UsageSink {
  record(row: UsageRecord): void;
}

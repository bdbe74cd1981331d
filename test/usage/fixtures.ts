/** Usage rows for tests. */
import { randomBytes } from "node:crypto";
import type { UsageRecord } from "../../src/usage/types.js";

/** A request id no other test (or test file) uses. */
export function uniqueRequestId(label = "req"): string {
  return `${label}_${randomBytes(6).toString("hex")}`;
}

/** A complete, realistic record; override any field. */
export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: overrides.requestId ?? uniqueRequestId(),
    clientRequestId: null,
    attempt: 1,
    createdAt: new Date("2025-06-01T12:34:56.789Z"),
    requestedModel: "fast",
    provider: "openai",
    model: "gpt-4o-mini",
    endpoint: "chat",
    status: 200,
    errorCode: null,
    promptTokens: 12,
    completionTokens: 34,
    totalTokens: 46,
    usageEstimated: false,
    streamed: true,
    ttftMs: 123.456,
    totalMs: 789.5,
    overheadMs: 0.375,
    keyId: "key_abc",
    userId: "user_1",
    teamId: "team_1",
    cachedTokens: 4,
    cacheWriteTokens: 0,
    reasoningTokens: 10,
    cost: { inputMicros: 16, cachedMicros: 2, cacheWriteMicros: 0, outputMicros: 340, totalMicros: 358 },
    priceVersion: "builtin-2025-06",
    receipt: { attempts: [{ attempt: 1, status: 200 }], timings: { total_ms: 789.5 }, note: "héllo ✓" },
    ...overrides,
  };
}

/** `count` attempts (1..count) of one request. */
export function attempts(requestId: string, count: number, overrides: Partial<UsageRecord> = {}): UsageRecord[] {
  return Array.from({ length: count }, (_, i) => usageRecord({ ...overrides, requestId, attempt: i + 1 }));
}

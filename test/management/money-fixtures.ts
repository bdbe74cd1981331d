/** Ledger rows for the money tests: each set lives in its own time window, so tests never see each other's rows. */
import type { UsageRecord } from "../../src/usage/types.js";
import { usageRecord } from "../usage/fixtures.js";

export const cost = (input: number, cached: number, write: number, output: number) => ({
  inputMicros: input,
  cachedMicros: cached,
  cacheWriteMicros: write,
  outputMicros: output,
  totalMicros: input + cached + write + output,
});

/** Usage window <year>-03-01 .. <year>-03-03: three requests (one with a fallback) and two rows outside. */
export function usageRows(prefix = "", year = 2031): UsageRecord[] {
  const at = (iso: string) => new Date(`${year}${iso}`);
  const base = { teamId: "ut1", userId: "uu1", keyId: "uk1", requestedModel: "fast", provider: "openai", model: "gpt-4o-mini", cachedTokens: 0, reasoningTokens: 0 } as const;
  return [
    // request A (2031-03-01): attempt 1 failed at openai, attempt 2 answered at anthropic
    usageRecord({
      ...base,
      requestId: `${prefix}ua`,
      attempt: 1,
      createdAt: at("-03-01T10:00:00Z"),
      status: 502,
      errorCode: "upstream_error",
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      cost: cost(0, 0, 0, 0),
    }),
    usageRecord({
      ...base,
      requestId: `${prefix}ua`,
      attempt: 2,
      createdAt: at("-03-01T10:00:01Z"),
      provider: "anthropic",
      model: "claude-x",
      promptTokens: 100,
      completionTokens: 50,
      totalTokens: 150,
      cachedTokens: 40,
      reasoningTokens: 10,
      cost: cost(600, 40, 0, 360),
    }),
    // request B (2031-03-02)
    usageRecord({ ...base, requestId: `${prefix}ub`, keyId: "uk2", createdAt: at("-03-02T23:59:59.999Z"), promptTokens: 10, completionTokens: 5, totalTokens: 15, cost: cost(1500, 0, 0, 1000) }),
    // request C (2031-03-02), another user, no team, a large cost (beyond 2^32 micro-USD in the sum)
    usageRecord({
      ...base,
      requestId: `${prefix}uc`,
      userId: "uu2",
      teamId: null,
      keyId: "uk3",
      requestedModel: 'odd,"model"',
      createdAt: at("-03-02T00:00:00Z"),
      promptTokens: 1000,
      completionTokens: 2000,
      totalTokens: 3000,
      reasoningTokens: 500,
      cost: cost(2_000_000_000, 0, 123_456_789, 3_000_000_000),
    }),
    // outside the window: just before and exactly at `to`
    usageRecord({ ...base, requestId: `${prefix}u-early`, createdAt: at("-02-28T23:59:59.999Z"), cost: cost(7, 0, 0, 0) }),
    usageRecord({ ...base, requestId: `${prefix}u-late`, createdAt: at("-03-03T00:00:00Z"), cost: cost(9, 0, 0, 0) }),
  ];
}

export const windowOf = (year: number) => `from=${year}-03-01T00:00:00Z&to=${year}-03-03T00:00:00Z`;
export const WINDOW = windowOf(2031);

/** Log window <day>: five requests, one with two attempts, two sharing a timestamp. */
export function logRows(prefix = "", day = "2032-01-01"): UsageRecord[] {
  const at = (time: string) => new Date(`${day}T${time}Z`);
  const base = { keyId: "lk1", userId: "lu1", teamId: "lt1", requestedModel: "fast", provider: "openai", model: "gpt-4o-mini", streamed: false } as const;
  return [
    usageRecord({
      ...base,
      requestId: `${prefix}log-1`,
      attempt: 1,
      createdAt: at("00:00:01"),
      status: 502,
      errorCode: "upstream_error",
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      cachedTokens: 0,
      reasoningTokens: 0,
      ttftMs: null,
      totalMs: 100,
      overheadMs: 1,
      cost: cost(0, 0, 0, 0),
      priceVersion: "catalog:2026-11-01",
      receipt: { attempts: [{ attempt: 1, status: 502, error_code: "upstream_error", error_message: "boom" }] },
    }),
    usageRecord({
      ...base,
      requestId: `${prefix}log-1`,
      attempt: 2,
      createdAt: at("00:00:02"),
      provider: "anthropic",
      model: "claude-x",
      status: 200,
      errorCode: null,
      promptTokens: 100,
      completionTokens: 20,
      totalTokens: 120,
      cachedTokens: 30,
      cacheWriteTokens: 10,
      reasoningTokens: 5,
      streamed: true,
      usageEstimated: true,
      ttftMs: 150.5,
      totalMs: 900.25,
      overheadMs: 2.5,
      cost: cost(10, 20, 30, 40),
      priceVersion: "api:2031-12-01T00:00:00.000Z",
      receipt: {
        request_id: `${prefix}log-1`,
        routing: { alias: "fast", deployments: ["openai:gpt-4o-mini", "anthropic:claude-x"] },
        attempts: [
          { attempt: 1, status: 502, error_code: "upstream_error", error_message: "boom" },
          { attempt: 2, status: 200, error_code: null, error_message: null },
        ],
        warnings: ["max_tokens was set to 4096"],
      },
    }),
    usageRecord({
      ...base,
      requestId: `${prefix}log-2`,
      keyId: "lk2",
      userId: "lu2",
      teamId: null,
      requestedModel: "smart",
      createdAt: at("00:00:03"),
      status: 200,
      errorCode: null,
      cost: cost(1, 0, 0, 1),
    }),
    usageRecord({ ...base, requestId: `${prefix}log-3`, createdAt: at("00:00:04"), status: 429, errorCode: "rate_limit_exceeded", cost: cost(0, 0, 0, 0) }),
    usageRecord({ ...base, requestId: `${prefix}log-4`, clientRequestId: "reused-1", createdAt: at("00:00:05"), status: 200, errorCode: null }),
    usageRecord({ ...base, requestId: `${prefix}log-5`, clientRequestId: "reused-1", createdAt: at("00:00:05"), status: 200, errorCode: null }),
  ];
}

export const LOG_WINDOW = "from=2032-01-01T00:00:00Z&to=2032-01-02T00:00:00Z";

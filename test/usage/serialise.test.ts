/** The ledger's own row serialiser must mean exactly what JSON.stringify of the record means. */
import { describe, expect, it } from "vitest";
import { serialiseUsageRecord } from "../../src/usage/ledger.js";
import type { UsageRecord } from "../../src/usage/types.js";
import { usageRecord } from "./fixtures.js";

const cases: Array<[string, Partial<UsageRecord>]> = [
  ["a realistic row", {}],
  ["nulls everywhere they are allowed", { errorCode: null, ttftMs: null, keyId: null, userId: null, teamId: null, priceVersion: null, receipt: null }],
  ["strings that need escaping", { requestId: 'req "quoted" \\ back\nline\ttab\u0001', requestedModel: "alias/ünïcode ✓ 🚀", model: "m\u2028x", keyId: "\ud800lone" }],
  ["failure with a receipt of routing, warnings and messages", { status: 502, errorCode: "upstream_error", receipt: { routing: { alias: "fast", deployments: ["a:b", "c:d"] }, warnings: ['x "y"'], attempts: [{ attempt: 1, error_message: "boom\n" }] } }],
  ["fractions, zeros and large integers", { totalMs: 0.001, overheadMs: 0, promptTokens: 2 ** 31 - 1, cost: { inputMicros: Number.MAX_SAFE_INTEGER, cachedMicros: 0, cacheWriteMicros: 0, outputMicros: 1, totalMicros: 0 } }],
];

describe("serialiseUsageRecord", () => {
  it.each(cases)("%s: valid JSON with the same value as JSON.stringify", (_name, overrides) => {
    const r = usageRecord(overrides);
    const text = serialiseUsageRecord(r);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
    expect(text).toBe(JSON.stringify(r)); // same field order as the record, so even byte-equal
  });

  it("writes a non-finite number as null, as JSON.stringify does", () => {
    const r = usageRecord({ ttftMs: Number.NaN, totalMs: Number.POSITIVE_INFINITY });
    expect(JSON.parse(serialiseUsageRecord(r))).toMatchObject({ ttftMs: null, totalMs: null });
  });
});

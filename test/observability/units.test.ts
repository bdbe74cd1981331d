/** The plain-number series and the W3C traceparent reader, alone. */
import { describe, expect, it } from "vitest";
import { FixedHistogram } from "../../src/observability/histogram.js";
import { RequestMetrics } from "../../src/observability/request-metrics.js";
import { formatTraceparent, parseTraceparent } from "../../src/observability/trace-context.js";

describe("RequestMetrics", () => {
  it("labels: configured names kept, anything else other / none, statuses by code or class", () => {
    const m = new RequestMetrics(["smart", "a:gpt-4o"], ["a", "b"]);
    m.request("smart", "a", 200, 0.1, 0.0001, "bypass");
    m.request("smart", "a", 200, 0.1, 0.0001, "bypass");
    m.request("a:gpt-4o", "b", 418, 0.1, 0.0001, undefined);
    m.request("whatever", "zz", 302, 0.1, 0.0001, "hit");
    m.request(undefined, undefined, 429, 0.1, 0.0001, "something");
    m.request("smart", "a", 599, 0.1, 0.0001, "miss");
    m.request("smart", "a", 1000, 0.1, 0.0001, "miss");
    const seen = Object.fromEntries([...m.requests].map(([cell, n]) => [Object.values(m.labelsOf(cell)).join("|"), n]));
    expect(seen).toEqual({ "smart|a|200": 2, "a:gpt-4o|b|4xx": 1, "other|other|other": 1, "other|none|429": 1, "smart|a|5xx": 1, "smart|a|other": 1 });
    expect([...m.cache]).toEqual([1, 2, 2]);
    expect(m.duration.count).toBe(7);
  });

  it("attempts add tokens, integer micro-USD and time to first token", () => {
    const m = new RequestMetrics([], []);
    m.attempt(10, 5, 3, 0.2);
    m.attempt(1, 2, 4, undefined);
    expect([m.inputTokens, m.outputTokens, m.costMicros, m.ttft.count]).toEqual([11, 7, 7, 1]);
  });
});

describe("FixedHistogram", () => {
  it("a value equal to a bound falls in that bucket (le); buckets are cumulative when read", () => {
    const h = new FixedHistogram([0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 1, 7]) h.observe(v);
    expect(h.samples("x")).toEqual([
      { metricName: "x_bucket", labels: { le: 0.1 }, value: 2 },
      { metricName: "x_bucket", labels: { le: 1 }, value: 4 },
      { metricName: "x_bucket", labels: { le: "+Inf" }, value: 5 },
      { metricName: "x_sum", value: 8.65 },
      { metricName: "x_count", value: 5 },
    ]);
    expect(() => new FixedHistogram([1, 1])).toThrow(RangeError);
  });
});

describe("traceparent", () => {
  const id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const span = "00f067aa0ba902b7";
  it("reads a valid header and writes one back", () => {
    expect(parseTraceparent(`00-${id}-${span}-01`)).toEqual({ traceId: id, spanId: span, traceFlags: 1 });
    expect(parseTraceparent(`01-${id}-${span}-00-future`)).toEqual({ traceId: id, spanId: span, traceFlags: 0 });
    expect(formatTraceparent(id, span, 1)).toBe(`00-${id}-${span}-01`);
  });
  it("ignores anything malformed", () => {
    for (const bad of [
      undefined,
      ["a", "b"],
      "",
      `ff-${id}-${span}-01`,
      `00-${"0".repeat(32)}-${span}-01`,
      `00-${id}-${"0".repeat(16)}-01`,
      `00-${id.toUpperCase()}-${span}-01`,
      `00-${id}-${span}-01-extra`,
      `00-${id}-${span}`,
      `00-${id}-${span}-01`.repeat(20),
    ])
      expect(parseTraceparent(bad)).toBeUndefined();
  });
});

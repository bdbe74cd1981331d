/** `model: "auto"`: the routing hints, the filters with their reasons, the scoring and its weights, determinism, and the 400s. */
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { parseRoutingHints, rankAuto, type AutoCandidate, type Needs, type RoutingHints } from "../../src/routing/auto.js";

const NO_NEEDS: Needs = { tools: false, vision: false, jsonMode: false, promptTokens: 1_000, maxOutputTokens: 0 };

function cand(name: string, provider: string, providerType: string, model: string, extra: Partial<AutoCandidate> = {}): AutoCandidate {
  return { name, provider, providerType, model, ...extra };
}

/** Three OpenAI candidates that differ only in their live numbers, quality and price. */
const cheap = cand("cheap", "oai", "openai", "gpt-4o-mini", { costMicros: 100, ttftMs: 200, errorRate: 0, quality: 0.5 });
const fast = cand("fast", "oai-eu", "openai", "gpt-4o-mini", { costMicros: 200, ttftMs: 100, errorRate: 0.1, quality: 1 });
const plain = cand("plain", "oai-us", "openai", "gpt-4o-mini", { costMicros: 400 });
const trio = [cheap, fast, plain];

function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error("expected a GatewayError");
}

describe("parseRoutingHints", () => {
  it("reads every hint, and no hints when the field is absent", () => {
    expect(parseRoutingHints(undefined)).toEqual({});
    expect(parseRoutingHints(null)).toEqual({});
    const raw = { priority: "latency", max_latency_ms: 2000, prefer_providers: ["oai"], exclude_providers: ["groq"], min_quality_score: 0.7 };
    expect(parseRoutingHints(raw)).toEqual(raw);
    expect(parseRoutingHints({ priority: "quality" })).toEqual({ priority: "quality" });
  });

  it.each([
    ["cost", "x-routing-hints must be an object"],
    [["cost"], "x-routing-hints must be an object"],
    [{ priorty: "cost" }, "x-routing-hints.priorty is not a routing hint"],
    [{ priority: "fast" }, "x-routing-hints.priority must be one of cost, latency, quality"],
    [{ max_latency_ms: "2000" }, "x-routing-hints.max_latency_ms must be a positive number"],
    [{ max_latency_ms: 0 }, "x-routing-hints.max_latency_ms must be a positive number"],
    [{ prefer_providers: "oai" }, "x-routing-hints.prefer_providers must be an array of provider ids"],
    [{ exclude_providers: ["oai", ""] }, "x-routing-hints.exclude_providers must be an array of provider ids"],
    [{ exclude_providers: [1] }, "x-routing-hints.exclude_providers must be an array of provider ids"],
    [{ min_quality_score: 1.5 }, "x-routing-hints.min_quality_score must be a number from 0 to 1"],
    [{ min_quality_score: "high" }, "x-routing-hints.min_quality_score must be a number from 0 to 1"],
  ])("rejects %j with a 400 naming the field", (raw, message) => {
    const e = thrown(() => parseRoutingHints(raw));
    expect(e.code).toBe("invalid_request");
    expect(e.status).toBe(400);
    expect(e.param).toBe("x-routing-hints");
    expect(e.message).toContain(message);
  });
});

describe("rankAuto scoring", () => {
  it("weighs cost 0.6 by default: parts normalized among the candidates, unmeasured latency and unknown quality 0.5", () => {
    const d = rankAuto(trio, NO_NEEDS, {});
    expect(d.strategy).toBe("auto");
    expect(d.priority).toBe("cost");
    const byName = Object.fromEntries(d.candidates.map((c) => [c.name, c]));
    expect(byName.cheap.parts).toEqual({ cost: 1, latency: 0.5, quality: 0.5, reliability: 1 });
    expect(byName.fast.parts).toEqual({ cost: 0.5, latency: 1, quality: 1, reliability: 0.9 });
    expect(byName.plain.parts).toEqual({ cost: 0.25, latency: 0.5, quality: 0.5, reliability: 1 });
    expect(d.ranked.map((c) => [c.name, c.score])).toEqual([
      ["cheap", 0.85],
      ["fast", 0.69],
      ["plain", 0.4],
    ]);
    expect(d.winner).toBe(d.ranked[0]);
    expect(d.reason).toBe("cheapest among 3 candidates (score 0.85)");
  });

  it("weighs latency 0.6 under priority latency, and quality 0.6 under priority quality", () => {
    const latency = rankAuto(trio, NO_NEEDS, { priority: "latency" });
    expect(latency.ranked.map((c) => [c.name, c.score])).toEqual([
      ["fast", 0.915],
      ["cheap", 0.625],
      ["plain", 0.5125],
    ]);
    expect(latency.reason).toBe("fastest among 3 candidates (score 0.92)");
    const quality = rankAuto([cheap, cand("smart", "oai-eu", "openai", "gpt-4o-mini", { costMicros: 200, quality: 0.9 })], NO_NEEDS, { priority: "quality" });
    // cheap (the only one measured, so the fastest): 0.15·1 + 0.15·1 + 0.6·0.5 + 0.1 = 0.7; smart: 0.15·0.5 + 0.15·0.5 + 0.6·0.9 + 0.1 = 0.79
    expect(quality.ranked.map((c) => [c.name, c.score])).toEqual([
      ["smart", 0.79],
      ["cheap", 0.7],
    ]);
    expect(quality.reason).toBe("highest quality among 2 candidates (score 0.79)");
  });

  it("uses the catalog's quality score when the candidate has no override", () => {
    const d = rankAuto([cand("sonnet", "claude", "anthropic", "claude-sonnet-4-6"), cand("mini", "oai", "openai", "gpt-4o-mini")], NO_NEEDS, { priority: "quality" });
    expect(d.candidates.map((c) => c.parts.quality)).toEqual([0.795, 0.5]);
    expect(d.winner.name).toBe("sonnet");
  });

  it("counts an unpriced candidate as the most expensive", () => {
    const d = rankAuto([cand("unpriced", "a", "openai", "gpt-4o-mini"), cand("priced", "b", "openai", "gpt-4o-mini", { costMicros: 5_000 })], NO_NEEDS, {});
    expect(d.candidates.map((c) => c.parts.cost)).toEqual([0, 1]);
    expect(d.winner.name).toBe("priced");
  });

  it("adds 0.1 for a provider in prefer_providers, enough to overtake a slightly cheaper one", () => {
    const a = cand("a", "oai", "openai", "gpt-4o-mini", { costMicros: 100 });
    const b = cand("b", "router", "openai", "gpt-4o-mini", { costMicros: 105 });
    const plainRank = rankAuto([a, b], NO_NEEDS, {});
    expect(plainRank.winner.name).toBe("a");
    const preferred = rankAuto([a, b], NO_NEEDS, { prefer_providers: ["router"] });
    expect(preferred.winner.name).toBe("b");
    const before = plainRank.candidates[1].score;
    expect(preferred.candidates[1].score).toBeCloseTo(before + 0.1, 10);
    expect(preferred.candidates[0].score).toBe(plainRank.candidates[0].score);
    expect(preferred.reason).toBe("best cost-weighted score among 2 candidates (score 0.92)");
  });

  it("breaks ties by name and gives the same decision for the same input in any order", () => {
    const twin = (name: string, provider: string) => cand(name, provider, "openai", "gpt-4o-mini", { costMicros: 100, ttftMs: 300 });
    const list = [twin("zeta", "p1"), twin("alpha", "p2"), twin("mid", "p3")];
    const first = rankAuto(list, NO_NEEDS, {});
    expect(first.ranked.map((c) => c.name)).toEqual(["alpha", "mid", "zeta"]);
    const again = rankAuto([...list].reverse(), NO_NEEDS, {});
    expect(again.ranked).toEqual(first.ranked);
    expect(again.reason).toBe(first.reason);
    expect(rankAuto(list, NO_NEEDS, {})).toEqual(first);
  });
});

describe("rankAuto filters", () => {
  it("excludes candidates lacking a needed capability, with one-line reasons, keeping the input order in candidates", () => {
    const list = [
      cand("sonar", "pplx", "perplexity", "sonar", { costMicros: 1 }),
      cand("grok", "xai", "xai", "grok-4.7", { costMicros: 1 }),
      cand("llama", "groq", "groq", "llama-3.3-70b-versatile", { costMicros: 50 }),
      cand("sonnet", "claude", "anthropic", "claude-sonnet-4-6", { costMicros: 300 }),
      cand("mini", "oai", "openai", "gpt-4o-mini", { costMicros: 100 }),
    ];
    const tools = rankAuto(list, { ...NO_NEEDS, tools: true }, {});
    expect(tools.candidates.map((c) => [c.name, c.excluded])).toEqual([
      ["sonar", "needs tools"],
      ["grok", "needs tools (its capabilities are not known)"],
      ["llama", undefined],
      ["sonnet", undefined],
      ["mini", undefined],
    ]);
    expect(tools.ranked.map((c) => c.name)).toEqual(["llama", "mini", "sonnet"]);
    expect(tools.candidates[0].score).toBe(0);
    expect(tools.reason).toBe("cheapest among 3 candidates that support tools (score 0.85, 2 excluded)");

    const vision = rankAuto(list, { ...NO_NEEDS, tools: true, vision: true }, {});
    expect(vision.candidates[2].excluded).toBe("needs vision");
    expect(vision.ranked.map((c) => c.name)).toEqual(["mini", "sonnet"]);

    const json = rankAuto(list, { ...NO_NEEDS, tools: true, vision: true, jsonMode: true }, {});
    expect(json.candidates[3].excluded).toBe("needs JSON mode");
    expect(json.ranked.map((c) => c.name)).toEqual(["mini"]);
    expect(json.reason).toBe("only candidate that supports tools, vision and JSON mode (score 0.85, 4 excluded)");
  });

  it("excludes a candidate whose context window cannot hold the prompt, or the prompt and max_tokens", () => {
    const list = [cand("mini", "oai", "openai", "gpt-4o-mini", { costMicros: 1 }), cand("sonnet", "claude", "anthropic", "claude-sonnet-4-6", { costMicros: 9 })];
    const long = rankAuto(list, { ...NO_NEEDS, promptTokens: 130_000 }, {});
    expect(long.candidates[0].excluded).toBe("prompt of 130,000 tokens does not fit its context of 128,000");
    expect(long.winner.name).toBe("sonnet");
    const withOutput = rankAuto(list, { ...NO_NEEDS, promptTokens: 120_000, maxOutputTokens: 10_000 }, {});
    expect(withOutput.candidates[0].excluded).toBe("prompt of 120,000 tokens and 10,000 output tokens do not fit its context of 128,000");
    expect(rankAuto(list, { ...NO_NEEDS, promptTokens: 120_000, maxOutputTokens: 8_000 }, {}).winner.name).toBe("mini");
  });

  it("excludes by the hints: exclude_providers, min_quality_score (unknown counts as 0.5) and max_latency_ms (unmeasured passes)", () => {
    const list = [
      cand("excluded", "groq", "openai", "gpt-4o-mini", { costMicros: 1 }),
      cand("weak", "a", "openai", "gpt-4o-mini", { costMicros: 2, quality: 0.62 }),
      cand("unscored", "b", "openai", "gpt-4o-mini", { costMicros: 3 }),
      cand("slow", "c", "openai", "gpt-4o-mini", { costMicros: 4, quality: 0.9, ttftMs: 2_300 }),
      cand("quick", "d", "openai", "gpt-4o-mini", { costMicros: 5, quality: 0.9, ttftMs: 400 }),
      cand("unmeasured", "e", "openai", "gpt-4o-mini", { costMicros: 6, quality: 0.95 }),
    ];
    const hints: RoutingHints = { exclude_providers: ["groq"], min_quality_score: 0.8, max_latency_ms: 2000 };
    const d = rankAuto(list, NO_NEEDS, hints);
    expect(d.candidates.map((c) => c.excluded)).toEqual([
      "provider excluded by x-routing-hints.exclude_providers",
      "quality 0.62 below min_quality_score 0.8",
      "quality unknown (counted as 0.5) below min_quality_score 0.8",
      "time to first token 2,300 ms above max_latency_ms 2000",
      undefined,
      undefined,
    ]);
    expect(d.ranked.map((c) => c.name)).toEqual(["quick", "unmeasured"]);
  });
});

describe("rankAuto when nothing is left", () => {
  it("names the hint that excluded every candidate (param x-routing-hints)", () => {
    const e = thrown(() => rankAuto(trio, NO_NEEDS, { exclude_providers: ["oai", "oai-eu", "oai-us"] }));
    expect([e.code, e.status, e.param]).toEqual(["invalid_request", 400, "x-routing-hints"]);
    expect(e.message).toBe("x-routing-hints.exclude_providers excludes every candidate (3 considered)");
    expect(e.details).toEqual({ excluded: Array(3).fill("provider excluded by x-routing-hints.exclude_providers") });
  });

  it("names the last hint to exclude when the needs left some candidates", () => {
    const list = [cand("sonar", "pplx", "perplexity", "sonar"), cand("mini", "oai", "openai", "gpt-4o-mini", { ttftMs: 5_000 })];
    const e = thrown(() => rankAuto(list, { ...NO_NEEDS, tools: true }, { max_latency_ms: 1000 }));
    expect(e.param).toBe("x-routing-hints");
    expect(e.message).toBe("x-routing-hints.max_latency_ms excludes every candidate left after the request's needs (2 considered)");
    const q = thrown(() => rankAuto([cheap, plain], NO_NEEDS, { min_quality_score: 0.99 }));
    expect(q.message).toBe("x-routing-hints.min_quality_score excludes every candidate (2 considered)");
  });

  it("names the need when no hint is to blame (param model)", () => {
    const list = [cand("sonar", "pplx", "perplexity", "sonar"), cand("grok", "xai", "xai", "grok-4.7")];
    const e = thrown(() => rankAuto(list, { ...NO_NEEDS, tools: true }, { exclude_providers: ["nobody"] }));
    expect([e.code, e.status, e.param]).toEqual(["invalid_request", 400, "model"]);
    expect(e.message).toBe("no candidate supports tools");
    const vision = thrown(() => rankAuto([cand("llama", "groq", "groq", "llama-3.3-70b-versatile")], { ...NO_NEEDS, tools: true, vision: true }, {}));
    expect(vision.message).toBe("no candidate supports tools and vision");
    const context = thrown(() => rankAuto([cand("mini", "oai", "openai", "gpt-4o-mini")], { ...NO_NEEDS, tools: true, promptTokens: 200_000 }, {}));
    expect(context.message).toBe("no candidate that supports tools has a context window for a prompt of 200,000 tokens");
    expect(context.param).toBe("model");
  });

  it("refuses an empty candidate list", () => {
    const e = thrown(() => rankAuto([], NO_NEEDS, {}));
    expect([e.code, e.param]).toEqual(["invalid_request", "model"]);
  });
});

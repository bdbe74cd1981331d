/** Batch prices: a native batch of OpenAI or Anthropic pays half of every standard price, as data. */
import { describe, expect, it } from "vitest";
import { BATCH_PRICE_SHARES, batchPrice, batchShareOf } from "../../src/catalog/batch.js";
import { costOf, priceOf, type ModelPrice } from "../../src/catalog/prices.js";
import { PriceResolver } from "../../src/pricing/resolver.js";

const price = (type: string, model: string): ModelPrice => {
  const p = priceOf(type, model);
  if (!p) throw new Error(`no catalog price for ${type}:${model}`);
  return p;
};

describe("batch prices", () => {
  it("are half the standard price for OpenAI and Anthropic, and absent for other provider types", () => {
    expect(BATCH_PRICE_SHARES).toEqual({ openai: { numerator: 1, denominator: 2 }, anthropic: { numerator: 1, denominator: 2 } });
    expect(batchShareOf("mistral")).toBeUndefined();
  });

  it("halve every part of a bill (gpt-4o: input, cached input, output)", () => {
    const b = batchPrice(price("openai", "gpt-4o"), batchShareOf("openai")!);
    expect(b).toMatchObject({ input: 1.25, cachedInput: 0.625, output: 5 });
    // 600 × $1.25/M = 750 µ$, 400 × $0.625/M = 250 µ$, 500 × $5/M = 2500 µ$.
    expect(costOf(b, { promptTokens: 1000, cachedTokens: 400, completionTokens: 500 })).toEqual({
      inputMicros: 750,
      cachedInputMicros: 250,
      cacheWriteMicros: 0,
      outputMicros: 2500,
      reasoningMicros: 0,
      totalMicros: 3500,
    });
  });

  it("halve cache writes and long-context tiers too (claude-sonnet-4-5)", () => {
    const std = price("anthropic", "claude-sonnet-4-5");
    const b = batchPrice(std, batchShareOf("anthropic")!);
    expect(b.cacheWrite).toBe(std.cacheWrite! / 2);
    expect(b.tiers?.[0]).toMatchObject({ aboveInputTokens: std.tiers![0].aboveInputTokens, input: std.tiers![0].input / 2, output: std.tiers![0].output / 2 });
    const usage = { promptTokens: 10_000, cachedTokens: 3000, cacheWriteTokens: 2000, completionTokens: 1000 };
    expect(costOf(b, usage).totalMicros).toBe(costOf(std, usage).totalMicros / 2);
  });

  it("are what the price resolver gives for batches, for renamed providers and configured prices as well", () => {
    const r = new PriceResolver({ "oa:my-model": { input: 3, output: 7 } }, (id) => ({ oa: "openai", m: "mistral" })[id]);
    expect(r.batchLookup("oa", "gpt-4o")).toMatchObject({ price: { input: 1.25, output: 5 }, source: "catalog" });
    expect(r.batchLookup("oa", "gpt-4o")!.version).toMatch(/^catalog:.*;batch=1\/2$/);
    expect(r.batchLookup("oa", "my-model")).toEqual({ price: { input: 1.5, output: 3.5 }, version: "config;batch=1/2", source: "config" });
    expect(r.batchLookup("m", "mistral-large-latest")).toBeUndefined();
    expect(r.batchLookup("oa", "no-such-model")).toBeUndefined();
  });
});

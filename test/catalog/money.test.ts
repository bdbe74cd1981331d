/** Cost arithmetic in integer micro-USD: exact, rounded up per part, tiered, and convertible to USD and back. */
import { describe, expect, it } from "vitest";
import { costOf, maxCostOf, microsToUsd, partMicros, priceOf, tierFor, usdToMicros, type ModelPrice } from "../../src/catalog/prices.js";

const price = (type: string, model: string): ModelPrice => {
  const p = priceOf(type, model);
  if (!p) throw new Error(`no catalog price for ${type}:${model}`);
  return p;
};

describe("costOf", () => {
  it("charges uncached, cached and output tokens at their own rates (gpt-4o)", () => {
    const c = costOf(price("openai", "gpt-4o"), { promptTokens: 1000, cachedTokens: 400, completionTokens: 500 });
    // 600 × $2.50/M = 1500 µ$, 400 × $1.25/M = 500 µ$, 500 × $10/M = 5000 µ$.
    expect(c).toEqual({ inputMicros: 1500, cachedInputMicros: 500, cacheWriteMicros: 0, outputMicros: 5000, reasoningMicros: 0, totalMicros: 7000 });
  });

  it("takes cache reads and cache writes out of the prompt (claude-sonnet-4-5)", () => {
    const c = costOf(price("anthropic", "claude-sonnet-4-5"), { promptTokens: 10_000, cachedTokens: 3000, cacheWriteTokens: 2000, completionTokens: 1000 });
    // 5000 × 3 + 3000 × 0.30 + 2000 × 3.75 + 1000 × 15
    expect(c).toEqual({ inputMicros: 15_000, cachedInputMicros: 900, cacheWriteMicros: 7500, outputMicros: 15_000, reasoningMicros: 0, totalMicros: 38_400 });
  });

  it("charges cached tokens as input when the model has no cache price", () => {
    const c = costOf(price("mistral", "mistral-large-latest"), { promptTokens: 1000, cachedTokens: 1000, completionTokens: 0 });
    expect(c.cachedInputMicros).toBe(500);
    expect(c.totalMicros).toBe(500);
  });

  it("switches to the long-context tier strictly above the threshold, by total prompt tokens", () => {
    const pro = price("gemini", "gemini-2.5-pro");
    expect(costOf(pro, { promptTokens: 200_000, completionTokens: 1000 })).toMatchObject({ inputMicros: 250_000, outputMicros: 10_000, totalMicros: 260_000 });
    // 200 001 × $2.50/M = 500 002.5 µ$ → 500 003; output at $15/M.
    expect(costOf(pro, { promptTokens: 200_001, completionTokens: 1000 })).toMatchObject({ inputMicros: 500_003, outputMicros: 15_000, totalMicros: 515_003 });
    // Cached tokens count toward the threshold and get the tier's cache price.
    expect(costOf(pro, { promptTokens: 250_000, cachedTokens: 100_000, completionTokens: 0 })).toMatchObject({ inputMicros: 375_000, cachedInputMicros: 25_000 });
    const sonnet = price("anthropic", "claude-sonnet-4-5");
    expect(costOf(sonnet, { promptTokens: 250_000, cachedTokens: 30_000, cacheWriteTokens: 20_000, completionTokens: 1000 })).toEqual({
      inputMicros: 1_200_000, // 200 000 × $6
      cachedInputMicros: 18_000, // 30 000 × $0.60
      cacheWriteMicros: 150_000, // 20 000 × $7.50
      outputMicros: 22_500, // 1000 × $22.50
      reasoningMicros: 0,
      totalMicros: 1_390_500,
    });
    expect(tierFor(price("gemini", "gemini-1.5-pro"), 128_001).input).toBe(2.5);
    expect(tierFor(price("gemini", "gemini-1.5-pro"), 128_000).input).toBe(1.25);
  });

  it("prices reasoning tokens apart only when the model prices them unlike output", () => {
    const split: ModelPrice = { input: 1, output: 4, reasoning: 8 };
    expect(costOf(split, { promptTokens: 100, completionTokens: 1000, reasoningTokens: 600 })).toEqual({
      inputMicros: 100,
      cachedInputMicros: 0,
      cacheWriteMicros: 0,
      outputMicros: 1600,
      reasoningMicros: 4800,
      totalMicros: 6500,
    });
    const same = price("openai", "o3");
    expect(costOf(same, { promptTokens: 100, completionTokens: 1000, reasoningTokens: 600 })).toMatchObject({ outputMicros: 8000, reasoningMicros: 0, totalMicros: 8200 });
  });

  it("rounds each part up to a whole micro-USD, never down", () => {
    // 1 × $0.15/M = 0.15 µ$ → 1; 1 × $0.60/M → 1.
    expect(costOf(price("openai", "gpt-4o-mini"), { promptTokens: 1, completionTokens: 1 })).toMatchObject({ inputMicros: 1, outputMicros: 1, totalMicros: 2 });
    // 1000 × $0.00875/M = 8.75 µ$ → 9.
    expect(costOf(price("bedrock", "amazon.nova-micro-v1:0"), { promptTokens: 1000, cachedTokens: 1000, completionTokens: 0 }).cachedInputMicros).toBe(9);
    expect(costOf(price("openai", "gpt-4o"), { promptTokens: 0, completionTokens: 0 }).totalMicros).toBe(0);
  });

  it("is exact where floating point is not", () => {
    // 100 × 0.07 is 7.000000000000001 in floats, which a float ceil would bill as 8.
    expect(partMicros(100, 0.07)).toBe(7);
    expect(costOf(price("bedrock", "openai.gpt-oss-20b-1:0"), { promptTokens: 100, completionTokens: 10 })).toMatchObject({ inputMicros: 7, outputMicros: 3 });
    expect(partMicros(3, 0.1)).toBe(1); // 0.3 → 1, not 0.30000000000000004
    expect(partMicros(10, 0.1)).toBe(1);
    expect(partMicros(1_000_000, 2.1875)).toBe(2_187_500);
    expect(partMicros(123_456_789, 0.003625)).toBe(447_531); // 447 530.860… → up
  });

  it("computes in plain numbers exactly what the BigInt reference gives, up to the limits", () => {
    const reference = (count: number, price: number) => {
      const [int, frac = ""] = String(price).includes("e") ? [price.toFixed(20).replace(/0+$/, ""), ""] : String(price).split(".");
      const [i, f] = frac ? [int, frac] : (int.split(".") as [string, string?]);
      const digits = BigInt((i ?? "") + (f ?? "") || "0");
      const pow = 10n ** BigInt((f ?? "").length);
      const n = BigInt(Math.ceil(count));
      return Number((n * digits + pow - 1n) / pow);
    };
    const prices = [0.07, 0.1, 0.15, 0.6, 2.1875, 0.003625, 0.00875, 15, 75, 1.1, 0.000001, 123.456789, 3e-7];
    const counts = [1, 3, 7, 10, 999, 1_000_000, 123_456_789, 2 ** 31, 2 ** 40 + 7, 9_007_199_254];
    for (const p of prices) for (const c of counts) expect(partMicros(c, p), `${c} × ${p}`).toBe(reference(c, p));
    let seed = 42;
    const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 2000; k++) {
      const p = Number((rnd() * 100).toFixed(Math.floor(rnd() * 7)));
      const c = Math.floor(rnd() * 10 ** Math.floor(rnd() * 10));
      expect(partMicros(c, p), `${c} × ${p}`).toBe(reference(c, p));
    }
  });

  it("sums many small requests without drift", () => {
    const p = price("openai", "gpt-4o-mini");
    let total = 0;
    for (let i = 0; i < 100_000; i++) total += costOf(p, { promptTokens: 10, completionTokens: 10 }).totalMicros; // 1.5 µ$ → 2, 6 µ$
    expect(total).toBe(800_000);
    expect(microsToUsd(total)).toBe("0.8");
    // Random usage: every part an integer, the total exactly their sum.
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const models: Array<[string, string]> = [
      ["anthropic", "claude-sonnet-4-5"],
      ["gemini", "gemini-2.5-pro"],
      ["bedrock", "amazon.nova-micro-v1:0"],
      ["xai", "grok-4.3"],
    ];
    let sum = 0;
    let parts = 0;
    const bad: unknown[] = [];
    for (let i = 0; i < 20_000; i++) {
      const [t, m] = models[i % models.length];
      const prompt = rand(400_000);
      const c = costOf(price(t, m), { promptTokens: prompt, cachedTokens: rand(prompt + 1), cacheWriteTokens: rand(1000), completionTokens: rand(5000), reasoningTokens: rand(100) });
      if (!Object.values(c).every((v) => Number.isSafeInteger(v) && v >= 0)) bad.push(c);
      sum += c.totalMicros;
      parts += c.inputMicros + c.cachedInputMicros + c.cacheWriteMicros + c.outputMicros + c.reasoningMicros;
    }
    expect(bad).toEqual([]);
    expect(sum).toBe(parts);
    expect(usdToMicros(microsToUsd(sum))).toBe(sum);
  });

  it("clamps inconsistent or junk token counts instead of charging negative amounts", () => {
    const c = costOf(price("openai", "gpt-4o"), { promptTokens: 100, cachedTokens: 150, completionTokens: -5, reasoningTokens: Number.NaN });
    expect(c).toEqual({ inputMicros: 0, cachedInputMicros: 125, cacheWriteMicros: 0, outputMicros: 0, reasoningMicros: 0, totalMicros: 125 });
    expect(() => costOf({ input: -1, output: 1 }, { promptTokens: 1, completionTokens: 1 })).toThrow(RangeError);
  });
});

describe("maxCostOf (reservation size)", () => {
  it("is every prompt token at the tier's uncached rate plus max output at its output rate", () => {
    expect(maxCostOf(price("openai", "gpt-4o"), 1000, 16_384)).toBe(2500 + 163_840);
    expect(maxCostOf(price("gemini", "gemini-2.5-pro"), 300_000, 1000)).toBe(750_000 + 15_000);
    expect(maxCostOf(price("openai", "gpt-4o-mini"), 1, 1)).toBe(2);
    expect(maxCostOf({ input: 1, output: 4, reasoning: 8 }, 0, 1000)).toBe(8000);
  });

  it("is never below the cost of an answer within max output (cache reads: up to 1 µ$ of extra rounding)", () => {
    for (const [t, m] of [
      ["openai", "gpt-5.5"],
      ["gemini", "gemini-2.5-pro"],
      ["xai", "grok-4.7"],
      ["bedrock", "amazon.nova-micro-v1:0"],
      ["openai", "gpt-4o-mini"],
    ] as const) {
      const p = price(t, m);
      for (const prompt of [0, 1, 10, 999, 200_000, 200_001, 272_001, 400_000]) {
        const reserve = maxCostOf(p, prompt, 4096);
        for (const completion of [0, 1, 4095, 4096]) {
          expect(costOf(p, { promptTokens: prompt, completionTokens: completion }).totalMicros).toBeLessThanOrEqual(reserve);
          expect(costOf(p, { promptTokens: prompt, cachedTokens: Math.ceil(prompt / 3), completionTokens: completion }).totalMicros).toBeLessThanOrEqual(reserve + 1);
        }
      }
    }
  });
});

describe("micro-USD ⇄ USD", () => {
  it("formats integers as decimal USD without float drift", () => {
    expect(microsToUsd(1_234_567)).toBe("1.234567");
    expect(microsToUsd(5)).toBe("0.000005");
    expect(microsToUsd(0)).toBe("0");
    expect(microsToUsd(1_500_000)).toBe("1.5");
    expect(microsToUsd(1_000_000)).toBe("1");
    expect(microsToUsd(100_000)).toBe("0.1");
    expect(microsToUsd(-2_500)).toBe("-0.0025");
    expect(microsToUsd(Number.MAX_SAFE_INTEGER)).toBe("9007199254.740991");
    expect(() => microsToUsd(1.5)).toThrow(RangeError);
    expect(() => microsToUsd(Number.NaN)).toThrow(RangeError);
  });

  it("parses decimal USD exactly", () => {
    expect(usdToMicros("1.234567")).toBe(1_234_567);
    expect(usdToMicros(0.1)).toBe(100_000);
    expect(usdToMicros(0.3)).toBe(300_000); // not 299 999
    expect(usdToMicros("0.000001")).toBe(1);
    expect(usdToMicros(1e-6)).toBe(1);
    expect(usdToMicros("25")).toBe(25_000_000);
    expect(usdToMicros(" 1.5000000 ")).toBe(1_500_000); // trailing zeros are not extra decimals
    expect(usdToMicros(".5")).toBe(500_000);
    expect(usdToMicros("1e3")).toBe(1_000_000_000);
    expect(usdToMicros(0)).toBe(0);
  });

  it("rejects negative, non-finite, garbage and sub-micro amounts", () => {
    for (const bad of [-1, "-0.5", Number.NaN, Number.POSITIVE_INFINITY, "abc", "", "1.2.3", "0x10", "1.2345678", 1e-7, "9007199255"]) {
      expect(() => usdToMicros(bad), String(bad)).toThrow(RangeError);
    }
  });

  it("round-trips", () => {
    for (const m of [0, 1, 5, 999_999, 1_000_000, 1_000_001, 123_456_789, 40_000_000_000]) expect(usdToMicros(microsToUsd(m))).toBe(m);
    for (const s of ["0", "0.000001", "0.1", "2.5", "1234.56789", "999999.999999"]) expect(microsToUsd(usdToMicros(s))).toBe(s);
  });
});

/** The model and price catalog as data: coverage, well-formedness, and how ids resolve to entries. */
import { describe, expect, it } from "vitest";
import { catalogModels, findCatalogModel, MODEL_CATALOG, PRICE_CATALOG_VERSION, type CatalogModel } from "../../src/catalog/models.js";
import { priceOf } from "../../src/catalog/prices.js";
import { decimalOf } from "../../src/catalog/decimal.js";
import { PROVIDER_REGISTRY } from "../../src/providers/registry.js";

/** Provider types listed without prices on purpose: DeepInfra (no verified price). */
const UNPRICED_TYPES = new Set(["deepinfra"]);
const entries = Object.entries(MODEL_CATALOG) as Array<[string, readonly CatalogModel[]]>;
/** Vertex shares Gemini's list; count it once. */
const distinct = entries.filter(([type]) => type !== "vertex");

describe("catalog coverage", () => {
  it("prices at least 60 distinct models, chat and embedding", () => {
    const priced = distinct.flatMap(([type, ms]) => ms.filter((m) => m.price).map((m) => `${type}:${m.id}`));
    expect(new Set(priced).size).toBe(priced.length);
    expect(priced.length).toBeGreaterThanOrEqual(60);
    const modes = new Set(distinct.flatMap(([, ms]) => ms.filter((m) => m.price).map((m) => m.mode)));
    expect([...modes].sort()).toEqual(["chat", "embedding"]);
  });

  it("covers every major provider type, with chat and embedding models where the provider has both", () => {
    const minimum: Record<string, number> = { openai: 20, anthropic: 12, gemini: 10, mistral: 5, groq: 6, deepseek: 3, xai: 6, cohere: 6, bedrock: 25, together: 3, fireworks: 3, openrouter: 3 };
    for (const [type, n] of Object.entries(minimum)) {
      expect(catalogModels(type).filter((m) => m.price).length, type).toBeGreaterThanOrEqual(n);
    }
    for (const type of ["openai", "gemini", "mistral", "cohere", "bedrock"]) {
      expect(
        catalogModels(type).some((m) => m.mode === "embedding" && m.price),
        type,
      ).toBe(true);
    }
    expect(catalogModels("vertex")).toBe(catalogModels("gemini"));
    expect(catalogModels("nosuch")).toEqual([]);
  });

  it("names only registered provider types", () => {
    for (const [type] of entries) expect(PROVIDER_REGISTRY.has(type), type).toBe(true);
  });

  it("has a dated version", () => {
    expect(PRICE_CATALOG_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe("catalog entries", () => {
  const all = entries.flatMap(([type, ms]) => ms.map((m) => ({ type, m })));
  const isDecimal = (x: number) => Number.isFinite(x) && x >= 0 && decimalOf(x).scale <= 6;

  it("every model of a priced provider has a price; outputs ≥ 0; embeddings output 0", () => {
    for (const { type, m } of all) {
      if (UNPRICED_TYPES.has(type)) continue;
      const p = m.price;
      expect(p, `${type}:${m.id}`).toBeDefined();
      expect(p!.output, `${type}:${m.id}`).toBeGreaterThanOrEqual(0);
      expect(p!.input, `${type}:${m.id}`).toBeGreaterThan(0);
      if (m.mode === "embedding") expect(p!.output, `${type}:${m.id}`).toBe(0);
    }
  });

  it("every chat model has a context window and a maximum output", () => {
    for (const { type, m } of all) {
      if (m.mode !== "chat") continue;
      expect(Number.isSafeInteger(m.contextWindow) && m.contextWindow! > 0, `${type}:${m.id}`).toBe(true);
      expect(Number.isSafeInteger(m.maxOutputTokens) && m.maxOutputTokens! > 0, `${type}:${m.id}`).toBe(true);
      expect(m.maxOutputTokens!, `${type}:${m.id}`).toBeLessThanOrEqual(m.contextWindow!);
    }
  });

  it("prices are plain decimals (≤ 6 places), cache reads cost less than input, tiers ascend and cost more", () => {
    for (const { type, m } of all) {
      const p = m.price;
      if (!p) continue;
      const where = `${type}:${m.id}`;
      for (const x of [p.input, p.output, p.cachedInput, p.cacheWrite, p.reasoning]) if (x !== undefined) expect(isDecimal(x), where).toBe(true);
      if (p.cachedInput !== undefined) expect(p.cachedInput, where).toBeLessThan(p.input);
      if (p.cacheWrite !== undefined) expect(p.cacheWrite, where).toBeGreaterThanOrEqual(p.input);
      let last = { aboveInputTokens: 0, input: p.input, output: p.output };
      for (const t of p.tiers ?? []) {
        expect(t.aboveInputTokens, where).toBeGreaterThan(last.aboveInputTokens);
        expect(t.aboveInputTokens, where).toBeLessThan(m.contextWindow!);
        expect(t.input, where).toBeGreaterThan(last.input);
        expect(t.output, where).toBeGreaterThanOrEqual(last.output);
        for (const x of [t.input, t.output, t.cachedInput, t.cacheWrite]) if (x !== undefined) expect(isDecimal(x), where).toBe(true);
        // A tier of a model with cache prices states its own, so cached tokens are never charged as input.
        if (p.cachedInput !== undefined) expect(t.cachedInput, where).toBeDefined();
        if (p.cacheWrite !== undefined) expect(t.cacheWrite, where).toBeDefined();
        last = t;
      }
    }
  });

  it("ids and aliases are unique within a provider type", () => {
    for (const [type, ms] of entries) {
      const ids = ms.flatMap((m) => [m.id, ...(m.aliases ?? [])]);
      expect(new Set(ids).size, type).toBe(ids.length);
    }
  });
});

describe("price lookup", () => {
  it("matches exact ids and listed aliases", () => {
    expect(priceOf("openai", "gpt-4o")).toEqual({ input: 2.5, output: 10, cachedInput: 1.25 });
    expect(priceOf("anthropic", "claude-3-5-haiku-latest")).toBe(priceOf("anthropic", "claude-3-5-haiku-20241022"));
    expect(priceOf("anthropic", "claude-sonnet-4-20250514")).toBe(priceOf("anthropic", "claude-sonnet-4-0"));
    expect(priceOf("xai", "grok-4-0709")).toBe(priceOf("xai", "grok-4"));
  });

  it("falls back from a dated snapshot to the undated id", () => {
    expect(priceOf("openai", "gpt-4o-2024-08-06")).toBe(priceOf("openai", "gpt-4o"));
    expect(priceOf("openai", "gpt-4o-mini-2024-07-18")).toBe(priceOf("openai", "gpt-4o-mini"));
    expect(priceOf("openai", "gpt-5.4-2026-03-05")).toBe(priceOf("openai", "gpt-5.4"));
    expect(priceOf("anthropic", "claude-opus-4-1-20250805")).toBe(priceOf("anthropic", "claude-opus-4-1"));
    expect(priceOf("anthropic", "claude-opus-4-6-20260205")).toBe(priceOf("anthropic", "claude-opus-4-6"));
    // A snapshot with its own price is listed and wins over the fallback.
    expect(priceOf("openai", "gpt-4o-2024-05-13")).toEqual({ input: 5, output: 15 });
    expect(findCatalogModel("openai", "o3-2025-04-16")?.maxOutputTokens).toBe(100_000);
  });

  it("resolves Bedrock inference profiles: global where listed, else the base (regional) entry", () => {
    expect(priceOf("bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0")).toBe(priceOf("bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0"));
    expect(priceOf("bedrock", "eu.anthropic.claude-sonnet-4-6")?.input).toBe(3.3);
    expect(priceOf("bedrock", "global.anthropic.claude-sonnet-4-6")?.input).toBe(3);
    expect(priceOf("bedrock", "global.anthropic.claude-opus-4-7-v1")?.input).toBe(5);
    expect(priceOf("bedrock", "us.anthropic.claude-opus-4-7-v1")?.input).toBe(5.5);
    expect(priceOf("bedrock", "global.anthropic.claude-3-5-haiku-20241022-v1:0")?.input).toBe(0.8);
    expect(priceOf("bedrock", "us.amazon.nova-pro-v1:0")).toEqual({ input: 0.8, output: 3.2, cachedInput: 0.2 });
    expect(priceOf("bedrock", "amazon.titan-embed-text-v2:0")).toEqual({ input: 0.02, output: 0 });
  });

  it("prices the mock provider's models like a small hosted model, so demos spend money", () => {
    expect(priceOf("mock", "mock-1")).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf("mock", "mock-embedding-1")).toEqual({ input: 0.02, output: 0 });
  });

  it("resolves Gemini resource names and version suffixes, on Gemini and Vertex alike", () => {
    expect(priceOf("gemini", "models/gemini-2.5-pro")).toBe(priceOf("gemini", "gemini-2.5-pro"));
    expect(priceOf("gemini", "gemini-2.0-flash-001")).toBe(priceOf("gemini", "gemini-2.0-flash"));
    expect(priceOf("vertex", "gemini-2.5-flash")).toEqual({ input: 0.3, output: 2.5, cachedInput: 0.03 });
  });

  it("knows nothing of unknown models or of models under another provider type", () => {
    expect(priceOf("openai", "gpt-nosuch")).toBeUndefined();
    expect(priceOf("groq", "gpt-4o")).toBeUndefined();
    expect(priceOf("nosuch", "gpt-4o")).toBeUndefined();
    expect(priceOf("mock", "slow-200")).toBeUndefined();
    // Mistral's dated ids were priced unlike today's -latest models: no fallback onto them.
    expect(priceOf("mistral", "mistral-large-2411")).toBeUndefined();
  });
});

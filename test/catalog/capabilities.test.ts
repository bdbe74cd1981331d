/** The catalog's capability and quality data: what it says for known models, how ids resolve, and which models it leaves unknown. */
import { describe, expect, it } from "vitest";
import { capabilitiesOf } from "../../src/catalog/capabilities.js";
import { MODEL_CATALOG, type CatalogModel } from "../../src/catalog/models.js";
import { qualityOf } from "../../src/catalog/quality.js";

const chatModels = (Object.entries(MODEL_CATALOG) as Array<[string, readonly CatalogModel[]]>).flatMap(([type, models]) => models.filter((m) => m.mode === "chat").map((m) => [type, m.id] as const));

describe("capabilitiesOf", () => {
  it("answers the documented capabilities of known models", () => {
    expect(capabilitiesOf("openai", "gpt-4o")).toEqual({ tools: true, vision: true, jsonMode: true, reasoning: false });
    expect(capabilitiesOf("openai", "o3-mini")).toEqual({ tools: true, vision: false, jsonMode: true, reasoning: true });
    expect(capabilitiesOf("anthropic", "claude-sonnet-4-6")).toEqual({ tools: true, vision: true, jsonMode: false, reasoning: true });
    expect(capabilitiesOf("cohere", "command-a-vision-07-2025")).toEqual({ tools: false, vision: true, jsonMode: false, reasoning: false });
    expect(capabilitiesOf("perplexity", "sonar")).toEqual({ tools: false, vision: false, jsonMode: false, reasoning: false });
    expect(capabilitiesOf("groq", "llama-3.3-70b-versatile")).toEqual({ tools: true, vision: false, jsonMode: false, reasoning: false });
    expect(capabilitiesOf("mock", "mock-1")).toEqual({ tools: true, vision: true, jsonMode: true, reasoning: false });
  });

  it("resolves aliases, dated snapshots, inference profiles and Vertex as the catalog does", () => {
    expect(capabilitiesOf("openai", "gpt-4o-2024-08-06")).toEqual(capabilitiesOf("openai", "gpt-4o"));
    expect(capabilitiesOf("anthropic", "claude-haiku-4-5-20251001")).toEqual(capabilitiesOf("anthropic", "claude-haiku-4-5"));
    expect(capabilitiesOf("xai", "grok-4-latest")).toEqual({ tools: true, vision: false, jsonMode: false, reasoning: true });
    expect(capabilitiesOf("bedrock", "us.anthropic.claude-opus-4-7")).toEqual({ tools: true, vision: true, jsonMode: false, reasoning: true });
    expect(capabilitiesOf("vertex", "gemini-2.5-flash")).toEqual({ tools: true, vision: true, jsonMode: true, reasoning: true });
    expect(capabilitiesOf("gemini", "models/gemini-2.0-flash-001")).toEqual({ tools: true, vision: true, jsonMode: true, reasoning: false });
  });

  it("is undefined for models it cannot vouch for, embedding models, unknown ids and unknown provider types", () => {
    expect(capabilitiesOf("openai", "text-embedding-3-small")).toBeUndefined();
    expect(capabilitiesOf("openai", "no-such-model")).toBeUndefined();
    expect(capabilitiesOf("ollama", "gpt-4o")).toBeUndefined();
    expect(capabilitiesOf("mock", "slow-200")).toBeUndefined();
  });

  it("covers every catalog chat model except the ones models.dev did not list", () => {
    const unknown = chatModels.filter(([type, id]) => type !== "vertex" && !capabilitiesOf(type, id)).map(([type, id]) => `${type}:${id}`);
    expect(unknown.sort()).toEqual(
      [
        "anthropic:claude-opus-5",
        "xai:grok-4.7",
        "xai:grok-4.5",
        "xai:grok-4-1-fast-reasoning",
        "together:meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        "together:meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
        "together:meta-llama/Llama-4-Scout-17B-16E-Instruct",
        "fireworks:accounts/fireworks/models/llama-v3p1-70b-instruct",
        "fireworks:accounts/fireworks/models/llama4-maverick-instruct-basic",
        "openrouter:anthropic/claude-3.5-sonnet",
        "deepinfra:meta-llama/Meta-Llama-3.1-70B-Instruct",
      ].sort(),
    );
  });
});

describe("qualityOf", () => {
  it("normalizes the Arena text scores linearly between the floor 1300 (0) and the best listed 1505 (1)", () => {
    expect(qualityOf("anthropic", "claude-opus-4-7")).toBe(0.966);
    expect(qualityOf("openai", "gpt-5.4")).toBe(0.82);
    expect(qualityOf("openai", "gpt-5.1")).toBe(0.678);
    expect(qualityOf("gemini", "gemini-3-pro-preview")).toBe(0.907);
  });

  it("gives the same model the same score behind every provider that serves it", () => {
    const sonnet = qualityOf("anthropic", "claude-sonnet-4-6");
    expect(sonnet).toBe(0.795);
    expect(qualityOf("bedrock", "anthropic.claude-sonnet-4-6")).toBe(sonnet);
    expect(qualityOf("bedrock", "global.anthropic.claude-sonnet-4-6")).toBe(sonnet);
    expect(qualityOf("bedrock", "eu.anthropic.claude-sonnet-4-6")).toBe(sonnet);
    expect(qualityOf("openrouter", "anthropic/claude-sonnet-4.6")).toBe(sonnet);
    expect(qualityOf("vertex", "gemini-2.5-pro")).toBe(qualityOf("gemini", "gemini-2.5-pro"));
    expect(qualityOf("anthropic", "claude-opus-4-5-20251101")).toBe(qualityOf("anthropic", "claude-opus-4-5"));
  });

  it("is undefined for models without a plain entry in the snapshot", () => {
    expect(qualityOf("openai", "gpt-4o-mini")).toBeUndefined();
    expect(qualityOf("openai", "gpt-5.4-mini")).toBeUndefined();
    expect(qualityOf("anthropic", "claude-opus-4-8")).toBeUndefined();
    expect(qualityOf("mock", "mock-1")).toBeUndefined();
    expect(qualityOf("ollama", "gpt-5.4")).toBeUndefined();
  });

  it("scores only catalog chat models, each between 0 and 1", () => {
    const scored = chatModels.filter(([type, id]) => qualityOf(type, id) !== undefined);
    // 13 Arena entries served as 26 catalog entries, and Vertex repeats the 4 Gemini ones.
    expect(scored.length).toBe(30);
    for (const [type, id] of scored) {
      const q = qualityOf(type, id)!;
      expect(q, `${type}:${id}`).toBeGreaterThan(0);
      expect(q, `${type}:${id}`).toBeLessThanOrEqual(1);
    }
  });
});

/** Bare model names: which configured providers serve a model named without a provider prefix. */
import { describe, expect, it } from "vitest";
import { providersServing } from "../../src/routing/bare-names.js";

const providers = [
  { id: "oai", type: "openai" },
  { id: "router", type: "openrouter" },
  { id: "oai-eu", type: "openai" },
  { id: "claude", type: "anthropic" },
  { id: "aws", type: "bedrock" },
  { id: "local", type: "ollama" },
];

describe("providersServing", () => {
  it("names every provider whose catalog lists the model, in the configured order", () => {
    expect(providersServing("gpt-4o-mini", providers)).toEqual(["oai", "oai-eu"]);
    expect(providersServing("openai/gpt-4o-mini", providers)).toEqual(["router"]);
    expect(providersServing("claude-haiku-4-5", providers)).toEqual(["claude"]);
  });

  it("matches aliases and the catalog's id fallbacks, not just ids", () => {
    expect(providersServing("claude-haiku-4-5-20251001", providers)).toEqual(["claude"]);
    expect(providersServing("claude-opus-4", providers)).toEqual(["claude"]);
    expect(providersServing("gpt-4o-2024-08-06", providers)).toEqual(["oai", "oai-eu"]);
    expect(providersServing("us.anthropic.claude-haiku-4-5-20251001-v1:0", providers)).toEqual(["aws"]);
  });

  it("keeps the order the providers were given in", () => {
    expect(providersServing("gpt-4o-mini", [...providers].reverse())).toEqual(["oai-eu", "oai"]);
  });

  it("answers nothing for a model no configured catalog knows, or a provider type without a catalog", () => {
    expect(providersServing("no-such-model", providers)).toEqual([]);
    expect(providersServing("llama3", providers)).toEqual([]);
    expect(providersServing("gpt-4o-mini", [])).toEqual([]);
    expect(providersServing("gpt-4o-mini", [{ id: "local", type: "ollama" }])).toEqual([]);
  });
});

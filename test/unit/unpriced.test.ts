/** Which deployments and providers have no price, and what the gateway says and does about them. */
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/index.js";
import { GatewayError } from "../../src/core/errors.js";
import { PriceResolver } from "../../src/pricing/resolver.js";
import { refuseUnpriced, unpricedDeployments, unpricedProviders, unpricedWarning, warnIfUnpriced } from "../../src/pricing/unpriced.js";
import { knownProviderTypes } from "../../src/providers/registry.js";
import { lines, writeTemp } from "../config/tmp.js";

const config = parseConfig(
  {
    providers: { local: { type: "vllm" }, ollama: {}, openai: { api_key: "sk-test-000000" }, priced: { type: "ollama" } },
    pricing: { "priced:qwen3": { input: 0.1, output: 0.1 } },
    models: [
      { name: "a", deployments: ["openai:gpt-4o-mini", "local:llama3", "mock:mock-1"] },
      { name: "b", deployments: ["local/llama3", "openai:gpt-nosuch", "priced:qwen3", "mock:slow-200"] },
    ],
  },
  { env: {}, knownProviderTypes: knownProviderTypes() },
);
const resolver = () => new PriceResolver(config.pricing, (id) => config.providers[id]?.type);

describe("unpriced deployments", () => {
  it("names each alias deployment with no price once, at the first place it is written", () => {
    expect(unpricedDeployments(config, resolver())).toEqual([
      { name: "local:llama3", path: ["models", 0, "deployments", 1, "model"] },
      { name: "openai:gpt-nosuch", path: ["models", 1, "deployments", 1, "model"] },
      { name: "mock:slow-200", path: ["models", 1, "deployments", 3, "model"] },
    ]);
  });

  it("says where a deployment is written when the config came from a file", () => {
    const { dir } = writeTemp("switchboard.yaml", lines("providers:", "  local: { type: vllm }", "models:", "  - name: a", "    deployments:", "      - mock:mock-1", "      - local:llama3"));
    const loaded = loadConfig({ path: "switchboard.yaml", cwd: dir, env: {}, knownProviderTypes: knownProviderTypes() });
    const r = new PriceResolver(loaded.pricing, (id) => loaded.providers[id]?.type);
    expect(unpricedDeployments(loaded, r)).toEqual([{ name: "local:llama3", path: ["models", 0, "deployments", 1, "model"], where: "switchboard.yaml:7" }]);
    expect(Object.keys(loaded)).not.toContain("locate");
  });

  it("counts prices set through /v1/pricing", () => {
    const r = resolver();
    r.setApiPrices([{ model: "local/llama3", input: 1, output: 1, cachedInput: null, updatedAt: new Date(0) }]);
    expect(unpricedDeployments(config, r).map((d) => d.name)).toEqual(["openai:gpt-nosuch", "mock:slow-200"]);
  });

  it("names providers no price covers at all: no catalog prices and no pricing entry", () => {
    expect(unpricedProviders(config, resolver())).toEqual(["local", "ollama"]);
    const r = resolver();
    r.setApiPrices([{ model: "ollama:llama3", input: 1, output: 1, cachedInput: null, updatedAt: new Date(0) }]);
    expect(unpricedProviders(config, r)).toEqual(["local"]);
  });

  it("makes one start-up line, or none when everything is priced", () => {
    expect(
      unpricedWarning(
        [
          { name: "local:llama3", path: ["models", 0, "deployments", 1, "model"], where: "switchboard.yaml:7" },
          { name: "x:y", path: ["models", 2, "deployments", 0, "model"] },
        ],
        ["local"],
      ),
    ).toBe(
      "warning: these deployments have no price, so their requests are recorded at $0 and no budget limits them: local:llama3 (switchboard.yaml:7), x:y (models[2].deployments[0].model); " +
        "no price covers any model of provider local (no catalog prices, no pricing: entry) — set a price under `pricing:` in the configuration or with POST /v1/pricing",
    );
    expect(unpricedWarning([], [])).toBeUndefined();
  });
});

describe("per request", () => {
  it("warns once per unpriced deployment, never for a priced one", () => {
    const warnings: string[] = [];
    const r = resolver();
    warnIfUnpriced(r, { provider: "openai", model: "gpt-4o-mini" }, warnings);
    warnIfUnpriced(r, { provider: "mock", model: "mock-1" }, warnings);
    expect(warnings).toEqual([]);
    warnIfUnpriced(r, { provider: "local", model: "llama3" }, warnings);
    warnIfUnpriced(r, { provider: "local", model: "llama3" }, warnings);
    expect(warnings).toEqual([
      "no price is known for local:llama3: this request is recorded at $0 and no budget limits it (set a price under `pricing:` in the configuration or with POST /v1/pricing)",
    ]);
  });

  it("refuses with 402 model_not_priced naming the unpriced deployments; passes when all are priced", () => {
    const r = resolver();
    const err = (() => {
      try {
        refuseUnpriced(r, "b", [
          { provider: "openai", model: "gpt-nosuch" },
          { provider: "priced", model: "qwen3" },
          { provider: "local", model: "llama3" },
        ]);
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error("expected a refusal");
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect([err.code, err.status, err.param, err.retryable]).toEqual(["model_not_priced", 402, "model", false]);
    expect(err.message).toBe(
      "model 'b' is refused: openai:gpt-nosuch, local:llama3 have no price and pricing.require is on (set a price under `pricing:` in the configuration or with POST /v1/pricing)",
    );
    expect(() =>
      refuseUnpriced(r, "a", [
        { provider: "openai", model: "gpt-4o-mini" },
        { provider: "priced", model: "qwen3" },
      ]),
    ).not.toThrow();
  });
});

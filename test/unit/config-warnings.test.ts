/** Warnings about a configuration that loads but will most likely not do what was meant. */
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/index.js";
import { configWarnings } from "../../src/gateway/warnings.js";
import { PriceResolver } from "../../src/pricing/resolver.js";
import { providerWarnings } from "../../src/providers/config-warnings.js";
import { knownProviderTypes, providerSettingNames } from "../../src/providers/registry.js";
import { lines, writeTemp } from "../config/tmp.js";

const parse = (raw: Record<string, unknown>, env: Record<string, string> = {}) => parseConfig(raw, { env, knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames });

describe("providers without credentials", () => {
  it("names a provider whose type needs a key and has none, with the ways to give one", () => {
    expect(providerWarnings(parse({ providers: { openai: {}, anthropic: {} } }))).toEqual([
      "providers.openai: no credentials: OpenAI needs a key, so its requests will fail upstream (set api_key or $OPENAI_API_KEY)",
      "providers.anthropic: no credentials: Anthropic needs a key, so its requests will fail upstream (set api_key or $ANTHROPIC_API_KEY)",
    ]);
  });

  it("offers no environment variable for a renamed provider (it never reads one)", () => {
    expect(providerWarnings(parse({ providers: { work: { type: "openai", base_url: "https://llm.example.com/v1" } } }))).toEqual([
      "providers.work: no credentials: OpenAI needs a key, so its requests will fail upstream (set api_key)",
    ]);
  });

  it("is quiet for a key from the file or the environment, a type that needs none, and Azure's AD token", () => {
    const config = parse(
      {
        providers: {
          openai: {},
          groq: { api_key: "gsk-000000000" },
          local: { type: "vllm", base_url: "http://127.0.0.1:8000/v1" },
          az: { type: "azure", base_url: "https://r.openai.azure.com", azure_ad_token: "eyJ0eXAi" },
        },
      },
      { OPENAI_API_KEY: "sk-env-000000" },
    );
    expect(providerWarnings(config)).toEqual([]);
    expect(providerWarnings(parse({ providers: { az: { type: "azure", base_url: "https://r.openai.azure.com" } } }))).toEqual([
      "providers.az: no credentials: Azure OpenAI needs a key, so its requests will fail upstream (set api_key or azure_ad_token)",
    ]);
  });
});

describe("alias deployments the catalog does not know", () => {
  it("names the deployment, with a likely spelling; providers without a catalog, and the mock (it answers any name), are not checked", () => {
    const config = parse({
      providers: { openai: { api_key: "sk-000000000" }, local: { type: "ollama" } },
      models: [{ name: "a", deployments: ["openai:gpt-4o-mni", "openai:gpt-4o-2024-08-06", "local:anything", "mock:mock-1", "mock:anything"] }],
    });
    expect(providerWarnings(config)).toEqual([
      'models[0].deployments[0].model: "gpt-4o-mni" is not a model the openai catalog knows (did you mean "gpt-4o-mini"?): check the name; a model newer than this catalog works, but has no price until one is set',
    ]);
  });
});

describe("every warning, one line each, located in the file", () => {
  it("prints file:line and key path for each kind", () => {
    const { dir } = writeTemp(
      "switchboard.yaml",
      lines(
        "providers:", //                                    1
        "  openai: { api_key: ${OPENAI_KEY} }", //          2
        "  local: { type: vllm }", //                       3
        "models:", //                                       4
        "  - name: chat", //                                5
        "    deployments:", //                              6
        "      - openai:gpt-4o-mni", //                     7
        "      - local:llama3", //                          8
      ),
    );
    const config = loadConfig({ path: "switchboard.yaml", cwd: dir, env: {}, knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames });
    expect(configWarnings(config, new PriceResolver(config.pricing, (id) => config.providers[id]?.type))).toEqual([
      "warning: switchboard.yaml:2: providers.openai.api_key: ${OPENAI_KEY} is not set and has no default, so this value is empty (set OPENAI_KEY, or write ${OPENAI_KEY:-default})",
      "warning: switchboard.yaml:2: providers.openai: no credentials: OpenAI needs a key, so its requests will fail upstream (set api_key or $OPENAI_API_KEY)",
      'warning: switchboard.yaml:7: models[0].deployments[0].model: "gpt-4o-mni" is not a model the openai catalog knows (did you mean "gpt-4o-mini"?): check the name; a model newer than this catalog works, but has no price until one is set',
      "warning: these deployments have no price, so their requests are recorded at $0 and no budget limits them: openai:gpt-4o-mni (switchboard.yaml:7), local:llama3 (switchboard.yaml:8); " +
        "no price covers any model of provider local (no catalog prices, no pricing: entry) — set a price under `pricing:` in the configuration or with POST /v1/pricing",
    ]);
  });

  it("has none for a configuration where everything is set, known and priced", () => {
    const config = parse({
      providers: { openai: { api_key: "sk-000000000" }, local: { type: "vllm" } },
      pricing: { "local:llama3": { input: 0.1, output: 0.1 } },
      models: [{ name: "chat", deployments: ["openai:gpt-4o-mini", "local:llama3", "mock:mock-1"] }],
    });
    expect(configWarnings(config, new PriceResolver(config.pricing, (id) => config.providers[id]?.type))).toEqual([]);
  });
});

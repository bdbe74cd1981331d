/** A key of a provider entry that its provider type does not read is refused, with its line, not ignored. */
import { describe, expect, it } from "vitest";
import { checkConfigFile } from "../../src/config/index.js";
import { knownProviderTypes, providerSettingNames, PROVIDER_REGISTRY } from "../../src/providers/registry.js";
import { lines, writeTemp } from "./tmp.js";

const opts = { knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames };

describe("provider settings", () => {
  it("refuses a key the provider type does not read, naming file, line and key path", () => {
    const { path } = writeTemp(
      "switchboard.yaml",
      lines(
        "providers:",
        "  openai: { api_key: k-000000, organisation: acme }",
        "  bed: { type: bedrock, regoin: us-west-2 }",
        "  m: { type: mock, seed: 1 }",
        "  az:",
        "    type: azure",
        "    base_url: https://acme.openai.azure.com",
        "    api_version: 2024-10-21",
        "    deployments: { gpt-4o: prod }",
        "    stream_usage: false",
        "  claude: { type: anthropic, thinking_mode: adaptive, default_max_tokens: 2048, anthropic_beta: [a, b] }",
        "  local: { type: openai, base_url: http://127.0.0.1:8001/v1, stream_usage: false, timeout_ms: 1000, headers: { x-a: b } }",
        "  vx: { type: vertex, project: p, location: europe-west4, credentials_file: /nonexistent.json, token_url: http://127.0.0.1:1/token }",
        "  g: { type: gemini, api_version: v1 }",
        "  co: { type: cohere, embedding_input_type: search_query }",
      ),
    );
    expect(checkConfigFile(path, {}, opts)).toEqual({
      ok: false,
      errors: [
        `${path}:2: providers.openai.organisation: unknown setting for provider type "openai" (its settings: stream_usage, native_responses)`,
        `${path}:3: providers.bed.regoin: unknown setting for provider type "bedrock" (did you mean "region"?)`,
        `${path}:4: providers.m.seed: unknown setting for provider type "mock" (it has no settings of its own)`,
      ],
    });
  });

  it("every registered type declares the settings it reads", () => {
    for (const [type, def] of PROVIDER_REGISTRY) expect(Array.isArray(def.settings), type).toBe(true);
    expect(providerSettingNames("bedrock")).toEqual(["region", "access_key_id", "secret_access_key", "session_token"]);
    expect(providerSettingNames("nosuch")).toBeUndefined();
  });
});

describe("model group deployments", () => {
  it("must name a configured provider's model: refused with the line otherwise", () => {
    const { path } = writeTemp(
      "switchboard.yaml",
      lines(
        "providers:",
        "  local: { type: openai, base_url: http://127.0.0.1:8001/v1 }",
        "models:",
        "  - name: fast",
        "    deployments:",
        "      - local:llama",
        "      - openai:gpt-4o-mini",
        "      - mock:mock-1",
        "  - name: smart",
        "    deployments: [ fast ]",
      ),
    );
    expect(checkConfigFile(path, {}, opts)).toEqual({
      ok: false,
      errors: [
        `${path}:7: models[0].deployments[1].model: provider "openai" is not configured (configured: local, mock)`,
        `${path}:10: models[1].deployments[0].model: expected "provider:model" (e.g. "mock:mock-1"), got "fast": a deployment names a provider's model, not an alias`,
      ],
    });
  });

  it("counts providers detected from the environment", () => {
    const { path } = writeTemp("switchboard.yaml", lines("models:", "  - name: fast", "    deployments: [ openai:gpt-4o-mini ]"));
    expect(checkConfigFile(path, { OPENAI_API_KEY: "sk-test-000000" }, opts)).toEqual({ ok: true, errors: [] });
  });
});

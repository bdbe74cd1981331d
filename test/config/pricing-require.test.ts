/** `pricing.require` beside the `provider:model` prices of `pricing:`. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/index.js";
import { lines, writeTemp } from "./tmp.js";

function problems(content: string): string[] {
  const { dir } = writeTemp("switchboard.yaml", content);
  try {
    loadConfig({ path: "switchboard.yaml", cwd: dir, env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("pricing.require", () => {
  it("is false by default, and the prices stay a map of provider:model", () => {
    const config = parseConfig({ pricing: { "openai:gpt-4o-mini": { input: 0.15, output: 0.6 } } });
    expect(config.pricingRequired).toBe(false);
    expect(config.pricing).toEqual({ "openai:gpt-4o-mini": { input: 0.15, output: 0.6 } });
  });

  it("is read beside the prices, and is not itself a price", () => {
    const config = parseConfig({ pricing: { require: true, "local:llama3": { input: 0.1, output: 0.2, cached_input: 0.05 } } });
    expect(config.pricingRequired).toBe(true);
    expect(config.pricing).toEqual({ "local:llama3": { input: 0.1, output: 0.2, cachedInput: 0.05 } });
  });

  it("takes true or false from a ${VAR}", () => {
    expect(parseConfig({ pricing: { require: "${REQ}" } }, { env: { REQ: "true" } }).pricingRequired).toBe(true);
    expect(parseConfig({ pricing: { require: "${REQ:-false}" } }, { env: {} }).pricingRequired).toBe(false);
  });

  it("refuses a require that is not true or false, and a price key that is not provider:model, with their lines", () => {
    expect(problems(lines("pricing:", "  require: yes", "  openai:gpt-4o: { input: 1, output: 2 }"))).toEqual(['switchboard.yaml:2: pricing.require: expected true or false, got "yes"']);
    expect(problems(lines("pricing:", "  gpt-4o: { input: 1, output: 2 }"))).toEqual(['switchboard.yaml:2: pricing.gpt-4o: expected a "provider:model" key (e.g. "openai:gpt-4o-mini") or "require"']);
    expect(problems(lines("pricing:", "  requier: true"))).toEqual([
      "switchboard.yaml:2: pricing.requier: expected a mapping, got true",
      'switchboard.yaml:2: pricing.requier: unknown key (did you mean "require"?)',
    ]);
  });

  it("still hints at the fields of a price", () => {
    expect(problems(lines("pricing:", "  openai:gpt-4o: { input: 1, output: 2, cached: 1 }"))).toEqual([
      'switchboard.yaml:2: pricing.openai:gpt-4o.cached: unknown key (did you mean "cached_input"?)',
    ]);
  });
});

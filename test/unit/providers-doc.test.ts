/** docs/providers.md shows exactly what the registry holds (regenerate with `npm run docs:providers`). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROVIDER_REGISTRY } from "../../src/providers/registry.js";
import { withProvidersTable } from "../../src/providers/table.js";

describe("providers registry", () => {
  it("has at least 25 provider types", () => {
    expect(PROVIDER_REGISTRY.size).toBeGreaterThanOrEqual(25);
  });
  it("docs/providers.md's table is generated from it and up to date", () => {
    const doc = readFileSync(new URL("../../docs/providers.md", import.meta.url), "utf8");
    expect(doc).toBe(withProvidersTable(doc));
  });
});

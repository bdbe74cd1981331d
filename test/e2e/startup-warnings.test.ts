/**
 * The configuration's warnings are logged when the gateway starts, one line each; the unpriced
 * line counts the prices set through /v1/pricing (read from the database at start).
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { startGateway } from "../../src/gateway/index.js";
import { knownProviderTypes, providerSettingNames } from "../../src/providers/registry.js";

const MASTER = "sb-master-test-0123456789abcdefghij";
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "sb-warn-"));
  cpSync(inject("storeTemplate"), dataDir, { recursive: true });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config = () =>
  parseConfig(
    {
      master_key: MASTER,
      data_dir: dataDir,
      server: { port: 0 },
      providers: { openai: {}, local: { type: "vllm", base_url: "http://127.0.0.1:1/v1" } },
      models: [{ name: "chat", deployments: ["openai:gpt-4o-mini", "local:llama3"] }],
    },
    { env: {}, knownProviderTypes: knownProviderTypes(), providerSettings: providerSettingNames },
  );

async function startLogging(): Promise<{ warnings: string[]; close: () => Promise<void>; url: string }> {
  const logged: string[] = [];
  const gw = await startGateway(config(), { log: (line) => logged.push(line), drainMs: 1000 });
  return { warnings: logged.filter((l) => l.startsWith("warning: ")), close: () => gw.close(), url: gw.url };
}

const NO_KEY = "warning: providers.openai: no credentials: OpenAI needs a key, so its requests will fail upstream (set api_key or $OPENAI_API_KEY)";

describe("start-up warnings", () => {
  it("name the provider without a key and the unpriced deployment; a price set through /v1/pricing silences the latter at the next start", async () => {
    const first = await startLogging();
    try {
      expect(first.warnings).toEqual([
        NO_KEY,
        "warning: these deployments have no price, so their requests are recorded at $0 and no budget limits them: local:llama3 (models[0].deployments[1].model); " +
          "no price covers any model of provider local (no catalog prices, no pricing: entry) — set a price under `pricing:` in the configuration or with POST /v1/pricing",
      ]);
      const res = await fetch(`${first.url}/v1/pricing`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "local:llama3", input_price_per_million: "0.1", output_price_per_million: "0.2" }),
      });
      expect(res.status).toBeLessThan(300);
    } finally {
      await first.close();
    }
    const second = await startLogging();
    try {
      expect(second.warnings).toEqual([NO_KEY]);
    } finally {
      await second.close();
    }
  });
});

/**
 * `switchboard config check` (the built command) warns about a file that loads but will most
 * likely not do what was meant: one line each, with file, line and key path; exit 0. Errors
 * still exit 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-check-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, ...rows: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, rows.join("\n") + "\n");
  return file;
}

const UNPRICED_TAIL = " — set a price under `pricing:` in the configuration or with POST /v1/pricing (prices set with /v1/pricing are in the database, which this check does not read)";

describe("config check warnings", () => {
  it("an unset ${VAR} without a default", async () => {
    const file = write("unset.yaml", "metrics:", "  bearer_token: ${METRICS_TOKEN}");
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: OK — 1 providers, 0 model aliases\n`);
    expect(r.stderr).toBe(
      `warning: ${file}:2: metrics.bearer_token: \${METRICS_TOKEN} is not set and has no default, so this value is empty (set METRICS_TOKEN, or write \${METRICS_TOKEN:-default})\n`,
    );
    const set = await runCli(["config", "check", file], { env: { METRICS_TOKEN: "t0ken-123" } });
    expect([set.code, set.stderr]).toEqual([0, ""]);
  });

  it("a provider that needs a key and has none", async () => {
    const file = write("nokey.yaml", "providers:", "  anthropic: {}");
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${file}:2: providers.anthropic: no credentials: Anthropic needs a key, so its requests will fail upstream (set api_key or $ANTHROPIC_API_KEY)\n`);
    const keyed = await runCli(["config", "check", file], { env: { ANTHROPIC_API_KEY: "sk-ant-0000000" } });
    expect([keyed.code, keyed.stderr]).toEqual([0, ""]);
  });

  it("an alias deployment naming a model the provider's catalog does not know (and so has no price)", async () => {
    const file = write("model.yaml", "providers:", "  openai: { api_key: sk-test-00000000 }", "models:", "  - name: fast", "    deployments: [ openai:gpt-4o-mni ]");
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `warning: ${file}:5: models[0].deployments[0].model: "gpt-4o-mni" is not a model the openai catalog knows (did you mean "gpt-4o-mini"?): check the name; a model newer than this catalog works, but has no price until one is set\n` +
        `warning: these deployments have no price, so their requests are recorded at $0 and no budget limits them: openai:gpt-4o-mni (${file}:5)${UNPRICED_TAIL}\n`,
    );
  });

  it("an unpriced deployment and a provider no price covers; quiet once priced in the file", async () => {
    const rows = ["providers:", "  local: { type: vllm, base_url: http://127.0.0.1:1/v1 }", "models:", "  - name: llama", "    deployments:", "      - local:llama3"];
    const file = write("unpriced.yaml", ...rows);
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `warning: these deployments have no price, so their requests are recorded at $0 and no budget limits them: local:llama3 (${file}:6); no price covers any model of provider local (no catalog prices, no pricing: entry)${UNPRICED_TAIL}\n`,
    );
    const priced = write("priced.yaml", ...rows, "pricing:", "  require: true", "  local:llama3: { input: 0.1, output: 0.2 }");
    const ok = await runCli(["config", "check", priced]);
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
  });

  it("errors still fail the check with exit 1, before any warning", async () => {
    const file = write("bad.yaml", "pricing:", "  require: maybe", "providers:", "  anthropic: {}");
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${file}:2: pricing.require: expected true or false, got "maybe"\n`);
  });
});

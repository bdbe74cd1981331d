/** Parameters a provider cannot honour are reported, never dropped silently. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { createProvider } from "../../src/sdk/index.js";

let fake: FakeAnthropic;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  gw = await startTestGateway({ providers: { claude: { type: "anthropic", base_url: fake.url, api_key: fake.apiKey } } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

const body = { model: "claude:claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }], n: 2, logit_bias: { "50256": -100 } };

describe("x-switchboard-warnings", () => {
  it("names each parameter the provider could not honour, streamed and not", async () => {
    for (const stream of [false, true]) {
      fake.enqueue({ text: "ok" });
      const res = await gw.post("/v1/chat/completions", { ...body, stream });
      expect(res.status).toBe(200);
      await res.text();
      const w = res.headers.get("x-switchboard-warnings") ?? "";
      expect(w).toContain("n=2 is not supported by anthropic");
      expect(w).toContain("logit_bias is not supported by anthropic");
      expect(w).toContain("max_tokens is required by anthropic");
    }
  });

  it("has no warnings header when everything was honoured", async () => {
    fake.enqueue({ text: "ok" });
    const res = await gw.post("/v1/chat/completions", { model: "claude:claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-warnings")).toBeNull();
  });

  it("reaches library callers through onWarning", async () => {
    fake.enqueue({ text: "ok" });
    const warnings: string[] = [];
    const p = createProvider("anthropic", { apiKey: fake.apiKey, baseUrl: fake.url });
    await p.completion({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }], n: 2, max_tokens: 10, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringContaining("n=2 is not supported by anthropic")]);
  });
});

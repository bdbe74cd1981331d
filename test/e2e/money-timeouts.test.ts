/**
 * x-switchboard-timeout-ms can only lower the total upstream timeout the operator configured
 * (routing.timeouts, overridden per provider), never raise it; anything but a positive whole
 * number of milliseconds is a 400 naming the header, and nothing goes upstream.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;
const messages = [{ role: "user", content: "hi" }];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    providers: {
      up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" },
      // Same upstream, with a provider-level total that overrides routing.timeouts.
      tight: { type: "openai", base_url: fake.url, api_key: "sk-up-000000", timeouts: { total_ms: 150 } },
    },
    routing: { retries: 0, timeouts: { connect_ms: 1000, first_token_ms: 10_000, idle_ms: 10_000, total_ms: 300 } },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function timedOut(res: Response): Promise<string> {
  expect(res.status).toBe(504);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("upstream_timeout");
  return body.error.message;
}

describe("x-switchboard-timeout-ms", () => {
  it("a larger value does not raise the configured total", async () => {
    fake.setDefault({ delayMs: 800, text: "late" });
    const started = Date.now();
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages }, { "x-switchboard-timeout-ms": "60000" });
    expect(await timedOut(res)).toBe("upstream did not complete within 300 ms");
    expect(Date.now() - started).toBeLessThan(790);
  });

  it("a value beyond what a timer can hold is the configured total too (it used to fire at once)", async () => {
    fake.setDefault({ delayMs: 800, text: "late" });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages }, { "x-switchboard-timeout-ms": "2000000000000" });
    expect(await timedOut(res)).toBe("upstream did not complete within 300 ms");
  });

  it("a smaller value lowers it", async () => {
    fake.setDefault({ delayMs: 800, text: "late" });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages }, { "x-switchboard-timeout-ms": "60" });
    expect(await timedOut(res)).toBe("upstream did not complete within 60 ms");
    fake.setDefault({ delayMs: 100, text: "in time" });
    const ok = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages }, { "x-switchboard-timeout-ms": "250" });
    expect(ok.status).toBe(200);
  });

  it("a provider-level total is the ceiling for that provider", async () => {
    fake.setDefault({ delayMs: 800, text: "late" });
    const res = await gw.post("/v1/chat/completions", { model: "tight:gpt-4o", messages }, { "x-switchboard-timeout-ms": "250" });
    expect(await timedOut(res)).toBe("upstream did not complete within 150 ms");
    const lower = await gw.post("/v1/chat/completions", { model: "tight:gpt-4o", messages }, { "x-switchboard-timeout-ms": "40" });
    expect(await timedOut(lower)).toBe("upstream did not complete within 40 ms");
  });

  it("anything but a positive whole number of milliseconds is 400 naming the header, before any upstream call", async () => {
    for (const v of ["soon", "0", "-5", "1e3", "100.5", "0x10", "+100", "000", "1 000", "99999999999999999999"]) {
      const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages }, { "x-switchboard-timeout-ms": v });
      expect(res.status, v).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; param: string; message: string } };
      expect(error).toMatchObject({ code: "invalid_request", param: "x-switchboard-timeout-ms" });
      expect(error.message).toContain("x-switchboard-timeout-ms must be a positive whole number of milliseconds");
    }
    expect(fake.calls).toHaveLength(0);
  });
});

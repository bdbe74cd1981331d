/**
 * Extension fields (`x-…`) are removed before a request goes upstream. The routing ones have
 * their effect (test/e2e/routing.test.ts); any other, and the cache header, whose feature is not
 * built yet, is named in `x-switchboard-warnings`, never dropped silently.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.stop());

const messages = [{ role: "user", content: "hi" }];
const CACHE = "x-switchboard-cache is not in effect yet: there is no response cache in this version (the header was ignored)";
const HINTS = 'x-routing-hints applies to model "auto" only (the field was removed before the request went upstream)';

describe("extension fields", () => {
  it("are named in x-switchboard-warnings, streamed and not", async () => {
    for (const stream of [false, true]) {
      const res = await gw.post(
        "/v1/chat/completions",
        { model: "mock:mock-1", messages, stream, "x-fallback-chain": ["mock:mock-2"], "x-routing-hints": { priority: "cost" }, "x-typo": 1 },
        { "x-switchboard-fallbacks": "mock:mock-2", "x-switchboard-cache": "no-cache" },
      );
      expect(res.status).toBe(200);
      await res.text();
      // The fallback chain and its header are in effect: the request answered from mock-1, nothing to warn about them.
      expect(res.headers.get("x-switchboard-warnings")).toBe([CACHE, "x-typo is not a field of this gateway (removed before the request went upstream)", HINTS].join("; "));
    }
  });

  it("on embeddings too, with a bounded list of unknown names", async () => {
    const body: Record<string, unknown> = { model: "mock:mock-embedding-1", input: "x" };
    for (let i = 1; i <= 7; i++) body[`x-f${i}`] = i;
    const res = await gw.post("/v1/embeddings", body);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-warnings")).toBe("x-f1, x-f2, x-f3, x-f4, x-f5 and 2 more are not fields of this gateway (removed before the request went upstream)");
  });

  it("give no warnings header when a request has none", async () => {
    const res = await gw.post("/v1/chat/completions", { model: "mock:mock-1", messages, max_tokens: 10 });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-warnings")).toBeNull();
  });
});

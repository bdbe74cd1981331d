/** examples/batch.mjs (shown in docs/library.md) runs against the fake OpenAI Batch API, through the built package. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { runNode } from "../support/node.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake?.close());

it("batch.mjs uploads its file, waits for the batch and prints each answer with its tokens", async () => {
  fake.batches.setOptions({ startAfterMs: 100 });
  const r = await runNode(new URL("../../examples/batch.mjs", import.meta.url), { OPENAI_API_KEY: "sk-example-0000", OPENAI_BASE_URL: fake.url, POLL_MS: "50" });
  expect(r.stdout).toBe("completed: 2 of 2\nq1: Echo: Capital of France? (18 tokens)\nq2: Echo: Capital of Peru? (18 tokens)\n");
  expect(fake.calls.filter((c) => c.method === "GET" && c.path.startsWith("/v1/batches/")).length).toBeGreaterThan(1); // it polled
});

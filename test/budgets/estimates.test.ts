/**
 * When a provider reports no usage, or a client cuts a stream before the usage chunk, the cost
 * is the gateway's estimate. That estimate must count what the reservation counts on the prompt
 * side (images, inline audio, function definitions, response formats), or a client pays only
 * for the text of a prompt the upstream billed in full: a stream cut after its first chunk, with
 * forty images in the prompt, would otherwise record a few tokens.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countTokens, estimatePromptTokens, IMAGE_TOKEN_BOUND, promptTokenBound } from "../../src/core/tokens.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { keyWithBudget as budgetKey } from "../support/budget-keys.js";

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
    // One token costs exactly one micro-USD, in and out.
    pricing: { "up:gpt-4o": { input: 1, output: 1 } },
    routing: { retries: 0 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const keyWithBudget = (maxMicros: number) => budgetKey(gw, { maxMicros });

const withImages = (n: number) => [
  {
    role: "user" as const,
    content: [{ type: "text", text: "What is in these?" }, ...Array.from({ length: n }, (_, i) => ({ type: "image_url", image_url: { url: `https://example.test/${i}.png` } }))],
  },
];

describe("estimated usage counts the prompt as the reservation does", () => {
  it("a stream cut by the client before the usage chunk counts every image of the prompt", async () => {
    const { key, id } = await keyWithBudget(10_000_000);
    fake.enqueue({ text: "w1 w2 w3 w4 w5 w6 w7 w8", chunks: 8, chunkDelayMs: 100 });
    const controller = new AbortController();
    const res = await fetch(gw.url + "/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "up:gpt-4o", messages: withImages(10), stream: true, max_tokens: 100 }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const book = gw.runtime.budgets.book.get("key", id)!;
    await expect.poll(() => book.reservedMicros, { timeout: 5000 }).toBe(0);
    expect(fake.calls).toHaveLength(1);
    // The upstream billed ten images; the estimate counts each at the per-image bound.
    expect(book.spendMicros).toBeGreaterThanOrEqual(10 * IMAGE_TOKEN_BOUND);
  });

  it("without reported usage, images, function definitions and the response format are counted", async () => {
    const { key } = await keyWithBudget(10_000_000);
    const functions = [{ name: "legacy", description: "old ".repeat(300) }];
    const response_format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", description: "field ".repeat(400) } } };
    fake.enqueue({ text: "ok", noUsage: true });
    const messages = withImages(3);
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, functions, response_format, max_tokens: 10 }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(fake.calls).toHaveLength(1);
    const expected = (await estimatePromptTokens(messages, [null, functions, response_format])) + 3 * IMAGE_TOKEN_BOUND + (await countTokens("ok"));
    expect(Math.round(Number(res.headers.get("x-switchboard-cost-usd")) * 1e6)).toBe(expected);
  });
});

describe("an attempt cut after it was sent counts its prompt", () => {
  const long = [{ role: "user" as const, content: "word ".repeat(2000) }];

  it("a non-stream request cut by the client's own x-switchboard-timeout-ms records the prompt the upstream received", async () => {
    const { key, id } = await keyWithBudget(10_000_000);
    fake.enqueue({ text: "late", delayMs: 1500 });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: long, max_tokens: 10 }, { authorization: `Bearer ${key}`, "x-switchboard-timeout-ms": "300" });
    expect(res.status).toBe(504);
    expect(fake.calls).toHaveLength(1);
    const book = gw.runtime.budgets.book.get("key", id)!;
    expect(book.reservedMicros).toBe(0);
    expect(book.spendMicros).toBe(promptTokenBound(long));
  });

  it("a non-stream request whose client goes away while the upstream works records the prompt", async () => {
    const { key, id } = await keyWithBudget(10_000_000);
    fake.enqueue({ text: "late", delayMs: 1500 });
    const controller = new AbortController();
    const pending = fetch(gw.url + "/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "up:gpt-4o", messages: long, max_tokens: 10 }),
      signal: controller.signal,
    }).catch(() => null);
    await expect.poll(() => fake.calls.length, { timeout: 5000 }).toBe(1);
    controller.abort();
    await pending;
    const book = gw.runtime.budgets.book.get("key", id)!;
    await expect.poll(() => book.reservedMicros, { timeout: 5000 }).toBe(0);
    expect(book.spendMicros).toBe(promptTokenBound(long));
  });
});

describe("tokenizing a hostile prompt does not stall the gateway", () => {
  // Random CJK characters: one pre-token per run, which the BPE tokenizer merges in quadratic
  // time when given whole (40,000 of them took seconds of blocked event loop).
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  const hostile = Array.from({ length: 40_000 }, () => String.fromCharCode(0x4e00 + (next() % 20_000))).join("");

  it("a prompt whose bound does not fit the budget is tokenized in pieces, without holding the event loop", async () => {
    const { key } = await keyWithBudget(1_000);
    await countTokens("warm up the tokenizer");
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: hostile }], max_tokens: 10 }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(402);
    expect(fake.calls).toHaveLength(0);
    // The tokenizer hands the event loop back between slices of the text: other work (here a
    // self-renewing setImmediate, one run per pass of the loop) runs while it counts. Held
    // whole, the loop would not pass once until the count was done. Counted, not timed.
    let passes = 0;
    let spinning = true;
    const spin = () => {
      passes++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    passes = 0;
    await countTokens(hostile);
    spinning = false;
    const slices = Math.ceil(hostile.length / 512);
    expect(passes).toBeGreaterThanOrEqual(Math.floor(slices / 16));
  }, 60_000);
});

describe("retries after attempts that cost money stay within the budget", () => {
  let gw2: TestGateway;
  beforeAll(async () => {
    gw2 = await startTestGateway({
      providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
      pricing: { "up:gpt-4o": { input: 1, output: 1 } },
      routing: { retries: 2 },
    });
  });
  afterAll(async () => {
    await gw2?.stop();
  });

  it("a request whose attempts the client's own timeout cuts is retried only while the budget covers the attempts already spent", async () => {
    const long = [{ role: "user" as const, content: "word ".repeat(2000) }];
    const bound = promptTokenBound(long);
    // Room for one attempt's reservation (prompt bound + 10 output tokens) and a little more: not for a second cut prompt.
    const k = await budgetKey(gw2, { maxMicros: bound + 10 + 100 });

    fake.setDefault({ text: "late", delayMs: 800 });
    try {
      const res = await gw2.post("/v1/chat/completions", { model: "up:gpt-4o", messages: long, max_tokens: 10 }, { authorization: `Bearer ${k.key}`, "x-switchboard-timeout-ms": "200" });
      expect(res.status).toBe(402);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded");
    } finally {
      fake.setDefault({});
    }
    expect(fake.calls).toHaveLength(1);
    const book = gw2.runtime.budgets.book.get("key", k.id)!;
    expect([book.spendMicros, book.reservedMicros]).toEqual([bound, 0]);
  });
});

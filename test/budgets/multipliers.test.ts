/**
 * The reservation counts everything that multiplies a request's cost: choices (`n`, `best_of`)
 * times the output cap per choice, images, inline audio and files in the prompt, tool and
 * function definitions and response formats, predicted outputs, and embeddings inputs (texts
 * and token arrays). Requests an abuser would send are refused with 402 before any upstream
 * call; legitimate ones are admitted and settled to their actual cost, every choice included.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countTokens, estimatePromptTokens, IMAGE_TOKEN_BOUND } from "../../src/core/tokens.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { keyWithBudget as budgetKey } from "../support/budget-keys.js";

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
    pricing: {
      // One token costs exactly one micro-USD, in and out.
      "up:gpt-4o": { input: 1, output: 1 },
      "up:gpt-4o-mini": { input: 1, output: 1 },
      "up:text-embedding-3-small": { input: 1, output: 0 },
      // Not in the catalog: no known context window.
      "up:house-model": { input: 1, output: 1 },
      // $1,000 per million output tokens: 500 tokens cost $0.50.
      "up:o3": { input: 1, output: 1000 },
    },
    routing: { retries: 0 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const messages = [{ role: "user" as const, content: "Count to ten, please." }];

/** A key with its own enforcing budget of `maxMicros`, created straight in the store. */
const keyWithBudget = (maxMicros: number) => budgetKey(gw, { maxMicros });

const chat = (key: string, body: Record<string, unknown>) => gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages, ...body }, { authorization: `Bearer ${key}` });

/** The reservation a refused request asked for, in micro-USD, read from the 402's message. */
async function needed(res: Response): Promise<number> {
  expect(res.status).toBe(402);
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe("budget_exceeded");
  const m = /up to \$([0-9.]+) needed/.exec(error.message);
  expect(m, error.message).not.toBeNull();
  return Math.round(Number(m![1]) * 1e6);
}

/** A completion with the given choices, as the upstream sends it. */
function completion(texts: string[], usage?: { prompt_tokens: number; completion_tokens: number }) {
  return {
    id: "chatcmpl-x",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o",
    choices: texts.map((content, index) => ({ index, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null })),
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

describe("choices", () => {
  it("n=100 with max_tokens=500 against a $1 budget is refused before any upstream call", async () => {
    const { key, id } = await keyWithBudget(1_000_000);
    const prompt = await estimatePromptTokens(messages);
    const res = await chat(key, { model: "up:o3", n: 100, max_tokens: 500 });
    // 100 choices × 500 tokens × $1,000 per million = $50, plus the prompt.
    expect(await needed(res)).toBe(prompt + 50_000_000);
    expect(fake.calls).toHaveLength(0);
    expect(gw.runtime.budgets.book.get("key", id)!.reservedMicros).toBe(0);
  });

  it("a legitimate n=2 that fits is admitted exactly at its bound and settled to the actual cost of both choices", async () => {
    const prompt = await estimatePromptTokens(messages);
    const bound = prompt + 2 * 50;
    const short = await keyWithBudget(bound - 1);
    expect(await needed(await chat(short.key, { n: 2, max_tokens: 50 }))).toBe(bound);
    expect(fake.calls).toHaveLength(0);

    const { key, id } = await keyWithBudget(bound);
    fake.enqueue({ body: completion(["one two three", "four five six"], { prompt_tokens: 20, completion_tokens: 60 }) });
    const res = await chat(key, { n: 2, max_tokens: 50 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(2);
    expect(res.headers.get("x-switchboard-cost-usd")).toBe("0.00008");
    expect(fake.calls[0].body).toMatchObject({ n: 2, max_tokens: 50 });
    const a = gw.runtime.budgets.book.get("key", id)!;
    expect([a.spendMicros, a.reservedMicros]).toEqual([80, 0]);
  });

  it("without reported usage every choice's text is estimated", async () => {
    const { key } = await keyWithBudget(1_000_000);
    fake.enqueue({ body: completion(["alpha beta gamma", "delta epsilon zeta eta"]) });
    const res = await chat(key, { n: 2, max_tokens: 50 });
    expect(res.status).toBe(200);
    const expected = (await estimatePromptTokens(messages)) + (await countTokens("alpha beta gammadelta epsilon zeta eta"));
    expect(res.headers.get("x-switchboard-cost-usd")).toBe((expected / 1e6).toFixed(6).replace(/0+$/, ""));
  });

  it("best_of counts when larger than n; the larger of max_tokens and max_completion_tokens counts", async () => {
    const { key } = await keyWithBudget(1);
    const prompt = await estimatePromptTokens(messages);
    expect(await needed(await chat(key, { best_of: 4, max_tokens: 100 }))).toBe(prompt + 400);
    expect(await needed(await chat(key, { n: 3, best_of: 2, max_tokens: 100 }))).toBe(prompt + 300);
    expect(await needed(await chat(key, { max_tokens: 100, max_completion_tokens: 700 }))).toBe(prompt + 700);
    expect(await needed(await chat(key, { max_tokens: 900, max_completion_tokens: 700 }))).toBe(prompt + 900);
    // Without max_tokens the catalog's maximum output (gpt-4o: 16,384) counts per choice.
    expect(await needed(await chat(key, { n: 3 }))).toBe(prompt + 3 * 16_384);
    expect(fake.calls).toHaveLength(0);
  });

  it("n and best_of above 128 are refused with 400", async () => {
    const { key } = await keyWithBudget(1_000_000);
    for (const body of [{ n: 129 }, { best_of: 129 }, { n: 0 }, { n: 1.5 }]) {
      const res = await chat(key, { ...body, max_tokens: 1 });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; param: string } };
      expect(error).toMatchObject({ code: "invalid_request", param: Object.keys(body)[0] });
    }
    expect(fake.calls).toHaveLength(0);
  });

  it("a predicted output counts as output per choice", async () => {
    const { key } = await keyWithBudget(1);
    const prompt = await estimatePromptTokens(messages);
    const content = "x".repeat(1000);
    expect(await needed(await chat(key, { max_tokens: 10, prediction: { type: "content", content } }))).toBe(prompt + 10 + 1002);
  });
});

describe("prompt contents", () => {
  const withImages = (n: number) => [
    {
      role: "user" as const,
      content: [{ type: "text", text: "What is in these?" }, ...Array.from({ length: n }, (_, i) => ({ type: "image_url", image_url: { url: `https://example.test/${i}.png` } }))],
    },
  ];

  it("each image counts a per-image bound; the catalog's own figure where a model counts more", async () => {
    const { key } = await keyWithBudget(1);
    const text = await estimatePromptTokens([{ content: "What is in these?" }]);
    expect(await needed(await chat(key, { messages: withImages(3), max_tokens: 10 }))).toBe(text + 3 * IMAGE_TOKEN_BOUND + 10);
    expect(await needed(await chat(key, { model: "up:gpt-4o-mini", messages: withImages(2), max_tokens: 10 }))).toBe(text + 2 * 48_169 + 10);
    // Never more than the context window (gpt-4o: 128,000 tokens).
    expect(await needed(await chat(key, { messages: withImages(40), max_tokens: 10 }))).toBe(128_000 + 10);
    expect(fake.calls).toHaveLength(0);
  });

  it("inline audio counts its bytes; a file counts the whole context window, and is refused where that is unknown", async () => {
    const { key } = await keyWithBudget(1);
    const audio = { type: "input_audio", input_audio: { data: "A".repeat(3000), format: "wav" } };
    const text = await estimatePromptTokens([{ content: "Listen" }]);
    const audioMessages = [{ role: "user", content: [{ type: "text", text: "Listen" }, audio] }];
    expect(await needed(await chat(key, { messages: audioMessages, max_tokens: 10 }))).toBe(text + Buffer.byteLength(JSON.stringify(audio)) + 10);
    const fileMessages = [
      {
        role: "user",
        content: [
          { type: "text", text: "Summarise" },
          { type: "file", file: { file_id: "file-abc123" } },
        ],
      },
    ];
    expect(await needed(await chat(key, { messages: fileMessages, max_tokens: 10 }))).toBe(128_000 + 10);
    const unknown = await chat(key, { model: "up:house-model", messages: fileMessages, max_tokens: 10 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: unknown }).error).toMatchObject({
      code: "invalid_request",
      param: "messages",
      message: expect.stringContaining("'file' content cannot be bounded for up:house-model"),
    });
    expect(fake.calls).toHaveLength(0);
  });

  it("message names and legacy function calls count as prompt; an earlier audio answer by reference counts the context window", async () => {
    const { key } = await keyWithBudget(1);
    const named = [
      { role: "user" as const, name: "n".repeat(2000), content: "hi" },
      { role: "assistant" as const, content: null, function_call: { name: "f", arguments: "a".repeat(1500) } },
    ];
    const bound = await needed(await chat(key, { messages: named, max_tokens: 10 }));
    expect(bound).toBe((await estimatePromptTokens(named)) + 10);
    const fc = named[1].function_call;
    expect(bound).toBeGreaterThan((await estimatePromptTokens([{ content: "hi" }, { content: null, function_call: fc }])) + 10 + 100); // the name
    expect(bound).toBeGreaterThan((await estimatePromptTokens([{ content: "hi", name: named[0].name }, { content: null }])) + 10 + 100); // the call
    const withAudio = [
      { role: "user" as const, content: "Say hi" },
      { role: "assistant" as const, audio: { id: "audio_abc123" } },
      { role: "user" as const, content: "Again" },
    ];
    expect(await needed(await chat(key, { messages: withAudio, max_tokens: 10 }))).toBe(128_000 + 10);
    expect(fake.calls).toHaveLength(0);
  });

  it("tool and function definitions and the response format count as prompt", async () => {
    const { key } = await keyWithBudget(1);
    const tools = [{ type: "function", function: { name: "lookup", description: "word ".repeat(500), parameters: { type: "object" } } }];
    const functions = [{ name: "legacy", description: "old ".repeat(300) }];
    const response_format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", description: "field ".repeat(400) } } };
    expect(await needed(await chat(key, { tools, max_tokens: 10 }))).toBe((await estimatePromptTokens(messages, tools)) + 10);
    const all = await needed(await chat(key, { tools, functions, response_format, max_tokens: 10 }));
    expect(all).toBe((await estimatePromptTokens(messages, [tools, functions, response_format])) + 10);
    expect(all).toBeGreaterThan((await estimatePromptTokens(messages, tools)) + 10 + 600);
    expect(fake.calls).toHaveLength(0);
  });
});

describe("embeddings", () => {
  const embed = (key: string, input: unknown) => gw.post("/v1/embeddings", { model: "up:text-embedding-3-small", input }, { authorization: `Bearer ${key}` });
  const tokenArrays = [Array.from({ length: 1000 }, (_, i) => 100_000 + i), Array.from({ length: 500 }, (_, i) => 200_000 + i)];

  it("token arrays count exactly one token per number: a budget of exactly that fits, one less refuses", async () => {
    const short = await keyWithBudget(1499);
    expect(await needed(await embed(short.key, tokenArrays))).toBe(1500);
    expect(await needed(await embed(short.key, tokenArrays.flat().concat([1, 2, 3])))).toBe(1503);
    expect(fake.calls).toHaveLength(0);
    const { key, id } = await keyWithBudget(1500);
    // The upstream reports no usage: the cost is the exact token count, not an estimate of the JSON.
    fake.enqueue({ body: { object: "list", model: "text-embedding-3-small", data: tokenArrays.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2] })) } });
    const res = await embed(key, tokenArrays);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-cost-usd")).toBe("0.0015");
    expect(gw.runtime.budgets.book.get("key", id)!.spendMicros).toBe(1500);
  });

  it("texts are counted one by one: a budget of exactly their tokens fits", async () => {
    const texts = ["The quick brown fox", "jumps over the lazy dog", "héllo wörld ✓ 你好"];
    let exact = 0;
    for (const t of texts) exact += await countTokens(t);
    const short = await keyWithBudget(exact - 1);
    expect(await needed(await embed(short.key, texts))).toBe(exact);
    const { key } = await keyWithBudget(exact);
    fake.enqueue({ body: { object: "list", model: "text-embedding-3-small", data: texts.map((_, index) => ({ object: "embedding", index, embedding: [0.1] })) } });
    const res = await embed(key, texts);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-cost-usd")).toBe((exact / 1e6).toFixed(6).replace(/0+$/, ""));
  });
});

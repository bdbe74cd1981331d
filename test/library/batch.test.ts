/** The library's batch functions against the fake OpenAI Files + Batch API: a real JSONL file in a temp dir. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BatchInputError,
  BatchNotReadyError,
  BatchNotSupportedError,
  batchProviders,
  cancelBatch,
  createBatch,
  InvalidRequestError,
  listBatches,
  ProviderError,
  retrieveBatch,
  retrieveBatchResults,
  type Batch,
  type BatchResult,
} from "../../src/sdk/index.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

let fake: FakeOpenAI;
let dir: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = await mkdtemp(join(tmpdir(), "switchboard-batch-"));
});
afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

const opts = () => ({ provider: "openai", apiKey: "sk-batch-test-0000", baseUrl: fake.url });
const chatLine = (id: string, text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: text }], ...extra } });

let files = 0;
async function input(lines: string[]): Promise<string> {
  const path = join(dir, `input-${++files}.jsonl`);
  await writeFile(path, lines.join("\n") + "\n");
  return path;
}

async function until(id: string, done: (b: Batch) => boolean): Promise<Batch> {
  for (let i = 0; i < 250; i++) {
    const b = await retrieveBatch({ ...opts(), batchId: id });
    if (done(b)) return b;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`batch ${id} did not get there`);
}

async function all(it: AsyncIterable<BatchResult>): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe("createBatch → retrieveBatch → retrieveBatchResults (OpenAI)", () => {
  it("uploads the file, runs the batch and returns canonical results with usage", async () => {
    const path = await input([chatLine("first", "Hi"), "", chatLine("second", "Hello there", { temperature: 0.2 })]);
    const created = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions", metadata: { job: "nightly" } });
    expect(created).toMatchObject({ object: "batch", provider: "openai", endpoint: "/v1/chat/completions", request_counts: { total: 2 }, metadata: { job: "nightly" } });
    expect(["in_progress", "completed"]).toContain(created.status);

    // The upload: multipart, purpose "batch", one OpenAI batch line per request; then the batch on it.
    const [upload, create] = fake.calls;
    expect(upload).toMatchObject({ method: "POST", path: "/v1/files" });
    expect(String(upload.headers["content-type"])).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.headers.authorization).toBe("Bearer sk-batch-test-0000");
    expect(create).toMatchObject({ method: "POST", path: "/v1/batches", body: { endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { job: "nightly" } } });
    const sent = fake.batches
      .fileContent(create.body.input_file_id)!
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(sent).toEqual([
      { custom_id: "first", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] } },
      { custom_id: "second", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello there" }], temperature: 0.2 } },
    ]);

    const done = await until(created.id, (b) => b.status === "completed");
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(done.completed_at).toBeTypeOf("number");

    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => r.custom_id)).toEqual(["first", "second"]);
    const [a, b] = results;
    if (!a.ok || !b.ok) throw new Error("expected two answers");
    // The fake's usual answer: "Echo: <text>", ~4 characters a token over the JSON of the messages.
    expect(a.response).toMatchObject({ object: "chat.completion", choices: [{ message: { content: "Echo: Hi" } }], usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 } });
    expect(b.response).toMatchObject({ choices: [{ message: { content: "Echo: Hello there" } }], usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } });
  });

  it("batches embeddings and returns embeddings responses with usage", async () => {
    const line = (id: string, text: string) => JSON.stringify({ custom_id: id, method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input: text, dimensions: 4 } });
    const created = await createBatch({ ...opts(), inputFilePath: await input([line("e1", "abcd"), line("e2", "abcdefgh")]), endpoint: "/v1/embeddings" });
    await until(created.id, (b) => b.status === "completed");
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => (r.ok ? [r.custom_id, (r.response as { usage: unknown }).usage] : r))).toEqual([
      ["e1", { prompt_tokens: 1, total_tokens: 1 }],
      ["e2", { prompt_tokens: 2, total_tokens: 2 }],
    ]);
    expect(results[0].ok && (results[0].response as { data: Array<{ embedding: number[] }> }).data[0].embedding).toHaveLength(4);
  });

  it("reports a line the provider refused with its status and message", async () => {
    fake.batches.setOptions({ lineErrors: { b: { status: 400, message: "This model does not support that." } } });
    const created = await createBatch({ ...opts(), inputFilePath: await input([chatLine("a", "x"), chatLine("b", "y"), chatLine("c", "z")]), endpoint: "/v1/chat/completions" });
    const done = await until(created.id, (b) => b.status === "completed");
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => [r.custom_id, r.ok])).toEqual([
      ["a", true],
      ["c", true],
      ["b", false],
    ]);
    expect(results[2]).toEqual({ custom_id: "b", ok: false, status: 400, error: { message: "This model does not support that.", type: "invalid_request_error" } });
  });

  it("an expired batch reports the lines that ran and the ones that did not", async () => {
    fake.batches.setOptions({ expireAfterLines: 1 });
    const created = await createBatch({ ...opts(), inputFilePath: await input([chatLine("a", "x"), chatLine("b", "y")]), endpoint: "/v1/chat/completions" });
    const done = await until(created.id, (b) => b.status === "expired");
    expect(done.expired_at).toBeTypeOf("number");
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results[0]).toMatchObject({ custom_id: "a", ok: true, response: { usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 } } });
    expect(results[1]).toMatchObject({ custom_id: "b", ok: false, status: 0, error: { code: "batch_expired" } });
  });
});

describe("cancelBatch and listBatches", () => {
  it("cancels a batch that has not run: every line ends not run", async () => {
    fake.batches.setOptions({ startAfterMs: 60_000 });
    const created = await createBatch({ ...opts(), inputFilePath: await input([chatLine("a", "x"), chatLine("b", "y")]), endpoint: "/v1/chat/completions" });
    await expect(retrieveBatchResults({ ...opts(), batchId: created.id })).rejects.toBeInstanceOf(BatchNotReadyError);
    const cancelling = await cancelBatch({ ...opts(), batchId: created.id });
    expect(["cancelling", "cancelled"]).toContain(cancelling.status);
    expect(fake.calls.at(-1)).toMatchObject({ method: "POST", path: `/v1/batches/${created.id}/cancel` });
    const done = await until(created.id, (b) => b.status === "cancelled");
    expect(done.request_counts).toEqual({ total: 2, completed: 0, failed: 2 });
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => (r.ok ? r.custom_id : [r.custom_id, r.status, r.error.code]))).toEqual([
      ["a", 0, "batch_cancelled"],
      ["b", 0, "batch_cancelled"],
    ]);
  });

  it("lists batches newest first, a page at a time", async () => {
    const path = await input([chatLine("a", "x")]);
    const first = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" });
    const second = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" });
    expect((await listBatches(opts())).map((b) => b.id)).toEqual([second.id, first.id]);
    expect((await listBatches({ ...opts(), limit: 1 })).map((b) => b.id)).toEqual([second.id]);
    expect((await listBatches({ ...opts(), limit: 1, after: second.id })).map((b) => b.id)).toEqual([first.id]);
    expect(fake.calls.at(-1)?.path).toBe("/v1/batches");
    await expect(listBatches({ ...opts(), limit: 0 })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it("a batch the provider refuses to create leaves no uploaded file behind", async () => {
    fake.enqueue({ path: "/v1/batches", status: 500, error: { message: "The server had an error." } });
    const e = await createBatch({ ...opts(), inputFilePath: await input([chatLine("a", "x")]), endpoint: "/v1/chat/completions" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ status: 500, message: "The server had an error." });
    const fileId = (fake.calls[1].body as { input_file_id: string }).input_file_id;
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /v1/files", "POST /v1/batches", `DELETE /v1/files/${fileId}`]);
    expect(fake.batches.fileIds()).toEqual([]);
  });

  it("an unknown batch is the provider's 404, a ProviderError with code not_found", async () => {
    const e = await retrieveBatch({ ...opts(), batchId: "batch_nope" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("input checked before anything is sent", () => {
  const cases: Array<[string, string[], RegExp, number | null]> = [
    ["not JSON", [chatLine("a", "x"), "{nope"], /:2: not valid JSON/, 2],
    [
      "a url that is not the endpoint",
      [JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/embeddings", body: { model: "m", input: "x" } })],
      /:1: url "\/v1\/embeddings" is not the batch's endpoint/,
      1,
    ],
    ["a duplicate custom_id", [chatLine("a", "x"), chatLine("b", "y"), chatLine("a", "z")], /:3: custom_id "a" is already used on line 1/, 3],
    ["no method", [JSON.stringify({ custom_id: "a", url: "/v1/chat/completions", body: { model: "m", messages: [{ role: "user", content: "x" }] } })], /:1: method must be "POST"/, 1],
    ["a body without messages", [JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: { model: "m" } })], /:1: invalid body: messages/, 1],
    ["a streamed body", [chatLine("a", "x", { stream: true })], /:1: body.stream: a batch request is not streamed/, 1],
    ["an unknown field", [JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: {}, priority: 1 })], /:1: unknown field "priority"/, 1],
    ["no requests", ["", "  "], /has no requests/, null],
  ];
  it.each(cases)("refuses %s with a BatchInputError naming the line", async (_name, lines, message, line) => {
    const path = await input(lines);
    const e = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BatchInputError);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect((e as BatchInputError).message).toMatch(message);
    expect((e as BatchInputError).line).toBe(line);
    expect((e as BatchInputError).path).toBe(path);
    expect(fake.calls).toEqual([]);
  });

  it("refuses a missing file, another completion window and bad metadata", async () => {
    await expect(createBatch({ ...opts(), inputFilePath: join(dir, "missing.jsonl"), endpoint: "/v1/chat/completions" })).rejects.toThrow(/missing\.jsonl: cannot be read/);
    const path = await input([chatLine("a", "x")]);
    await expect(createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions", completionWindow: "48h" })).rejects.toThrow(/completionWindow "48h" is not available/);
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    await expect(createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions", metadata })).rejects.toThrow(/at most 16/);
    expect(fake.calls).toEqual([]);
  });
});

describe("providers without a batch API", () => {
  it("raises BatchNotSupportedError naming the providers that have one", async () => {
    expect(batchProviders().sort()).toEqual(["anthropic", "openai"]);
    const path = await input([chatLine("a", "x")]);
    for (const provider of ["groq", "gemini", "mistral"]) {
      const e = await createBatch({ provider, apiKey: "k-0000000000", baseUrl: fake.url, inputFilePath: path, endpoint: "/v1/chat/completions" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BatchNotSupportedError);
      expect((e as Error).message).toBe(`provider '${provider}' has no batch API; batches run on: openai, anthropic`);
      await expect(listBatches({ provider, apiKey: "k-0000000000" })).rejects.toBeInstanceOf(BatchNotSupportedError);
    }
    // An OpenAI-compatible server named otherwise, of type openai, has OpenAI's Batch API.
    const b = await createBatch({ provider: "local", providerOptions: { type: "openai" }, apiKey: "k-0000000000", baseUrl: fake.url, inputFilePath: path, endpoint: "/v1/chat/completions" });
    expect(b.provider).toBe("local");
    expect(fake.calls.map((c) => c.path)).toEqual(["/v1/files", "/v1/batches"]);
  });
});

/** The library's batch functions against the fake Anthropic Message Batches API: a real JSONL file in a temp dir. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cancelBatch, createBatch, InvalidRequestError, listBatches, retrieveBatch, retrieveBatchResults, type Batch, type BatchResult } from "../../src/sdk/index.js";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";

let fake: FakeAnthropic;
let dir: string;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  dir = await mkdtemp(join(tmpdir(), "switchboard-batch-anthropic-"));
});
afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

const opts = () => ({ provider: "anthropic", apiKey: fake.apiKey, baseUrl: fake.url });
const line = (id: string, body: Record<string, unknown>) => JSON.stringify({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "claude-sonnet-4-5", ...body } });
const ask = (text: string) => ({ messages: [{ role: "user", content: text }], max_tokens: 100 });

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

describe("Anthropic Message Batches through the library", () => {
  it("sends each request as the Anthropic adapter translates it and returns chat completions with usage", async () => {
    const warnings: string[] = [];
    const path = await input([
      line("q1", {
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Capital of France?" },
        ],
        max_tokens: 50,
        temperature: 0.3,
      }),
      line("q2", { messages: [{ role: "user", content: "Hi" }] }), // no max_tokens: the adapter's default, with a warning
    ]);
    const created = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions", metadata: { job: "x" }, onWarning: (w) => warnings.push(w) });
    expect(created).toMatchObject({ object: "batch", provider: "anthropic", endpoint: "/v1/chat/completions", request_counts: { total: 2 }, metadata: null });
    expect(warnings).toEqual(["metadata is not supported by anthropic message batches; not sent", "q2: max_tokens is required by anthropic and was not set; sent max_tokens=4096"]);

    const call = fake.calls[0];
    expect(call).toMatchObject({ method: "POST", path: "/v1/messages/batches" });
    expect(call.headers["x-api-key"]).toBe(fake.apiKey);
    expect(call.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call.body).toEqual({
      requests: [
        { custom_id: "q1", params: { model: "claude-sonnet-4-5", max_tokens: 50, system: "Be brief.", messages: [{ role: "user", content: "Capital of France?" }], temperature: 0.3 } },
        { custom_id: "q2", params: { model: "claude-sonnet-4-5", max_tokens: 4096, messages: [{ role: "user", content: "Hi" }] } },
      ],
    });

    const done = await until(created.id, (b) => b.status === "completed");
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(done.completed_at).toBeTypeOf("number");
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => r.custom_id)).toEqual(["q1", "q2"]);
    const [a, b] = results;
    if (!a.ok || !b.ok) throw new Error("expected two answers");
    // The fake: input ~ JSON of the messages / 4, output ~ JSON of the content / 4.
    expect(a.response).toMatchObject({
      object: "chat.completion",
      model: "claude-sonnet-4-5",
      choices: [{ message: { role: "assistant", content: "Hello from the fake" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 },
    });
    expect(b.response).toMatchObject({ usage: { prompt_tokens: 8, completion_tokens: 12, total_tokens: 20 } });
    expect(fake.calls.at(-1)).toMatchObject({ method: "GET", path: `/v1/messages/batches/${created.id}/results` });
  });

  it("maps errored, canceled and expired results to the request's error", async () => {
    fake.batches.setOptions({ lineErrors: { busy: { status: 529, message: "Overloaded" } }, expireAfterLines: 2 });
    const path = await input([line("ok", ask("x")), line("busy", ask("y")), line("late", ask("z"))]);
    const created = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" });
    const done = await until(created.id, (b) => b.status !== "in_progress");
    expect(done.status).toBe("expired");
    expect(done.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => (r.ok ? r.custom_id : [r.custom_id, r.status, r.error]))).toEqual([
      "ok",
      ["busy", 529, { message: "Overloaded", type: "overloaded_error" }],
      ["late", 0, { message: "the batch expired before this request ran", code: "batch_expired" }],
    ]);
  });

  it("a request Anthropic finds invalid while running is an errored result with status 400", async () => {
    // Anthropic validates params asynchronously: the batch is accepted, the request errors.
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }];
    const path = await input([line("bad", { ...ask("x"), tools, tool_choice: { type: "function", function: { name: "nope" } } })]);
    const created = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" });
    await until(created.id, (b) => b.status === "completed");
    const [r] = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(r).toEqual({ custom_id: "bad", ok: false, status: 400, error: { type: "invalid_request_error", message: "tool_choice.name: Tool 'nope' not found in tools" } });
  });

  it("cancels: the batch ends cancelled, its requests canceled", async () => {
    fake.batches.setOptions({ startAfterMs: 60_000 });
    const created = await createBatch({ ...opts(), inputFilePath: await input([line("a", ask("x")), line("b", ask("y"))]), endpoint: "/v1/chat/completions" });
    const cancelling = await cancelBatch({ ...opts(), batchId: created.id });
    expect(["cancelling", "cancelled"]).toContain(cancelling.status);
    expect(fake.calls.at(-1)).toMatchObject({ method: "POST", path: `/v1/messages/batches/${created.id}/cancel` });
    const done = await until(created.id, (b) => b.status === "cancelled");
    expect(done.cancelled_at).toBeTypeOf("number");
    const results = await all(await retrieveBatchResults({ ...opts(), batchId: created.id }));
    expect(results.map((r) => (r.ok ? r.custom_id : [r.custom_id, r.status, r.error.code]))).toEqual([
      ["a", 0, "batch_cancelled"],
      ["b", 0, "batch_cancelled"],
    ]);
  });

  it("lists newest first with limit and after_id", async () => {
    const path = await input([line("a", ask("x"))]);
    const first = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" });
    const second = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" });
    expect((await listBatches(opts())).map((b) => b.id)).toEqual([second.id, first.id]);
    expect((await listBatches({ ...opts(), limit: 1, after: second.id })).map((b) => b.id)).toEqual([first.id]);
    expect(fake.calls.at(-1)?.path).toBe(`/v1/messages/batches?limit=1&after_id=${second.id}`);
  });

  it("refuses a custom_id Anthropic would refuse, before anything is sent", async () => {
    const path = await input([line("q-1", ask("x")), line("q.2", ask("y"))]);
    const e = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/chat/completions" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect((e as InvalidRequestError).message).toBe('custom_id "q.2" is not one anthropic takes: 1 to 64 letters, digits, "_" or "-"');
    expect((e as InvalidRequestError).param).toBe("custom_id");
    expect(fake.calls).toEqual([]);
  });

  it("refuses embeddings before anything is sent: Anthropic batches chat only", async () => {
    const path = await input([JSON.stringify({ custom_id: "e", method: "POST", url: "/v1/embeddings", body: { model: "m", input: "x" } })]);
    const e = await createBatch({ ...opts(), inputFilePath: path, endpoint: "/v1/embeddings" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect((e as Error).message).toBe("provider 'anthropic' batches /v1/chat/completions, not /v1/embeddings");
    expect(fake.calls).toEqual([]);
  });
});

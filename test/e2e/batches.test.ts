/**
 * Batches run by the gateway, through the official `openai` SDK: files.create / batches.create /
 * retrieve / list / cancel / files.content, on the embedded PostgreSQL store. Each line goes
 * through keys, budgets, limits and the ledger like any request: counted here from the fake
 * upstream's log, the ledger's rows and the budget book.
 */
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { chatLines, startBatchUpstream, type BatchUpstream } from "./batches-upstream.js";

let up: BatchUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await startBatchUpstream();
  gw = await startTestGateway({
    // An OpenAI-compatible provider without a batch API of its own: the gateway runs these batches (native ones: batches-native.test.ts).
    providers: { up: { type: "together", base_url: up.url, api_key: "sk-up-000000" } },
    // OpenAI's standard prices for the models the lines name.
    pricing: { "up:gpt-4o-mini": { input: 0.15, output: 0.6 }, "up:gpt-4o": { input: 2.5, output: 10 }, "up:text-embedding-3-small": { input: 0.02, output: 0 } },
    routing: { retries: 0 },
    batches: { concurrency: 3, poll_interval_ms: 100 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A key (with a budget of $10 and the models it may use) and an SDK client for it. */
async function newKey(allowed: string[] | null = null): Promise<{ id: string; client: OpenAI }> {
  const budget = `bb-${Math.random().toString(36).slice(2)}`;
  expect((await admin("POST", "/v1/budgets", { budget_id: budget, max_budget: 10, budget_duration: null })).status).toBe(201);
  const k = await admin("POST", "/v1/keys", { key_name: "batches", budget_id: budget, ...(allowed ? { allowed_models: allowed } : {}) });
  expect(k.status).toBe(201);
  return { id: k.body.id, client: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: k.body.key, maxRetries: 0 }) };
}

async function submit(client: OpenAI, jsonl: string, endpoint: "/v1/chat/completions" | "/v1/embeddings" = "/v1/chat/completions") {
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), "input.jsonl"), purpose: "batch" });
  return client.batches.create({ input_file_id: file.id, endpoint, completion_window: "24h", metadata: { job: "test" } });
}

async function finished(client: OpenAI, id: string, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const b = await client.batches.retrieve(id);
    if (["completed", "failed", "cancelled", "expired"].includes(b.status)) return b;
    if (Date.now() > until) throw new Error(`batch ${id} still ${b.status}: ${JSON.stringify(b.request_counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function jsonl(client: OpenAI, fileId: string): Promise<any[]> {
  const text = await (await client.files.content(fileId)).text();
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
}

const ledger = (batchId: string) =>
  gw.store.db
    .selectFrom("usage")
    .selectAll()
    .where("request_id", "like", `req_${batchId.slice("batch_".length)}_%`)
    .execute();

describe("batches run by the gateway", () => {
  it("50 chat requests, one refused upstream: 49 results, 1 error line, 50 ledger rows (the refused one at zero cost), the budget spent their sum", async () => {
    up.reset();
    up.failWith.set("line-17", 400);
    const { id: keyId, client } = await newKey();
    const tags = Array.from({ length: 50 }, (_, i) => `line-${i}`);
    const created = await submit(client, chatLines(tags));
    expect(created).toMatchObject({ object: "batch", endpoint: "/v1/chat/completions", completion_window: "24h", status: "in_progress", metadata: { job: "test" }, request_counts: { total: 50 } });
    const b = await finished(client, created.id);
    expect(b.status).toBe("completed");
    expect(b.request_counts).toEqual({ total: 50, completed: 49, failed: 1 });
    for (const t of ["created_at", "in_progress_at", "finalizing_at", "completed_at", "expires_at"] as const) expect(typeof b[t]).toBe("number");
    expect(b.expires_at! - b.created_at).toBe(24 * 3600);

    const out = await jsonl(client, b.output_file_id!);
    expect(out.map((l) => l.custom_id).sort()).toEqual(tags.filter((t) => t !== "line-17").sort());
    for (const l of out) {
      expect(Object.keys(l)).toEqual(["id", "custom_id", "response", "error"]);
      expect(l.error).toBeNull();
      expect(l.response.status_code).toBe(200);
      expect(l.response.body.choices[0].message.content).toBe(`answer to ${l.custom_id}`);
      expect(l.id).toMatch(/^batch_req_/);
    }
    const errs = await jsonl(client, b.error_file_id!);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ custom_id: "line-17", response: { status_code: 400, body: { error: { message: expect.stringContaining("refused: line-17") } } }, error: null });

    // Exactly one upstream call per line; one ledger row per line, the refused one at zero cost.
    expect(up.calls).toHaveLength(50);
    const rows = await ledger(b.id);
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(50);
    expect(rows.filter((r) => r.status === 200)).toHaveLength(49);
    const refused = rows.find((r) => r.status !== 200)!;
    expect(Number(refused.cost_total_micros)).toBe(0);
    expect(rows.every((r) => r.key_id === keyId && (r.receipt as any)?.batch?.id === b.id)).toBe(true);
    const sum = rows.reduce((s, r) => s + Number(r.cost_total_micros), 0);
    expect(sum).toBeGreaterThan(0);
    expect(gw.runtime.budgets.book.get("key", keyId)!.spendMicros).toBe(sum);
  });

  it("lists, retrieves and deletes through the SDK; another key sees none of it, the master key all", async () => {
    const { client } = await newKey();
    const other = await newKey();
    const created = await submit(client, chatLines(["a", "b"]));
    const b = await finished(client, created.id);
    const page = await client.batches.list({ limit: 1 });
    expect(page.data.map((x) => x.id)).toEqual([b.id]);
    const files = await client.files.list();
    expect(files.data.map((f) => f.id).sort()).toEqual([b.input_file_id, b.output_file_id].sort());
    const input = await client.files.retrieve(b.input_file_id);
    expect(input).toMatchObject({ object: "file", purpose: "batch", filename: "input.jsonl", status: "processed", bytes: Buffer.byteLength(chatLines(["a", "b"])) });
    expect(await (await client.files.content(b.input_file_id)).text()).toBe(chatLines(["a", "b"]));
    const output = await client.files.retrieve(b.output_file_id!);
    expect(output.purpose).toBe("batch_output");
    expect(output.bytes).toBe(Buffer.byteLength(await (await client.files.content(b.output_file_id!)).text()));

    await expect(other.client.batches.retrieve(b.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.client.files.retrieve(b.input_file_id)).rejects.toMatchObject({ status: 404 });
    await expect(other.client.files.content(b.output_file_id!)).rejects.toMatchObject({ status: 404 });
    await expect(other.client.batches.create({ input_file_id: b.input_file_id, endpoint: "/v1/chat/completions", completion_window: "24h" })).rejects.toMatchObject({ status: 404 });
    expect((await other.client.batches.list()).data).toEqual([]);
    expect((await gw.client.batches.retrieve(b.id)).id).toBe(b.id);

    expect(await client.files.delete(b.input_file_id)).toEqual({ id: b.input_file_id, object: "file", deleted: true });
    await expect(client.files.retrieve(b.input_file_id)).rejects.toMatchObject({ status: 404 });
  });

  it("runs at most batches.concurrency lines at once", async () => {
    up.reset();
    up.delayMs = 100;
    const { client } = await newKey();
    const b = await finished(client, (await submit(client, chatLines(Array.from({ length: 12 }, (_, i) => `c-${i}`)))).id);
    expect(b.request_counts).toEqual({ total: 12, completed: 12, failed: 0 });
    expect(up.calls).toHaveLength(12);
    expect(up.maxInFlight).toBe(3);
  });

  it("cancel: no new line starts; those in flight finish; the rest go to the error file as cancelled", async () => {
    up.reset();
    up.delayMs = 300;
    const { client } = await newKey();
    const created = await submit(client, chatLines(Array.from({ length: 30 }, (_, i) => `x-${i}`)));
    while (up.calls.length < 3) await new Promise((r) => setTimeout(r, 10));
    const cancelling = await client.batches.cancel(created.id);
    expect(cancelling.status).toBe("cancelling");
    expect(typeof cancelling.cancelling_at).toBe("number");
    const startedBefore = up.calls.length;
    const b = await finished(client, created.id);
    expect(b.status).toBe("cancelled");
    expect(up.calls.length).toBe(startedBefore);
    expect(b.request_counts!.completed).toBe(startedBefore);
    expect(b.request_counts!.completed + b.request_counts!.failed).toBe(30);
    const errs = await jsonl(client, b.error_file_id!);
    expect(errs).toHaveLength(30 - startedBefore);
    expect(errs[0]).toMatchObject({ response: null, error: { code: "batch_cancelled" } });
    await expect(client.batches.cancel(b.id)).resolves.toMatchObject({ status: "cancelled" });
  });

  it("a rate-limited line waits for Retry-After and runs again: it is not failed", async () => {
    up.reset();
    up.rateLimit.set("slow", 2);
    const { id: keyId, client } = await newKey();
    const b = await finished(client, (await submit(client, chatLines(["slow", "fast"]))).id);
    expect(b.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(up.calls.filter((c) => c.tag === "slow")).toHaveLength(3);
    const rows = await ledger(b.id);
    // Each run is a request of its own in the ledger: two refused at no cost, then the answer.
    expect(rows.map((r) => r.status).sort()).toEqual([200, 200, 429, 429]);
    expect(gw.runtime.budgets.book.get("key", keyId)!.spendMicros).toBe(rows.reduce((s, r) => s + Number(r.cost_total_micros), 0));
  });

  it("a model the key may not use is an error line (403), never sent upstream", async () => {
    up.reset();
    const { client } = await newKey(["up:gpt-4o-mini"]);
    const input = chatLines(["ok-1", "ok-2"]) + chatLines(["denied"], "up:gpt-4o");
    const b = await finished(client, (await submit(client, input)).id);
    expect(b.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const errs = await jsonl(client, b.error_file_id!);
    expect(errs[0]).toMatchObject({ custom_id: "denied", response: { status_code: 403, body: { error: { code: "permission_denied" } } } });
    expect(up.calls.map((c) => c.tag).sort()).toEqual(["ok-1", "ok-2"]);
  });

  it("a key revoked mid-batch stops its remaining lines: they fail with 401", async () => {
    up.reset();
    up.delayMs = 200;
    const { id, client } = await newKey();
    const created = await submit(client, chatLines(Array.from({ length: 20 }, (_, i) => `r-${i}`)));
    while (up.calls.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect((await admin("DELETE", `/v1/keys/${id}`)).status).toBe(200);
    const b = await finished(gw.client, created.id);
    expect(b.status).toBe("completed");
    expect(b.request_counts!.total).toBe(20);
    expect(up.calls.length).toBeLessThan(10);
    expect(b.request_counts!.failed).toBe(20 - b.request_counts!.completed);
    const errs = await jsonl(gw.client, b.error_file_id!);
    expect(errs.every((e) => e.response.status_code === 401)).toBe(true);
    // The lines in flight when the key was found revoked finished, and were kept and billed: every upstream call is in the output and the ledger.
    expect(b.request_counts!.completed).toBeGreaterThanOrEqual(3);
    expect(up.calls).toHaveLength(b.request_counts!.completed);
    expect((await ledger(b.id)).filter((r) => r.status === 200)).toHaveLength(b.request_counts!.completed);
  });

  it("a line refused by its budget (402) is an error line; the budget is never overspent and its spend is the ledger's", async () => {
    up.reset();
    const budget = `tiny-${Math.random().toString(36).slice(2)}`;
    // 40 micro-USD: a few lines' reservations (max_tokens 20 at gpt-4o-mini's price), not all ten.
    expect((await admin("POST", "/v1/budgets", { budget_id: budget, max_budget: 0.00004, budget_duration: null })).status).toBe(201);
    const k = (await admin("POST", "/v1/keys", { key_name: "tiny", budget_id: budget })).body;
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: k.key, maxRetries: 0 });
    const b = await finished(client, (await submit(client, chatLines(Array.from({ length: 10 }, (_, i) => `m-${i}`)))).id);
    expect(b.status).toBe("completed");
    expect(b.request_counts!.completed).toBeGreaterThan(0);
    expect(b.request_counts!.failed).toBeGreaterThan(0);
    const errs = await jsonl(client, b.error_file_id!);
    expect(errs.every((e) => e.response.status_code === 402 && e.response.body.error.code === "budget_exceeded")).toBe(true);
    expect(up.calls).toHaveLength(b.request_counts!.completed);
    const rows = await ledger(b.id);
    const sum = rows.reduce((s, r) => s + Number(r.cost_total_micros), 0);
    expect(gw.runtime.budgets.book.get("key", k.id)!.spendMicros).toBe(sum);
    expect(sum).toBeLessThanOrEqual(40);
  });

  it("a batch past its completion window expires: lines not run go to the error file as batch_expired", async () => {
    up.reset();
    up.delayMs = 300;
    const { client } = await newKey();
    const created = await submit(client, chatLines(Array.from({ length: 12 }, (_, i) => `w-${i}`)));
    while (up.calls.length < 3) await new Promise((r) => setTimeout(r, 10));
    await gw.store.db
      .updateTable("batches")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", created.id)
      .execute();
    const b = await finished(client, created.id);
    expect(b.status).toBe("expired");
    expect(typeof b.expired_at).toBe("number");
    expect(b.request_counts!.completed).toBe(up.calls.length);
    const errs = await jsonl(client, b.error_file_id!);
    expect(errs).toHaveLength(12 - up.calls.length);
    expect(errs[0]).toMatchObject({ response: null, error: { code: "batch_expired" } });
  });

  it("expires_after on an upload and output_expires_after on a batch set the files' expires_at", async () => {
    up.reset();
    const { client } = await newKey();
    const file = await client.files.create({ file: await toFile(Buffer.from(chatLines(["z"])), "in.jsonl"), purpose: "batch", expires_after: { anchor: "created_at", seconds: 7200 } });
    expect(file.expires_at! - file.created_at).toBe(7200);
    const created = await client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", output_expires_after: { anchor: "created_at", seconds: 3600 } });
    const b = await finished(client, created.id);
    const out = await client.files.retrieve(b.output_file_id!);
    expect(out.expires_at! - out.created_at).toBe(3600);
    // Past its expiry a file is gone.
    await gw.store.db
      .updateTable("files")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", out.id)
      .execute();
    await expect(client.files.retrieve(out.id)).rejects.toMatchObject({ status: 404 });
  });

  it("embeddings batches", async () => {
    up.reset();
    const { client } = await newKey();
    const lines = ["e1", "e2"].map((t) => JSON.stringify({ custom_id: t, method: "POST", url: "/v1/embeddings", body: { model: "up:text-embedding-3-small", input: t } })).join("\n");
    const b = await finished(client, (await submit(client, lines, "/v1/embeddings")).id);
    expect(b.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    const out = await jsonl(client, b.output_file_id!);
    expect(out[0].response.body.data[0].embedding).toEqual([0.1, 0.2, 0.3]);
  });
});

describe("batch input checks", () => {
  const upload = (body: string | Buffer, fields: Record<string, string> = { purpose: "batch" }, key = gw.masterKey) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([body]), "in.jsonl");
    return fetch(`${gw.url}/v1/files`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
  };
  const error = async (res: Response) => ({ status: res.status, error: ((await res.json()) as any).error });

  it("refuses a file that is not batch JSONL, naming the line", async () => {
    expect(await error(await upload("not json\n"))).toMatchObject({ status: 400, error: { code: "invalid_request", message: "line 1 of the file is not valid JSON", param: "file" } });
    const bad = JSON.stringify({ custom_id: "a", method: "GET", url: "/v1/chat/completions", body: { model: "m" } });
    expect(await error(await upload(chatLines(["a"]) + bad + "\n"))).toMatchObject({ status: 400, error: { message: 'line 2 of the file needs method "POST"' } });
    const url = JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/completions", body: { model: "m" } });
    expect((await error(await upload(url))).error.message).toContain("needs url");
    expect((await error(await upload("\n\n"))).error.message).toContain("has no requests");
    expect((await error(await upload(chatLines(["a"]), { purpose: "fine-tune" }))).error).toMatchObject({ param: "purpose" });
    expect((await error(await upload(chatLines(["a"]), { purpose: "batch", extra: "1" }))).error).toMatchObject({ param: "extra" });
    expect((await error(await upload(chatLines(["a"]), { purpose: "batch", "expires_after[anchor]": "created_at", "expires_after[seconds]": "60" }))).status).toBe(400);
  });

  it("bounds the file (413), its lines (400) and each line (413) by the batches settings", async () => {
    const small = await startTestGateway({ batches: { max_file_bytes: 2048, max_lines: 3, max_line_bytes: 512 } });
    try {
      const send = (body: string) => {
        const form = new FormData();
        form.append("purpose", "batch");
        form.append("file", new Blob([body]), "in.jsonl");
        return fetch(`${small.url}/v1/files`, { method: "POST", headers: { authorization: `Bearer ${small.masterKey}` }, body: form });
      };
      expect((await send(chatLines(["a", "b", "c"]))).status).toBe(200);
      expect(await error(await send(chatLines(["a", "b", "c", "d"])))).toMatchObject({ status: 400, error: { message: expect.stringContaining("at most 3 (batches.max_lines)") } });
      const long = JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: { model: "m", messages: [{ role: "user", content: "x".repeat(600) }] } });
      expect(await error(await send(long))).toMatchObject({ status: 413, error: { code: "request_too_large", message: expect.stringContaining("line 1 of the file has") } });
      expect(await error(await send(chatLines(Array.from({ length: 30 }, (_, i) => `t-${i}`))))).toMatchObject({ status: 413, error: { code: "request_too_large" } });
    } finally {
      await small.stop();
    }
  });

  it("a batch whose lines do not match its endpoint, or repeat a custom_id, is failed with the problems and their lines", async () => {
    const file = await gw.client.files.create({ file: await toFile(Buffer.from(chatLines(["a", "b", "a"])), "in.jsonl"), purpose: "batch" });
    const b = await gw.client.batches.create({ input_file_id: file.id, endpoint: "/v1/embeddings", completion_window: "24h" });
    expect(b.status).toBe("failed");
    expect(typeof b.failed_at).toBe("number");
    expect(b.errors!.data!.filter((e) => e.code === "mismatched_endpoint").map((e) => e.line)).toEqual([1, 2, 3]);
    expect(b.errors!.data!.find((e) => e.code === "duplicate_custom_id")).toMatchObject({ line: 3, param: "custom_id" });
    await expect(gw.client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "48h" as "24h" })).rejects.toMatchObject({ status: 400 });
    await expect(gw.client.batches.create({ input_file_id: "file-nope", endpoint: "/v1/chat/completions", completion_window: "24h" })).rejects.toMatchObject({ status: 404 });
    await expect(gw.client.batches.retrieve("batch_nope")).rejects.toMatchObject({ status: 404 });
  });

  it("/openapi.json describes the batch and file routes", async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as any;
    for (const [path, method] of [
      ["/v1/files", "post"],
      ["/v1/files", "get"],
      ["/v1/files/{file_id}", "get"],
      ["/v1/files/{file_id}", "delete"],
      ["/v1/files/{file_id}/content", "get"],
      ["/v1/batches", "post"],
      ["/v1/batches", "get"],
      ["/v1/batches/{batch_id}", "get"],
      ["/v1/batches/{batch_id}/cancel", "post"],
    ])
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(doc.paths["/v1/keys"]).toBeDefined();
    expect(doc.components.schemas.Batch).toBeDefined();
    expect(doc.paths["/v1/batches/{batch_id}/cancel"].post.operationId).toBe("cancelBatch");
  });
});

/**
 * Batches sent to the provider's own batch API (OpenAI's Batch API, Anthropic's Message
 * Batches) by the gateway, through the official `openai` SDK: one native batch upstream instead
 * of a call per line, each line's ledger row at the batch price (half the standard price), the
 * whole estimate reserved at submission (402 when it does not fit), cancel passed on, and a batch
 * whose lines go to different providers run by the gateway.
 */
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { priceOf } from "../../src/catalog/prices.js";
import { withPostgres } from "../store/pg-helper.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

let oa: FakeOpenAI;
let an: FakeAnthropic;
let gw: TestGateway;

beforeAll(async () => {
  oa = await startFakeOpenAI();
  an = await startFakeAnthropic();
  gw = await startTestGateway({
    providers: { oa: { type: "openai", base_url: oa.url, api_key: "sk-oa-000000" }, an: { type: "anthropic", base_url: an.url, api_key: an.apiKey } },
    routing: { retries: 0 },
    batches: { poll_interval_ms: 100 },
  });
});
afterAll(async () => {
  await gw?.stop();
  await oa?.close();
  await an?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function newKey(maxBudget = 10, limits: Record<string, number> = {}): Promise<{ id: string; client: OpenAI }> {
  const budget = `nb-${Math.random().toString(36).slice(2)}`;
  expect((await admin("POST", "/v1/budgets", { budget_id: budget, max_budget: maxBudget, budget_duration: null })).status).toBe(201);
  const k = await admin("POST", "/v1/keys", { key_name: "native", budget_id: budget, ...limits });
  expect(k.status).toBe(201);
  return { id: k.body.id, client: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: k.body.key, maxRetries: 0 }) };
}

const lines = (items: Array<[string, string]>, maxTokens = 50) =>
  items
    .map(([tag, model]) => JSON.stringify({ custom_id: tag, method: "POST", url: "/v1/chat/completions", body: { model, max_tokens: maxTokens, messages: [{ role: "user", content: `say ${tag}` }] } }))
    .join("\n") + "\n";

async function submit(client: OpenAI, jsonl: string) {
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), "input.jsonl"), purpose: "batch" });
  return client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
}

async function finished(client: OpenAI, id: string, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const b = await client.batches.retrieve(id);
    if (["completed", "failed", "cancelled", "expired"].includes(b.status)) return b;
    if (Date.now() > until) throw new Error(`batch ${id} still ${b.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function jsonlOf(client: OpenAI, fileId: string): Promise<any[]> {
  const text = await (await client.files.content(fileId)).text();
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
    .orderBy("request_id")
    .execute();

/** Half of `tokens × price` USD per million, in micro-USD rounded up: integers only. */
const half = (tokens: number, usdPerMillion: number) => Math.ceil((tokens * Math.round(usdPerMillion * 1e6)) / 2e6);

describe("native batches", () => {
  it("OpenAI: one native batch upstream, the fake's answers, one ledger row a line at half the standard price", async () => {
    oa.reset();
    const { id: keyId, client } = await newKey();
    const tags = ["a1", "a2", "a3", "a4"];
    const b = await finished(client, (await submit(client, lines(tags.map((t) => [t, "oa:gpt-4o-mini"])))).id);
    expect(b.status).toBe("completed");
    expect(b.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    expect(oa.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(0);
    expect(oa.calls.filter((c) => c.method === "POST" && c.path === "/v1/batches")).toHaveLength(1);
    const out = await jsonlOf(client, b.output_file_id!);
    expect(out.map((o) => o.custom_id).sort()).toEqual(tags);
    for (const o of out) expect(o.response.body.choices[0].message.content).toBe(`Echo: say ${o.custom_id}`);
    const rows = await ledger(b.id);
    expect(rows).toHaveLength(4);
    const price = priceOf("openai", "gpt-4o-mini")!;
    for (const r of rows) {
      const o = out.find((x) => x.response.request_id === r.request_id)!;
      const u = o.response.body.usage;
      expect(u.prompt_tokens).toBeGreaterThan(0);
      expect([r.provider, r.model, r.prompt_tokens, r.completion_tokens]).toEqual(["oa", "gpt-4o-mini", u.prompt_tokens, u.completion_tokens]);
      expect(Number(r.cost_total_micros)).toBe(half(u.prompt_tokens, price.input) + half(u.completion_tokens, price.output));
      expect(r.price_version).toMatch(/;batch=1\/2$/);
    }
    const sum = rows.reduce((s, r) => s + Number(r.cost_total_micros), 0);
    expect(gw.runtime.budgets.book.get("key", keyId)!.spendMicros).toBe(sum);
    expect(gw.runtime.budgets.book.get("key", keyId)!.reservedMicros ?? 0).toBe(0);
  });

  it("Anthropic: one Message Batch upstream, ledger rows at half the standard price", async () => {
    an.reset();
    const { client } = await newKey();
    const b = await finished(
      client,
      (
        await submit(
          client,
          lines([
            ["c1", "an:claude-sonnet-4-5"],
            ["c2", "an:claude-sonnet-4-5"],
            ["c3", "an:claude-sonnet-4-5"],
          ]),
        )
      ).id,
    );
    expect(b.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(an.calls.filter((c) => c.path === "/v1/messages")).toHaveLength(0);
    expect(an.calls.filter((c) => c.method === "POST" && c.path === "/v1/messages/batches")).toHaveLength(1);
    const out = await jsonlOf(client, b.output_file_id!);
    const price = priceOf("anthropic", "claude-sonnet-4-5")!;
    const rows = await ledger(b.id);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      const u = out.find((x) => x.response.request_id === r.request_id)!.response.body.usage;
      expect(Number(r.cost_total_micros)).toBe(half(u.prompt_tokens, price.input) + half(u.completion_tokens, price.output));
    }
  });

  it("OpenAI embeddings: one native batch, each line's ledger row at half the standard price", async () => {
    oa.reset();
    const { client } = await newKey();
    const jsonl = ["e1", "e2"].map((t) => JSON.stringify({ custom_id: t, method: "POST", url: "/v1/embeddings", body: { model: "oa:text-embedding-3-small", input: `embed ${t}` } })).join("\n");
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), "emb.jsonl"), purpose: "batch" });
    const b = await finished(client, (await client.batches.create({ input_file_id: file.id, endpoint: "/v1/embeddings", completion_window: "24h" })).id);
    expect(b.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(oa.calls.filter((c) => c.path === "/v1/embeddings")).toHaveLength(0);
    expect(oa.calls.filter((c) => c.method === "POST" && c.path === "/v1/batches")).toHaveLength(1);
    const out = await jsonlOf(client, b.output_file_id!);
    const rows = await ledger(b.id);
    expect(rows).toHaveLength(2);
    const price = priceOf("openai", "text-embedding-3-small")!;
    for (const r of rows) {
      const u = out.find((x) => x.response.request_id === r.request_id)!.response.body.usage;
      expect(u.prompt_tokens).toBeGreaterThan(0);
      expect([r.endpoint, r.prompt_tokens]).toEqual(["embeddings", u.prompt_tokens]);
      expect(Number(r.cost_total_micros)).toBe(half(u.prompt_tokens, price.input));
    }
  });

  it("a batch whose estimate does not fit the budget is refused with 402, nothing submitted", async () => {
    oa.reset();
    const { client } = await newKey(0.001);
    const err = await submit(
      client,
      lines(
        [
          ["big1", "oa:gpt-4o-mini"],
          ["big2", "oa:gpt-4o-mini"],
        ],
        100_000,
      ),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(402);
    expect(err.error).toMatchObject({ code: "budget_exceeded" });
    expect(oa.calls.filter((c) => c.path === "/v1/batches")).toHaveLength(0);
  });

  it("a native batch is reserved at the batch price it is billed at, so a budget that fits it only at half price accepts it", async () => {
    oa.reset();
    oa.batches.setOptions({ startAfterMs: 60_000 });
    try {
      const maxTokens = 20_000;
      const body = lines(
        [
          ["h1", "oa:gpt-4o-mini"],
          ["h2", "oa:gpt-4o-mini"],
        ],
        maxTokens,
      );
      const first = await newKey();
      const created = await submit(first.client, body);
      const held = gw.runtime.budgets.book.get("key", first.id)!.reservedMicros;
      // Two lines of up to 20,000 output tokens: at the standard price their output alone would
      // reserve 2 × 20,000 × $0.60 per million; at the batch price half of that, plus the prompt's half.
      const standardOutput = 2 * maxTokens * priceOf("openai", "gpt-4o-mini")!.output;
      expect(held).toBeGreaterThanOrEqual(standardOutput / 2);
      expect(held).toBeLessThan(standardOutput);
      await first.client.batches.cancel(created.id);
      await finished(first.client, created.id);
      expect(gw.runtime.budgets.book.get("key", first.id)!.reservedMicros).toBe(0);
      // A budget of 1.2 × that estimate: enough at the batch price, not at the standard one.
      const second = await newKey(Math.round(held * 1.2) / 1e6);
      const again = await submit(second.client, body);
      expect(again.status).not.toBe("failed");
      await second.client.batches.cancel(again.id);
      await finished(second.client, again.id);
    } finally {
      oa.batches.setOptions({});
    }
  });

  it("a native batch the provider lets expire: the line it ran billed at the batch price, the others batch_expired, the rest of the reservation given back", async () => {
    oa.reset();
    oa.batches.setOptions({ expireAfterLines: 1 });
    try {
      const { id: keyId, client } = await newKey();
      const created = await submit(
        client,
        lines([
          ["e1", "oa:gpt-4o-mini"],
          ["e2", "oa:gpt-4o-mini"],
          ["e3", "oa:gpt-4o-mini"],
        ]),
      );
      // While the provider runs it, the whole estimate is held on the budget.
      expect(gw.runtime.budgets.book.get("key", keyId)!.reservedMicros).toBeGreaterThan(0);
      const b = await finished(client, created.id);
      expect(b.status).toBe("expired");
      expect(b.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
      const out = await jsonlOf(client, b.output_file_id!);
      expect(out.map((o) => o.custom_id)).toEqual(["e1"]);
      const errs = await jsonlOf(client, b.error_file_id!);
      expect(errs.map((e) => [e.custom_id, e.error.code]).sort()).toEqual([
        ["e2", "batch_expired"],
        ["e3", "batch_expired"],
      ]);
      const rows = await ledger(b.id);
      expect(rows).toHaveLength(1);
      const u = out[0].response.body.usage;
      const price = priceOf("openai", "gpt-4o-mini")!;
      expect(Number(rows[0].cost_total_micros)).toBe(half(u.prompt_tokens, price.input) + half(u.completion_tokens, price.output));
      const book = gw.runtime.budgets.book.get("key", keyId)!;
      expect(book.spendMicros).toBe(Number(rows[0].cost_total_micros));
      expect(book.reservedMicros).toBe(0);
    } finally {
      oa.batches.setOptions({});
    }
  });

  it("a native batch the provider fails (its enqueued-token limit) runs no line, bills nothing and gives the whole reservation back", async () => {
    oa.reset();
    oa.batches.setOptions({ failWith: { code: "token_limit_exceeded", message: "Enqueued token limit reached for gpt-4o-mini in organization org-test." } });
    try {
      const { id: keyId, client } = await newKey();
      const created = await submit(
        client,
        lines([
          ["f1", "oa:gpt-4o-mini"],
          ["f2", "oa:gpt-4o-mini"],
        ]),
      );
      const b = await finished(client, created.id);
      expect(oa.calls.filter((c) => c.method === "POST" && c.path === "/v1/batches")).toHaveLength(1);
      expect(oa.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(0);
      // The gateway accepted the file, so its batch ends with every line in the error file, saying why.
      expect(b.status).toBe("completed");
      expect(b.request_counts).toEqual({ total: 2, completed: 0, failed: 2 });
      expect(b.output_file_id).toBeNull();
      const errs = await jsonlOf(client, b.error_file_id!);
      expect(errs.map((e) => e.custom_id).sort()).toEqual(["f1", "f2"]);
      for (const e of errs) expect(JSON.stringify(e.response?.body ?? e.error)).toContain("the provider's batch failed: Enqueued token limit reached");
      expect(await ledger(b.id)).toHaveLength(0);
      const book = gw.runtime.budgets.book.get("key", keyId)!;
      expect(book.spendMicros).toBe(0);
      expect(book.reservedMicros).toBe(0);
    } finally {
      oa.batches.setOptions({});
    }
  });

  it("cancel on the gateway cancels the provider's batch", async () => {
    oa.reset();
    oa.batches.setOptions({ startAfterMs: 60_000 });
    try {
      const { client } = await newKey();
      const created = await submit(
        client,
        lines([
          ["x1", "oa:gpt-4o-mini"],
          ["x2", "oa:gpt-4o-mini"],
        ]),
      );
      await client.batches.cancel(created.id);
      const b = await finished(client, created.id);
      expect(b.status).toBe("cancelled");
      expect(oa.calls.filter((c) => c.method === "POST" && /^\/v1\/batches\/[^/]+\/cancel$/.test(c.path))).toHaveLength(1);
      const errs = await jsonlOf(client, b.error_file_id!);
      expect(errs.map((e) => e.error.code).sort()).toEqual(["batch_cancelled", "batch_cancelled"]);
      expect(await ledger(b.id)).toHaveLength(0);
    } finally {
      oa.batches.setOptions({});
    }
  });

  it("a batch whose lines go to different providers runs through the gateway at standard prices", async () => {
    oa.reset();
    an.reset();
    const { client } = await newKey();
    const b = await finished(
      client,
      (
        await submit(
          client,
          lines([
            ["m1", "oa:gpt-4o-mini"],
            ["m2", "an:claude-sonnet-4-5"],
          ]),
        )
      ).id,
    );
    expect(b.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(oa.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(1);
    expect(an.calls.filter((c) => c.path === "/v1/messages")).toHaveLength(1);
    expect(oa.calls.filter((c) => c.path === "/v1/batches")).toHaveLength(0);
    for (const r of await ledger(b.id)) expect(r.price_version).not.toMatch(/batch/);
  });

  it("a key with a rate limit has its batch run by the gateway, line by line under the limit, not by the provider", async () => {
    oa.reset();
    const { client } = await newKey(10, { rpd_limit: 2 });
    const b = await finished(
      client,
      (
        await submit(
          client,
          lines([
            ["d1", "oa:gpt-4o-mini"],
            ["d2", "oa:gpt-4o-mini"],
          ]),
        )
      ).id,
    );
    expect(b.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(oa.calls.filter((c) => c.path === "/v1/batches")).toHaveLength(0);
    expect(oa.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(2);
    for (const r of await ledger(b.id)) expect(r.price_version).not.toMatch(/batch/);
  });
});

describe("native batches across a restart", () => {
  it("a native batch in progress is polled again by the next process: each line written and billed once, its spend on the budget", async ({ skip }) => {
    const db = await withPostgres();
    if (!db) return skip();
    const up = await startFakeOpenAI();
    const cfg = { providers: { oa: { type: "openai", base_url: up.url, api_key: "sk-oa-000000" } }, routing: { retries: 0 }, batches: { poll_interval_ms: 100, lease_ms: 1000 } };
    let a: TestGateway | undefined;
    let b: TestGateway | undefined;
    try {
      up.batches.setOptions({ startAfterMs: 4000 });
      a = await startTestGateway(cfg, { databaseUrl: db.url });
      const budget = `rb-${Math.random().toString(36).slice(2)}`;
      const call = (g: TestGateway, method: string, path: string, body: unknown) =>
        fetch(g.url + path, { method, headers: { authorization: `Bearer ${g.masterKey}`, "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
      await call(a, "POST", "/v1/budgets", { budget_id: budget, max_budget: 10, budget_duration: null });
      const key = await call(a, "POST", "/v1/keys", { key_name: "restart", budget_id: budget });
      const ca = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: key.key, maxRetries: 0 });
      const created = await submit(
        ca,
        lines([
          ["r1", "oa:gpt-4o-mini"],
          ["r2", "oa:gpt-4o-mini"],
          ["r3", "oa:gpt-4o-mini"],
        ]),
      );
      await a.stop();
      a = undefined;
      b = await startTestGateway(cfg, { databaseUrl: db.url });
      const cb = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: key.key, maxRetries: 0 });
      // While the provider runs it, the new process holds the pending lines' estimate on the budget again.
      const reserved = () => b!.runtime.budgets.book.get("key", key.id)?.reservedMicros ?? 0;
      await vi.waitFor(() => expect(reserved()).toBeGreaterThan(0), { timeout: 3000, interval: 50 });
      const done = await finished(cb, created.id);
      expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
      expect(up.calls.filter((c) => c.method === "POST" && c.path === "/v1/batches")).toHaveLength(1);
      const rows = await b.store.db
        .selectFrom("usage")
        .selectAll()
        .where("request_id", "like", `req_${created.id.slice("batch_".length)}_%`)
        .execute();
      expect(rows.map((r) => r.request_id).sort()).toEqual([1, 2, 3].map((i) => `req_${created.id.slice("batch_".length)}_${i}_1`));
      const sum = rows.reduce((s, r) => s + Number(r.cost_total_micros), 0);
      expect(sum).toBeGreaterThan(0);
      expect(b.runtime.budgets.book.get("key", key.id)!.spendMicros).toBe(sum);
      expect(reserved()).toBe(0); // settled to what was written
    } finally {
      await a?.stop();
      await b?.stop();
      await up.close();
      await db.drop();
    }
  });
});

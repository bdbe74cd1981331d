/** Money through the public APIs: pricing override → budget attached to a key → usage, logs and receipts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } }, routing: { retries: 1 } });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text, headers: res.headers };
}

describe("money end to end", () => {
  it("a catalog price costs a request; an API price overrides it at once", async () => {
    fake.enqueue({ text: "a", usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    const r1 = await gw.post("/v1/chat/completions", { model: "up:gpt-4o-mini", messages: [{ role: "user", content: "x" }] });
    // catalog gpt-4o-mini: $0.15 in, $0.60 out per million
    expect(r1.headers.get("x-switchboard-cost-usd")).toBe("0.00021");
    expect((await admin("POST", "/v1/pricing", { model: "up/gpt-4o-mini", input_price_per_million: 1, output_price_per_million: 2 })).status).toBe(201);
    // The change is answered once this gateway has reloaded its prices: the next request uses them.
    fake.enqueue({ text: "a", usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    const r2 = await gw.post("/v1/chat/completions", { model: "up:gpt-4o-mini", messages: [{ role: "user", content: "x" }] });
    expect(r2.headers.get("x-switchboard-cost-usd")).toBe("0.0012");
    expect((await admin("DELETE", "/v1/pricing/up:gpt-4o-mini")).status).toBe(200);
  });

  it("a budget attached to a key through the API is enforced and reports its spend", async () => {
    await admin("POST", "/v1/pricing", { model: "up:gpt-4o", input_price_per_million: 1, output_price_per_million: 1 });
    const budget = await admin("POST", "/v1/budgets", { budget_id: "cap", max_budget: 0.0003, budget_duration: "1d", alert_thresholds: [100] });
    expect(budget.status).toBe(201);
    const key = (await admin("POST", "/v1/keys", { key_name: "capped", budget_id: "cap" })).body;
    // Both changes were answered once this gateway had loaded them: no wait here.
    const send = () => gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 50, messages: [{ role: "user", content: "hi" }] }, { authorization: `Bearer ${key.key}` });
    fake.setDefault({ text: "ok", usage: { prompt_tokens: 50, completion_tokens: 50 } });
    const first = await send();
    expect(first.status).toBe(200);
    expect(first.headers.get("x-switchboard-budget-remaining-usd")).toBe("0.0002");
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200); // spend reaches the limit exactly
    const refused = await send();
    fake.setDefault({});
    expect(refused.status).toBe(402);
    const err = ((await refused.json()) as any).error;
    expect(err).toMatchObject({ code: "budget_exceeded", budget_id: "cap", subject_type: "key", subject_id: key.id });
    expect(typeof err.reset_at).toBe("string");
    const got = (await admin("GET", "/v1/budgets/cap")).body;
    expect(got.assignments).toEqual([expect.objectContaining({ subject_type: "key", subject_id: key.id, spend_usd: "0.0003" })]);
  });

  it("usage analytics, CSV, request logs and the receipt", async () => {
    for (let i = 0; i < 2; i++) fake.enqueue({ status: 503 });
    fake.enqueue({ text: "finally", usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const failed = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] });
    expect(failed.status).toBe(502);
    const ok = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] });
    expect(ok.status).toBe(200);
    await gw.usage.flush();

    const usage = (await admin("GET", "/v1/usage?group_by=model,provider")).body;
    const row = usage.data.find((d: any) => d.model === "up:gpt-4o");
    expect(row).toMatchObject({ provider: "up" });
    expect(row.requests).toBeGreaterThanOrEqual(2);
    const csv = await admin("GET", "/v1/usage?group_by=model&format=csv");
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(String(csv.body).split(/\r?\n/)[0]).toMatch(/^model,/);

    const receipt = (await admin("GET", `/v1/logs/${failed.headers.get("x-request-id")}`)).body;
    expect(receipt.attempts.map((a: any) => a.status)).toEqual([503, 503].map(() => 502));
    expect(receipt.requested_model).toBe("up:gpt-4o");
    // Parts kept in the stored receipt (the rows hold only codes): each failed attempt's message, and the routing.
    for (const a of receipt.attempts) expect(a).toMatchObject({ error_code: "upstream_error", error_message: expect.stringMatching(/\S/) });
    expect(receipt.routing).toEqual({ requested: "up:gpt-4o", alias: null, strategy: "direct", candidates: ["up:gpt-4o"] });
    const good = (await admin("GET", `/v1/logs/${ok.headers.get("x-request-id")}`)).body;
    expect(good.attempts).toHaveLength(1);
    expect(good.cost.total_usd).toBe("0.000015");
    const logs = (await admin("GET", "/v1/logs?limit=2")).body;
    expect(logs.data).toHaveLength(2);
    expect(logs.next_cursor).not.toBeNull();
    expect((await admin("GET", "/v1/logs/req_nope")).status).toBe(404);
  });
});

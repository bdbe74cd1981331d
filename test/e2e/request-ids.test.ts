/**
 * Request ids: the ledger's identity is always the gateway's own id. A client reusing one
 * x-request-id gets one ledger row per request (and the budget's spend, rebuilt from the ledger
 * after a restart, counts every one); its id is echoed back and kept as client_request_id.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { startGateway, type RunningGateway } from "../../src/gateway/index.js";
import { knownProviderTypes } from "../../src/providers/registry.js";
import { listUsageByRequest } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { TEST_MASTER_KEY } from "../support/gateway.js";

let fake: FakeOpenAI;
let dataDir: string;
let gw: RunningGateway | undefined;

/** A gateway on `dataDir`: stopping it and starting another on the same directory is a restart. */
async function start(): Promise<RunningGateway> {
  const config = parseConfig(
    {
      master_key: TEST_MASTER_KEY,
      data_dir: dataDir,
      database_url: "",
      server: { port: 0 },
      usage: { flush_interval_ms: 20 },
      providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } },
      // $0.50 per output token, input free: each request below costs exactly $0.50.
      pricing: { "up:gpt-4o": { input: 0, output: 500_000 } },
    },
    { env: {}, knownProviderTypes: knownProviderTypes() },
  );
  return startGateway(config, { log: () => {}, drainMs: 2000 });
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(gw!.url + path, {
    method,
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith("{") ? JSON.parse(text) : text };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dataDir = mkdtempSync(join(tmpdir(), "sb-reqid-"));
  cpSync(inject("storeTemplate"), dataDir, { recursive: true });
  gw = await start();
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("request ids", () => {
  it("six requests reusing one x-request-id: six ledger rows, $3.00 spent live and after a restart", async () => {
    expect((await call("POST", "/v1/budgets", { budget_id: "reuse", max_budget: 10, budget_duration: "30d" })).status).toBe(201);
    const key = (await call("POST", "/v1/keys", { key_name: "reuser", budget_id: "reuse" })).body;
    fake.setDefault({ text: "ok", usage: { prompt_tokens: 7, completion_tokens: 1 } });
    const gatewayIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call(
        "POST",
        "/v1/chat/completions",
        { model: "up:gpt-4o", max_tokens: 1, messages: [{ role: "user", content: "hi" }] },
        { authorization: `Bearer ${key.key}`, "x-request-id": "same-id" },
      );
      expect(r.status).toBe(200);
      expect(r.headers.get("x-request-id")).toBe("same-id");
      expect(r.headers.get("x-switchboard-cost-usd")).toBe("0.5");
      gatewayIds.push(r.headers.get("x-switchboard-request-id")!);
    }
    fake.setDefault({});
    expect(new Set(gatewayIds).size).toBe(6);
    for (const id of gatewayIds) expect(id).toMatch(/^req_[0-9a-z]+$/);
    // The upstream sees the gateway's id, not the client's.
    expect(fake.calls.slice(-6).map((c) => c.headers["x-request-id"])).toEqual(gatewayIds);

    const spend = async () => (await call("GET", "/v1/budgets/reuse")).body.assignments.map((a: { spend_usd: string }) => a.spend_usd);
    expect(await spend()).toEqual(["3"]);
    await gw!.usage.flush();
    for (const id of gatewayIds) {
      const rows = await listUsageByRequest(gw!.store.db, id);
      expect(rows.map((r) => [r.attempt, r.clientRequestId, r.cost.totalMicros])).toEqual([[1, "same-id", 500_000]]);
    }

    await gw!.close();
    gw = await start();
    expect(await spend()).toEqual(["3"]);
    const logs = (await call("GET", "/v1/logs?client_request_id=same-id&limit=100")).body;
    expect(logs.data.map((l: { request_id: string }) => l.request_id).sort()).toEqual([...gatewayIds].sort());
    expect(logs.data.every((l: { client_request_id: string; cost_usd: string }) => l.client_request_id === "same-id" && l.cost_usd === "0.5")).toBe(true);
    const receipt = (await call("GET", `/v1/logs/${gatewayIds[0]}`)).body;
    expect(receipt).toMatchObject({ request_id: gatewayIds[0], client_request_id: "same-id" });
  });

  it("without a client id both headers carry the gateway's id; an unacceptable client id is not echoed", async () => {
    const plain = await call("POST", "/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    expect(plain.status).toBe(200);
    const id = plain.headers.get("x-switchboard-request-id")!;
    expect(id).toMatch(/^req_/);
    expect(plain.headers.get("x-request-id")).toBe(id);

    const long = "x".repeat(129);
    const odd = await call("POST", "/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }, { "x-request-id": long });
    expect(odd.status).toBe(200);
    expect(odd.headers.get("x-request-id")).toBe(odd.headers.get("x-switchboard-request-id"));
    await gw!.usage.flush();
    const [row] = await listUsageByRequest(gw!.store.db, odd.headers.get("x-switchboard-request-id")!);
    expect(row.clientRequestId).toBeNull();
    const [plainRow] = await listUsageByRequest(gw!.store.db, id);
    expect(plainRow.clientRequestId).toBeNull();
    expect((await call("GET", `/v1/logs?client_request_id=${"x".repeat(129)}`)).status).toBe(400);
  });

  it("errors carry both headers too, and a client's id does not name a receipt", async () => {
    const bad = await call("POST", "/v1/chat/completions", { model: "up:gpt-4o" }, { "x-request-id": "bad-1" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-request-id")).toBe("bad-1");
    expect(bad.headers.get("x-switchboard-request-id")).toMatch(/^req_/);
    const ok = await call("POST", "/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }, { "x-request-id": "only-mine" });
    expect(ok.status).toBe(200);
    await gw!.usage.flush();
    expect((await call("GET", "/v1/logs/only-mine")).status).toBe(404);
    const logs = (await call("GET", "/v1/logs?client_request_id=only-mine")).body;
    expect(logs.data.map((l: { request_id: string }) => l.request_id)).toEqual([ok.headers.get("x-switchboard-request-id")]);
  });
});

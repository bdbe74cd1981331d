/**
 * The money routes: master key only (401/403 on every route), documented in /openapi.json, and
 * budget objects showing live spend from the budget engine when one is attached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetService } from "../../src/budgets/service.js";
import { startHarness, type Harness } from "./harness.js";

let x: Harness;
let engine: BudgetService | undefined;
beforeAll(async () => {
  x = await startHarness({
    budgets: (store, bus) => {
      engine = new BudgetService(store.db, bus, () => {});
      return engine;
    },
  });
  await engine!.load();
});
afterAll(async () => {
  engine?.close();
  await engine?.idle();
  await x?.close();
});

const ROUTES: Array<[string, string]> = [
  ["POST", "/v1/budgets"],
  ["GET", "/v1/budgets"],
  ["GET", "/v1/budgets/b"],
  ["PATCH", "/v1/budgets/b"],
  ["DELETE", "/v1/budgets/b"],
  ["POST", "/v1/pricing"],
  ["GET", "/v1/pricing"],
  ["DELETE", "/v1/pricing/openai:gpt-4o"],
  ["DELETE", "/v1/pricing/openai/gpt-4o"],
  ["GET", "/v1/usage"],
  ["GET", "/v1/users/u/usage"],
  ["GET", "/v1/teams/t/usage"],
  ["GET", "/v1/logs"],
  ["GET", "/v1/logs/req_x"],
];

describe("authentication", () => {
  it("answers 401 without the master key and 403 for a virtual key, on every route", async () => {
    const virtual = (await x.call("POST", "/v1/keys", {})).body.key as string;
    for (const [method, path] of ROUTES) {
      const body = method === "POST" || method === "PATCH" ? {} : undefined;
      for (const headers of [{ authorization: "" }, { authorization: "Bearer wrong-key" }]) {
        const r = await x.call(method, path, body, headers);
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.body).toEqual({ error: { message: expect.any(String), type: "authentication_error", param: null, code: "invalid_api_key" } });
      }
      const r = await x.call(method, path, body, { authorization: `Bearer ${virtual}` });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("permission_denied");
    }
  });
});

describe("openapi", () => {
  it("documents every money route and its schemas", async () => {
    const doc = (await x.call("GET", "/openapi.json", undefined, { authorization: "" })).body;
    const paths: Array<[string, string]> = [
      ["post", "/v1/budgets"],
      ["get", "/v1/budgets"],
      ["get", "/v1/budgets/{budget_id}"],
      ["patch", "/v1/budgets/{budget_id}"],
      ["delete", "/v1/budgets/{budget_id}"],
      ["post", "/v1/pricing"],
      ["get", "/v1/pricing"],
      ["delete", "/v1/pricing/{model}"],
      ["get", "/v1/usage"],
      ["get", "/v1/users/{user_id}/usage"],
      ["get", "/v1/teams/{team_id}/usage"],
      ["get", "/v1/logs"],
      ["get", "/v1/logs/{request_id}"],
    ];
    for (const [method, path] of paths) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.security).toEqual([{ masterKey: [] }, method === "get" ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] }]);
      expect(op.responses["401"], `${method} ${path}`).toBeDefined();
    }
    for (const name of [
      "Budget",
      "BudgetCreate",
      "BudgetPatch",
      "BudgetList",
      "BudgetAssignment",
      "Price",
      "PriceSet",
      "PriceList",
      "UsageReport",
      "UsageRow",
      "RequestLog",
      "RequestLogList",
      "Receipt",
      "ReceiptAttempt",
      "CostBreakdown",
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    expect(doc.components.schemas.BudgetCreate.required).toEqual(["max_budget"]);
    expect(doc.components.schemas.BudgetCreate.additionalProperties).toBe(false);
    expect(Object.keys(doc.paths["/v1/usage"].get.responses["200"].content).sort()).toEqual(["application/json", "text/csv"]);
    const usageParams = doc.paths["/v1/usage"].get.parameters.map((p: { name: string }) => p.name).sort();
    expect(usageParams).toEqual(["format", "from", "group_by", "tag", "to"]);
    const logParams = doc.paths["/v1/logs"].get.parameters.map((p: { name: string }) => p.name).sort();
    expect(logParams).toEqual(["client_request_id", "cursor", "from", "key_id", "limit", "model", "provider", "status", "tag", "team_id", "to", "user_id"]);
  });
});

describe("live spend from the budget engine", () => {
  it("shows the book's spend and period for the assignment it holds", async () => {
    await x.call("POST", "/v1/budgets", { budget_id: "live", max_budget: 10, budget_duration: "1d" });
    const key = (await x.call("POST", "/v1/keys", { budget_id: "live" })).body;
    await engine!.idle();
    const a = engine!.book.get("key", key.id)!;
    expect(a).toBeDefined();
    // Spend the engine knows of (settled in memory, not yet in the ledger).
    engine!.book.settle(engine!.book.reserve([a], 0), 1_234_567);
    const b = (await x.call("GET", "/v1/budgets/live")).body;
    expect(b.assignments).toEqual([{ subject_type: "key", subject_id: key.id, period_start: a.periodStart.toISOString(), reset_at: a.periodEnd!.toISOString(), spend_usd: "1.234567" }]);

    // Moved to another budget: a new assignment, whose spend starts from the ledger (empty) again.
    await x.call("POST", "/v1/budgets", { budget_id: "live-2", max_budget: 10, budget_duration: "1d" });
    await x.call("PATCH", `/v1/keys/${key.id}`, { budget_id: "live-2" });
    const moved = (await x.call("GET", "/v1/budgets/live-2")).body.assignments;
    expect(moved).toMatchObject([{ subject_type: "key", subject_id: key.id, spend_usd: "0" }]);
    await engine!.idle();
    expect(engine!.book.get("key", key.id)!.budget.id).toBe("live-2");
    expect((await x.call("GET", "/v1/budgets/live")).body.assignments).toEqual([]);
  });
});

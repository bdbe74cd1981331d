/**
 * Budget routes and attaching budgets to keys, users and teams; run on the embedded store
 * (money-routes.test.ts) and on PostgreSQL (money-postgres.test.ts).
 */
import { describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/policy/keys.js";
import { insertUsageRecords } from "../../src/usage/ledger.js";
import { usageRecord } from "../usage/fixtures.js";
import type { Harness } from "./harness.js";

type Ctx = { skip(): void };

export function harnessOf(get: () => Harness | null): (ctx: Ctx) => Harness {
  return (ctx) => {
    const x = get();
    if (!x) {
      ctx.skip();
      throw new Error("skipped");
    }
    return x;
  };
}

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

async function assignmentRow(x: Harness, type: string, id: string) {
  return x.store.db
    .selectFrom("budget_assignments")
    .selectAll()
    .where("subject_type", "=", type as "key")
    .where("subject_id", "=", id)
    .executeTakeFirst();
}

export function budgetSuite(get: () => Harness | null): void {
  const h = harnessOf(get);

  describe("budgets", () => {
    it("creates a budget with every field; money stays exact and is stored as micro-USD", async (ctx) => {
      const x = h(ctx);
      x.events.length = 0;
      const r = await x.call("POST", "/v1/budgets", {
        budget_id: "exact",
        max_budget: 12.345678,
        budget_duration: "1mo",
        mode: "track",
        alert_thresholds: [80, 50, 80],
        alert_webhook_url: "https://hooks.example.com/budget",
        max_request_usd: "0.5",
        metadata: { owner: "search" },
      });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        budget_id: "exact",
        max_budget: 12.345678,
        budget_duration: "1mo",
        budget_duration_sec: null,
        mode: "track",
        alert_thresholds: [50, 80],
        alert_webhook_url: "https://hooks.example.com/budget",
        max_request_usd: 0.5,
        metadata: { owner: "search" },
        created_at: ISO,
        updated_at: ISO,
        assignments: [],
      });
      const row = await x.store.db.selectFrom("budgets").selectAll().where("budget_id", "=", "exact").executeTakeFirstOrThrow();
      expect(row).toMatchObject({ max_budget_micros: "12345678", max_request_micros: "500000", duration_sec: null, duration_months: 1, mode: "track" });
      expect(x.events).toEqual([{ kind: "budget", budgetId: "exact" }]);
      expect((await x.call("GET", "/v1/budgets/exact")).body).toEqual(r.body);

      const big = await x.call("POST", "/v1/budgets", { max_budget: "12345.678901" });
      expect(big.body.max_budget).toBe(12345.678901);
    });

    it("applies defaults and generates an id", async (ctx) => {
      const x = h(ctx);
      const r = await x.call("POST", "/v1/budgets", { max_budget: "100" });
      expect(r.status).toBe(201);
      expect(r.body.budget_id).toMatch(/^budget_[0-9a-z]{20}$/);
      expect(r.body).toMatchObject({
        max_budget: 100,
        budget_duration: null,
        budget_duration_sec: null,
        mode: "enforce",
        alert_thresholds: [50, 80, 100],
        alert_webhook_url: null,
        max_request_usd: null,
        metadata: {},
        assignments: [],
      });
      expect(r.body.updated_at).toBe(r.body.created_at);
    });

    it("parses budget_duration and budget_duration_sec", async (ctx) => {
      const x = h(ctx);
      const cases: Array<[Record<string, unknown>, string | null, number | null]> = [
        [{ budget_duration: "30m" }, "30m", 1800],
        [{ budget_duration: "12h" }, "12h", 43200],
        [{ budget_duration: "1d" }, "1d", 86400],
        [{ budget_duration: "7d" }, "1w", 604800],
        [{ budget_duration: "3mo" }, "3mo", null],
        [{ budget_duration: "1y" }, "1y", null],
        [{ budget_duration_sec: 3600 }, "1h", 3600],
        [{ budget_duration_sec: 90 }, "90s", 90],
        [{ budget_duration: null }, null, null],
      ];
      for (const [body, text, sec] of cases) {
        const r = await x.call("POST", "/v1/budgets", { max_budget: 1, ...body });
        expect(r.status, JSON.stringify(body)).toBe(201);
        expect([r.body.budget_duration, r.body.budget_duration_sec], JSON.stringify(body)).toEqual([text, sec]);
      }
      const y = await x.store.db
        .selectFrom("budgets")
        .select(["duration_sec", "duration_months"])
        .where("budget_id", "=", (await x.call("POST", "/v1/budgets", { max_budget: 1, budget_duration: "2y" })).body.budget_id)
        .executeTakeFirstOrThrow();
      expect(y).toEqual({ duration_sec: null, duration_months: 24 });
    });

    it("refuses invalid budgets with 400 naming the field", async (ctx) => {
      const x = h(ctx);
      const bad = async (body: unknown, param: string | null, message: RegExp) => {
        const r = await x.call("POST", "/v1/budgets", body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error, JSON.stringify(body)).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param });
        expect(r.body.error.message, JSON.stringify(body)).toMatch(message);
      };
      await bad({}, "max_budget", /max_budget/);
      await bad({ max_budget: 0 }, "max_budget", /greater than 0/);
      await bad({ max_budget: "0.0000001" }, "max_budget", /6 decimals/);
      await bad({ max_budget: -5 }, "max_budget", /max_budget/);
      await bad({ max_budget: "ten" }, "max_budget", /max_budget/);
      await bad({ max_budget: true }, "max_budget", /max_budget/);
      await bad({ max_budget: 1, budget_duration: "1d", budget_duration_sec: 60 }, "budget_duration", /not both/);
      await bad({ max_budget: 1, budget_duration: "5 parsecs" }, "budget_duration", /not a duration/);
      await bad({ max_budget: 1, budget_duration: "0d" }, "budget_duration", /not a duration/);
      await bad({ max_budget: 1, budget_duration_sec: 0 }, "budget_duration_sec", /budget_duration_sec/);
      await bad({ max_budget: 1, budget_duration_sec: 1.5 }, "budget_duration_sec", /budget_duration_sec/);
      await bad({ max_budget: 1, mode: "warn" }, "mode", /mode/);
      await bad({ max_budget: 1, alert_thresholds: [50, 0] }, "alert_thresholds.1", /alert_thresholds/);
      await bad({ max_budget: 1, alert_thresholds: [1001] }, "alert_thresholds.0", /alert_thresholds/);
      await bad({ max_budget: 1, alert_thresholds: 50 }, "alert_thresholds", /alert_thresholds/);
      await bad({ max_budget: 1, alert_webhook_url: "ftp://example.com/x" }, "alert_webhook_url", /http or https/);
      await bad({ max_budget: 1, alert_webhook_url: "not a url" }, "alert_webhook_url", /alert_webhook_url/);
      await bad({ max_budget: 1, max_request_usd: 0 }, "max_request_usd", /greater than 0/);
      await bad({ max_budget: 1, budget_id: "has space" }, "budget_id", /budget_id/);
      await bad({ max_budget: 1, spend: 3 }, "spend", /unknown field 'spend'/);
      await x.call("POST", "/v1/budgets", { budget_id: "taken", max_budget: 1 });
      const dup = await x.call("POST", "/v1/budgets", { budget_id: "taken", max_budget: 2 });
      expect(dup.status).toBe(409);
      expect(dup.body.error).toMatchObject({ code: "conflict", param: "budget_id" });
    });

    it("lists newest first with pagination, and answers 404 for an unknown budget", async (ctx) => {
      const x = h(ctx);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await x.call("POST", "/v1/budgets", { budget_id: `page-${i}`, max_budget: i + 1 })).body.budget_id);
      const all = await x.call("GET", "/v1/budgets?limit=200");
      expect(all.body).toMatchObject({ object: "list", next_cursor: null });
      const order = all.body.data.map((b: { budget_id: string }) => b.budget_id).filter((id: string) => id.startsWith("page-"));
      expect(order).toEqual(["page-2", "page-1", "page-0"]);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { data: Array<{ budget_id: string }>; next_cursor: string | null } } = await x.call("GET", `/v1/budgets?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((b) => b.budget_id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.body.data.map((b: { budget_id: string }) => b.budget_id));
      for (const [method, body] of [
        ["GET", undefined],
        ["PATCH", { mode: "track" }],
        ["DELETE", undefined],
      ] as const) {
        const r = await x.call(method, "/v1/budgets/nope", body);
        expect(r.status, method).toBe(404);
        expect(r.body.error).toMatchObject({ code: "not_found", type: "invalid_request_error", param: "budget_id" });
      }
    });

    it("patches the policy, audits the change and publishes the budget event", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/budgets", { budget_id: "patchme", max_budget: 10, budget_duration: "1d", alert_webhook_url: "http://hooks.local/x", max_request_usd: 1 });
      x.events.length = 0;
      const p = await x.call(
        "PATCH",
        "/v1/budgets/patchme",
        { max_budget: "0.000001", budget_duration: null, mode: "track", alert_webhook_url: null, max_request_usd: null, alert_thresholds: [100] },
        { "x-request-id": "patch-budget-1" },
      );
      expect(p.status).toBe(200);
      expect(p.body).toMatchObject({
        budget_id: "patchme",
        max_budget: 0.000001,
        budget_duration: null,
        budget_duration_sec: null,
        mode: "track",
        alert_webhook_url: null,
        max_request_usd: null,
        alert_thresholds: [100],
      });
      expect(Date.parse(p.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(p.body.created_at));
      expect(x.events).toEqual([{ kind: "budget", budgetId: "patchme" }]);
      const sec = await x.call("PATCH", "/v1/budgets/patchme", { budget_duration_sec: 7200 });
      expect([sec.body.budget_duration, sec.body.budget_duration_sec, sec.body.max_budget]).toEqual(["2h", 7200, 0.000001]);
      const both = await x.call("PATCH", "/v1/budgets/patchme", { budget_duration: "1d", budget_duration_sec: 5 });
      expect(both.status).toBe(400);
      const audit = await x.call("GET", "/v1/audit?action=budget.update&target_id=patchme");
      const first = audit.body.data.find((e: { request_id: string }) => e.request_id === "patch-budget-1");
      expect(first.changes).toEqual({
        max_budget: { from: 10, to: 0.000001 },
        budget_duration: { from: "1d", to: null },
        budget_duration_sec: { from: 86400, to: null },
        mode: { from: "enforce", to: "track" },
        alert_thresholds: { from: [50, 80, 100], to: [100] },
        alert_webhook_url: { from: "http://hooks.local/x", to: null },
        max_request_usd: { from: 1, to: null },
      });
    });

    it("deletes a budget: its assignments go, keys, users and teams keep existing with budget_id null", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/budgets", { budget_id: "doomed", max_budget: 5, budget_duration: "1d" });
      await x.call("POST", "/v1/teams", { team_id: "doomed-team", budget_id: "doomed" });
      await x.call("POST", "/v1/users", { user_id: "doomed-user", budget_id: "doomed" });
      const key = (await x.call("POST", "/v1/keys", { budget_id: "doomed" })).body;
      expect((await x.call("GET", "/v1/budgets/doomed")).body.assignments).toHaveLength(3);
      x.events.length = 0;
      const d = await x.call("DELETE", "/v1/budgets/doomed");
      expect(d.status).toBe(200);
      expect(d.body).toMatchObject({ budget_id: "doomed", max_budget: 5 });
      expect(d.body.assignments.map((a: { subject_type: string }) => a.subject_type).sort()).toEqual(["key", "team", "user"]);
      expect((await x.call("GET", "/v1/budgets/doomed")).status).toBe(404);
      expect((await x.call("GET", `/v1/keys/${key.id}`)).body).toMatchObject({ budget_id: null, status: "active" });
      expect((await x.call("GET", "/v1/users/doomed-user")).body.budget_id).toBeNull();
      expect((await x.call("GET", "/v1/teams/doomed-team")).body.budget_id).toBeNull();
      expect(await x.store.db.selectFrom("budget_assignments").selectAll().where("budget_id", "=", "doomed").execute()).toEqual([]);
      expect(x.events).toEqual(
        expect.arrayContaining([
          { kind: "budget", budgetId: "doomed" },
          { kind: "assignment", subjectType: "key", subjectId: key.id },
          { kind: "assignment", subjectType: "user", subjectId: "doomed-user" },
          { kind: "assignment", subjectType: "team", subjectId: "doomed-team" },
          { kind: "key", keyHash: hashKey(key.key) },
          { kind: "user", userId: "doomed-user" },
          { kind: "team", teamId: "doomed-team" },
        ]),
      );
      const audit = (await x.call("GET", "/v1/audit?action=budget.delete&target_id=doomed")).body.data[0];
      expect(audit.changes).toEqual({
        removed_assignments: expect.arrayContaining([`key:${key.id}`, "user:doomed-user", "team:doomed-team"]),
        detached_keys: [key.id],
        detached_users: ["doomed-user"],
        detached_teams: ["doomed-team"],
      });
      expect((await x.call("DELETE", "/v1/budgets/doomed")).status).toBe(404);
    });
  });

  describe("attaching budgets", () => {
    it("user create/patch creates, moves and deletes the assignment, publishing each change", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/budgets", { budget_id: "att-a", max_budget: 10, budget_duration: "1d" });
      await x.call("POST", "/v1/budgets", { budget_id: "att-b", max_budget: 20, budget_duration: "1mo" });
      const publish = vi.spyOn(x.bus, "publish");
      try {
        const before = Date.now();
        const u = await x.call("POST", "/v1/users", { user_id: "att-user", budget_id: "att-a" });
        expect(u.status).toBe(201);
        expect(u.body.budget_id).toBe("att-a");
        expect(publish).toHaveBeenCalledWith({ kind: "assignment", subjectType: "user", subjectId: "att-user" });
        const a1 = (await assignmentRow(x, "user", "att-user"))!;
        expect(a1).toMatchObject({ budget_id: "att-a", alerts_sent: [] });
        expect(a1.period_start.getTime()).toBeGreaterThanOrEqual(before - 1000);
        const shown = (await x.call("GET", "/v1/budgets/att-a")).body.assignments;
        expect(shown).toEqual([
          { subject_type: "user", subject_id: "att-user", period_start: a1.period_start.toISOString(), reset_at: new Date(a1.period_start.getTime() + 86_400_000).toISOString(), spend_usd: "0" },
        ]);

        publish.mockClear();
        const same = await x.call("PATCH", "/v1/users/att-user", { budget_id: "att-a", alias: "same" });
        expect(same.status).toBe(200);
        expect((await assignmentRow(x, "user", "att-user"))!.id).toBe(a1.id);
        expect(publish.mock.calls.map((c) => c[0].kind)).not.toContain("assignment");

        const moved = await x.call("PATCH", "/v1/users/att-user", { budget_id: "att-b" }, { "x-request-id": "att-move" });
        expect(moved.body.budget_id).toBe("att-b");
        const a2 = (await assignmentRow(x, "user", "att-user"))!;
        expect(a2.budget_id).toBe("att-b");
        expect(a2.id).not.toBe(a1.id);
        expect(a2.period_start.getTime()).toBeGreaterThanOrEqual(a1.period_start.getTime());
        expect(publish).toHaveBeenCalledWith({ kind: "assignment", subjectType: "user", subjectId: "att-user" });
        expect((await x.call("GET", "/v1/budgets/att-a")).body.assignments).toEqual([]);
        expect((await x.call("GET", "/v1/budgets/att-b")).body.assignments).toMatchObject([{ subject_type: "user", subject_id: "att-user" }]);
        const audit = (await x.call("GET", "/v1/audit?action=user.update&target_id=att-user")).body.data.find((e: { request_id: string }) => e.request_id === "att-move");
        expect(audit.changes).toEqual({ budget_id: { from: "att-a", to: "att-b" }, budget_assignment: "replaced" });

        publish.mockClear();
        await x.call("PATCH", "/v1/users/att-user", { budget_id: null });
        expect(await assignmentRow(x, "user", "att-user")).toBeUndefined();
        expect(publish).toHaveBeenCalledWith({ kind: "assignment", subjectType: "user", subjectId: "att-user" });
      } finally {
        publish.mockRestore();
      }
    });

    it("refuses an unknown budget_id with 400 and changes nothing", async (ctx) => {
      const x = h(ctx);
      const bad = async (method: string, path: string, body: unknown) => {
        const r = await x.call(method, path, body);
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(r.body.error).toMatchObject({ code: "invalid_request", param: "budget_id" });
        expect(r.body.error.message).toMatch(/budget 'ghost' does not exist/);
      };
      await bad("POST", "/v1/users", { user_id: "ghost-user", budget_id: "ghost" });
      expect((await x.call("GET", "/v1/users/ghost-user")).status).toBe(404);
      await bad("POST", "/v1/teams", { team_id: "ghost-team", budget_id: "ghost" });
      await bad("POST", "/v1/keys", { key_name: "ghost", budget_id: "ghost" });
      await x.call("POST", "/v1/users", { user_id: "real-user" });
      await x.call("POST", "/v1/teams", { team_id: "real-team" });
      const k = (await x.call("POST", "/v1/keys", {})).body;
      await bad("PATCH", "/v1/users/real-user", { budget_id: "ghost" });
      await bad("PATCH", "/v1/teams/real-team", { budget_id: "ghost" });
      await bad("PATCH", `/v1/keys/${k.id}`, { budget_id: "ghost" });
      expect((await x.call("GET", `/v1/keys/${k.id}`)).body.budget_id).toBeNull();
      expect(await assignmentRow(x, "key", k.id)).toBeUndefined();
    });

    it("keys: create and patch move the assignment; revoking keeps it", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/budgets", { budget_id: "key-a", max_budget: 1 });
      await x.call("POST", "/v1/budgets", { budget_id: "key-b", max_budget: 2 });
      x.events.length = 0;
      const k = await x.call("POST", "/v1/keys", { budget_id: "key-a" }, { "x-request-id": "key-att-1" });
      expect(k.status).toBe(201);
      expect(x.events).toEqual(
        expect.arrayContaining([
          { kind: "key", keyHash: hashKey(k.body.key) },
          { kind: "assignment", subjectType: "key", subjectId: k.body.id },
        ]),
      );
      expect(await assignmentRow(x, "key", k.body.id)).toMatchObject({ budget_id: "key-a" });
      const created = (await x.call("GET", "/v1/audit?action=key.create")).body.data.find((e: { request_id: string }) => e.request_id === "key-att-1");
      expect(created.changes).toMatchObject({ budget_id: "key-a", budget_assignment: "created" });
      // a budget that never resets has no reset time
      expect((await x.call("GET", "/v1/budgets/key-a")).body.assignments).toEqual([{ subject_type: "key", subject_id: k.body.id, period_start: ISO, reset_at: null, spend_usd: "0" }]);

      await x.call("PATCH", `/v1/keys/${k.body.id}`, { budget_id: "key-b" });
      expect(await assignmentRow(x, "key", k.body.id)).toMatchObject({ budget_id: "key-b" });
      x.events.length = 0;
      expect((await x.call("DELETE", `/v1/keys/${k.body.id}`)).body.status).toBe("revoked");
      expect(await assignmentRow(x, "key", k.body.id)).toMatchObject({ budget_id: "key-b" });
      expect(x.events.filter((e) => e.kind === "assignment")).toEqual([]);
    });

    it("teams and users: deleting the subject removes its assignment", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/budgets", { budget_id: "del-b", max_budget: 3 });
      await x.call("POST", "/v1/teams", { team_id: "del-team", budget_id: "del-b" });
      await x.call("POST", "/v1/users", { user_id: "del-user", budget_id: "del-b" });
      expect(await assignmentRow(x, "team", "del-team")).toMatchObject({ budget_id: "del-b" });
      const patched = await x.call("PATCH", "/v1/teams/del-team", { name: "renamed" });
      expect(patched.body).toMatchObject({ name: "renamed", budget_id: "del-b" });
      x.events.length = 0;
      await x.call("DELETE", "/v1/teams/del-team");
      await x.call("DELETE", "/v1/users/del-user");
      expect(await assignmentRow(x, "team", "del-team")).toBeUndefined();
      expect(await assignmentRow(x, "user", "del-user")).toBeUndefined();
      expect(x.events).toEqual(
        expect.arrayContaining([
          { kind: "assignment", subjectType: "team", subjectId: "del-team" },
          { kind: "assignment", subjectType: "user", subjectId: "del-user" },
        ]),
      );
      const audit = (await x.call("GET", "/v1/audit?action=team.delete&target_id=del-team")).body.data[0];
      expect(audit.changes).toMatchObject({ budget_assignment: "removed" });
      expect((await x.call("GET", "/v1/budgets/del-b")).body.assignments).toEqual([]);
    });

    it("shows the spend of the current period summed from the ledger when no budget engine is attached", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/budgets", { budget_id: "spend-b", max_budget: 100, budget_duration: "1d" });
      const k = (await x.call("POST", "/v1/keys", { budget_id: "spend-b" })).body;
      await x.call("POST", "/v1/teams", { team_id: "spend-team", budget_id: "spend-b" });
      const now = Date.now();
      const cost = (totalMicros: number) => ({ inputMicros: totalMicros, cachedMicros: 0, cacheWriteMicros: 0, outputMicros: 0, totalMicros });
      await insertUsageRecords(x.store.db, [
        usageRecord({ keyId: k.id, teamId: "spend-team", createdAt: new Date(now + 1000), cost: cost(1_234_567) }),
        usageRecord({ keyId: k.id, teamId: null, createdAt: new Date(now + 2000), cost: cost(3_000_000_000) }),
        // before the assignment's period: not counted
        usageRecord({ keyId: k.id, teamId: "spend-team", createdAt: new Date(now - 3_600_000), cost: cost(999) }),
      ]);
      const b = (await x.call("GET", "/v1/budgets/spend-b")).body;
      const byType = Object.fromEntries(b.assignments.map((a: { subject_type: string; spend_usd: string }) => [a.subject_type, a.spend_usd]));
      expect(byType).toEqual({ key: "3001.234567", team: "1.234567" });
    });
  });
}

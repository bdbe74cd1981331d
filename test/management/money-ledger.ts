/**
 * Pricing overrides, usage analytics and the request log over ledger rows inserted directly;
 * run on the embedded store (money-routes.test.ts) and on PostgreSQL (money-postgres.test.ts).
 * Ledger rows of each test live in their own time window, so tests never see each other's rows.
 */
import { describe, expect, it } from "vitest";
import { insertUsageRecords } from "../../src/usage/ledger.js";
import { LOG_WINDOW, logRows, usageRows, WINDOW, windowOf } from "./money-fixtures.js";
import { harnessOf } from "./money-budgets.js";
import { MASTER, type Harness } from "./harness.js";

export function ledgerSuite(get: () => Harness | null): void {
  const h = harnessOf(get);

  describe("pricing", () => {
    it("upserts an override (normalising provider/model), lists it and publishes the prices event", async (ctx) => {
      const x = h(ctx);
      x.events.length = 0;
      const r = await x.call("POST", "/v1/pricing", { model: "openai/gpt-4o-mini", input_price_per_million: 0.15, output_price_per_million: "0.6", cached_input_price_per_million: 0.075 });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        model: "openai:gpt-4o-mini",
        input_price_per_million: 0.15,
        output_price_per_million: 0.6,
        cached_input_price_per_million: 0.075,
        source: "api",
        price_version: `api:${r.body.updated_at}`,
        updated_at: expect.stringMatching(/Z$/),
      });
      expect(x.events).toEqual([{ kind: "prices" }]);
      const stored = await x.store.db.selectFrom("prices").selectAll().where("model", "=", "openai:gpt-4o-mini").executeTakeFirstOrThrow();
      expect([stored.input_per_million, stored.output_per_million, stored.cached_input_per_million].map(Number)).toEqual([0.15, 0.6, 0.075]);

      const again = await x.call("POST", "/v1/pricing", { model: "openai:gpt-4o-mini", input_price_per_million: "1.5e-7", output_price_per_million: 2 }, { "x-request-id": "price-again" });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ model: "openai:gpt-4o-mini", input_price_per_million: 1.5e-7, output_price_per_million: 2, cached_input_price_per_million: null });
      const row = await x.store.db.selectFrom("prices").select("input_per_million").where("model", "=", "openai:gpt-4o-mini").executeTakeFirstOrThrow();
      expect(row.input_per_million).toBe("0.00000015");
      const list = await x.call("GET", "/v1/pricing");
      expect(list.body).toMatchObject({ object: "list", next_cursor: null });
      expect(list.body.data.filter((p: { model: string }) => p.model === "openai:gpt-4o-mini")).toEqual([again.body]);
      const audit = (await x.call("GET", "/v1/audit?action=price.set&target_id=openai:gpt-4o-mini")).body.data.find((e: { request_id: string }) => e.request_id === "price-again");
      expect(audit.changes).toEqual({
        input_price_per_million: { from: 0.15, to: 1.5e-7 },
        output_price_per_million: { from: 0.6, to: 2 },
        cached_input_price_per_million: { from: 0.075, to: null },
      });
    });

    it("lists catalog prices with ?include=catalog, overrides first in precedence", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/pricing", { model: "anthropic:claude-x-test", input_price_per_million: 3, output_price_per_million: 15 });
      await x.call("POST", "/v1/pricing", { model: "openai:gpt-4o", input_price_per_million: 1, output_price_per_million: 1 });
      const r = await x.call("GET", "/v1/pricing?include=catalog");
      expect(r.status).toBe(200);
      const models = r.body.data.map((p: { model: string }) => p.model);
      expect(models).toEqual([...models].sort());
      expect(r.body.data.filter((p: { model: string }) => p.model === "openai:gpt-4o")).toEqual([expect.objectContaining({ source: "api", input_price_per_million: 1 })]);
      expect(new Set(models).size).toBe(models.length);
      const catalog = r.body.data.filter((p: { source: string }) => p.source === "catalog");
      expect(catalog.length).toBeGreaterThan(50);
      expect(catalog.find((p: { model: string }) => p.model.startsWith("anthropic:"))).toMatchObject({
        updated_at: null,
        price_version: expect.stringMatching(/^catalog:/),
        input_price_per_million: expect.any(Number),
      });
      expect(r.body.data.find((p: { model: string }) => p.model === "anthropic:claude-x-test")).toMatchObject({ source: "api" });
      expect((await x.call("GET", "/v1/pricing?include=everything")).status).toBe(400);
    });

    it("deletes overrides by provider:model, provider%2Fmodel and provider/model; 404 when absent", async (ctx) => {
      const x = h(ctx);
      for (const m of ["groq:llama-a", "groq:llama-b", "groq:llama-c"]) await x.call("POST", "/v1/pricing", { model: m, input_price_per_million: 0, output_price_per_million: 0 });
      x.events.length = 0;
      const a = await x.call("DELETE", "/v1/pricing/groq:llama-a");
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ model: "groq:llama-a", input_price_per_million: 0, source: "api" });
      expect(x.events).toEqual([{ kind: "prices" }]);
      expect((await x.call("DELETE", "/v1/pricing/groq%2Fllama-b")).status).toBe(200);
      expect((await x.call("DELETE", "/v1/pricing/groq/llama-c")).status).toBe(200);
      const models = (await x.call("GET", "/v1/pricing")).body.data.map((p: { model: string }) => p.model);
      expect(models.filter((m: string) => m.startsWith("groq:llama-"))).toEqual([]);
      const gone = await x.call("DELETE", "/v1/pricing/groq:llama-a");
      expect(gone.status).toBe(404);
      expect(gone.body.error).toMatchObject({ code: "not_found", param: "model" });
      expect((await x.call("GET", "/v1/audit?action=price.delete&target_id=groq:llama-a")).body.data).toHaveLength(1);
    });

    it("refuses invalid prices with 400 naming the field", async (ctx) => {
      const x = h(ctx);
      const bad = async (body: Record<string, unknown>, param: string) => {
        const r = await x.call("POST", "/v1/pricing", { model: "openai:m", input_price_per_million: 1, output_price_per_million: 1, ...body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error, JSON.stringify(body)).toMatchObject({ code: "invalid_request", param });
      };
      await bad({ model: "gpt-4o" }, "model");
      await bad({ model: "" }, "model");
      await bad({ model: undefined }, "model");
      await bad({ input_price_per_million: -1 }, "input_price_per_million");
      await bad({ input_price_per_million: "cheap" }, "input_price_per_million");
      await bad({ output_price_per_million: undefined }, "output_price_per_million");
      await bad({ output_price_per_million: 2_000_000 }, "output_price_per_million");
      await bad({ cached_input_price_per_million: "0.0000000000001" }, "cached_input_price_per_million");
      await bad({ reasoning_price_per_million: 1 }, "reasoning_price_per_million");
    });
  });

  describe("usage", () => {
    it("totals, groupings and the exclusive window, aggregated in SQL", async (ctx) => {
      const x = h(ctx);
      await insertUsageRecords(x.store.db, usageRows());
      const totals = await x.call("GET", `/v1/usage?${WINDOW}`);
      expect(totals.status).toBe(200);
      expect(totals.body).toEqual({
        object: "list",
        next_cursor: null,
        from: "2031-03-01T00:00:00.000Z",
        to: "2031-03-03T00:00:00.000Z",
        group_by: [],
        data: [{ requests: 3, attempts: 4, prompt_tokens: 1110, completion_tokens: 2055, total_tokens: 3165, cached_tokens: 40, reasoning_tokens: 510, cost_usd: "5123.460289", errors: 1 }],
      });

      const byUser = await x.call("GET", `/v1/usage?${WINDOW}&group_by=user`);
      expect(byUser.body.group_by).toEqual(["user"]);
      expect(byUser.body.data).toEqual([
        { user_id: "uu1", requests: 2, attempts: 3, prompt_tokens: 110, completion_tokens: 55, total_tokens: 165, cached_tokens: 40, reasoning_tokens: 10, cost_usd: "0.0035", errors: 1 },
        { user_id: "uu2", requests: 1, attempts: 1, prompt_tokens: 1000, completion_tokens: 2000, total_tokens: 3000, cached_tokens: 0, reasoning_tokens: 500, cost_usd: "5123.456789", errors: 0 },
      ]);

      const pick = (rows: Array<Record<string, unknown>>, ...fields: string[]) => rows.map((r) => Object.fromEntries(fields.map((f) => [f, r[f]])));
      const dayProvider = await x.call("GET", `/v1/usage?${WINDOW}&group_by=day,provider`);
      expect(pick(dayProvider.body.data, "day", "provider", "requests", "attempts", "errors", "cost_usd")).toEqual([
        { day: "2031-03-01", provider: "anthropic", requests: 1, attempts: 1, errors: 0, cost_usd: "0.001" },
        { day: "2031-03-01", provider: "openai", requests: 1, attempts: 1, errors: 1, cost_usd: "0" },
        { day: "2031-03-02", provider: "openai", requests: 2, attempts: 2, errors: 0, cost_usd: "5123.459289" },
      ]);
      const byModel = await x.call("GET", `/v1/usage?${WINDOW}&group_by=model`);
      expect(pick(byModel.body.data, "model", "requests")).toEqual([
        { model: "fast", requests: 2 },
        { model: 'odd,"model"', requests: 1 },
      ]);
      const teamKey = await x.call("GET", `/v1/usage?${WINDOW}&group_by=team,key,team`);
      expect(teamKey.body.group_by).toEqual(["team", "key"]);
      expect(pick(teamKey.body.data, "team_id", "key_id", "requests")).toEqual([
        { team_id: "ut1", key_id: "uk1", requests: 1 },
        { team_id: "ut1", key_id: "uk2", requests: 1 },
        { team_id: null, key_id: "uk3", requests: 1 },
      ]);
      const empty = await x.call("GET", "/v1/usage?from=2031-06-01T00:00:00Z&to=2031-06-02T00:00:00Z");
      expect(empty.body.data).toEqual([{ requests: 0, attempts: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cached_tokens: 0, reasoning_tokens: 0, cost_usd: "0", errors: 0 }]);
      const emptyGrouped = await x.call("GET", "/v1/usage?from=2031-06-01T00:00:00Z&to=2031-06-02T00:00:00Z&group_by=day");
      expect(emptyGrouped.body.data).toEqual([]);
    });

    it("answers CSV with a header row and proper quoting", async (ctx) => {
      const x = h(ctx);
      await insertUsageRecords(x.store.db, usageRows("csv-", 2034));
      const r = await fetch(`${x.url}/v1/usage?${windowOf(2034)}&group_by=model,user&format=csv`, { headers: { authorization: `Bearer ${MASTER}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(await r.text()).toBe(
        [
          "model,user_id,requests,attempts,prompt_tokens,completion_tokens,total_tokens,cached_tokens,reasoning_tokens,cost_usd,errors",
          "fast,uu1,2,3,110,55,165,40,10,0.0035,1",
          '"odd,""model""",uu2,1,1,1000,2000,3000,0,500,5123.456789,0',
          "",
        ].join("\r\n"),
      );
      const totals = await x.call("GET", `/v1/usage?${windowOf(2034)}&format=csv`);
      expect(totals.body).toBe("requests,attempts,prompt_tokens,completion_tokens,total_tokens,cached_tokens,reasoning_tokens,cost_usd,errors\r\n3,4,1110,2055,3165,40,510,5123.460289,1\r\n");
    });

    it("defaults to the last 30 days and validates the query", async (ctx) => {
      const x = h(ctx);
      const before = Date.now();
      const r = await x.call("GET", "/v1/usage");
      expect(r.status).toBe(200);
      const to = Date.parse(r.body.to);
      expect(to).toBeGreaterThanOrEqual(before - 5);
      expect(to - Date.parse(r.body.from)).toBe(30 * 86_400_000);
      for (const [query, param] of [
        ["from=yesterday", "from"],
        ["to=2031-01-01", "to"],
        ["from=2031-03-02T00:00:00Z&to=2031-03-01T00:00:00Z", "from"],
        ["from=2031-03-01T00:00:00Z&to=2031-03-01T00:00:00Z", "from"],
        ["group_by=region", "group_by"],
        ["group_by=user,,day", "group_by"],
        ["format=xml", "format"],
      ]) {
        const bad = await x.call("GET", `/v1/usage?${query}`);
        expect(bad.status, query).toBe(400);
        expect(bad.body.error, query).toMatchObject({ code: "invalid_request", param });
      }
    });

    it("reports one user's and one team's usage; 404 for unknown ones", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/teams", { team_id: "ut1" });
      await x.call("POST", "/v1/users", { user_id: "uu1" });
      await insertUsageRecords(x.store.db, usageRows("sub-", 2035));
      const win = windowOf(2035);
      const user = await x.call("GET", `/v1/users/uu1/usage?${win}`);
      expect(user.status).toBe(200);
      expect(user.body.data).toEqual([
        { requests: 2, attempts: 3, prompt_tokens: 110, completion_tokens: 55, total_tokens: 165, cached_tokens: 40, reasoning_tokens: 10, cost_usd: "0.0035", errors: 1 },
      ]);
      const team = await x.call("GET", `/v1/teams/ut1/usage?${win}&group_by=day`);
      expect(team.body.data.map((r: { day: string; requests: number }) => [r.day, r.requests])).toEqual([
        ["2035-03-01", 1],
        ["2035-03-02", 1],
      ]);
      const csv = await x.call("GET", `/v1/teams/ut1/usage?${win}&format=csv`);
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      for (const path of ["/v1/users/nobody/usage", "/v1/teams/noteam/usage"]) {
        const r = await x.call("GET", path);
        expect(r.status, path).toBe(404);
        expect(r.body.error.code).toBe("not_found");
      }
    });
  });

  describe("logs", () => {
    it("lists one entry per request (its final attempt, cost of all attempts), newest first", async (ctx) => {
      const x = h(ctx);
      await insertUsageRecords(x.store.db, logRows());
      const r = await x.call("GET", `/v1/logs?${LOG_WINDOW}`);
      expect(r.status).toBe(200);
      expect(r.body.next_cursor).toBeNull();
      expect(r.body.data.map((l: { request_id: string }) => l.request_id)).toEqual(["log-5", "log-4", "log-3", "log-2", "log-1"]);
      expect(r.body.data[4]).toEqual({
        request_id: "log-1",
        client_request_id: null,
        created_at: "2032-01-01T00:00:02.000Z",
        endpoint: "chat",
        requested_model: "fast",
        provider: "anthropic",
        model: "claude-x",
        status: 200,
        error_code: null,
        attempts: 2,
        prompt_tokens: 100,
        completion_tokens: 20,
        cost_usd: "0.0001",
        streamed: true,
        usage_estimated: true,
        key_id: "lk1",
        user_id: "lu1",
        team_id: "lt1",
        total_ms: 900.25,
        ttft_ms: 150.5,
        overhead_ms: 2.5,
        tags: null,
        metadata: null,
      });
      const ids = async (query: string) => (await x.call("GET", `/v1/logs?${LOG_WINDOW}&${query}`)).body.data.map((l: { request_id: string }) => l.request_id);
      expect(await ids("key_id=lk2")).toEqual(["log-2"]);
      expect(await ids("user_id=lu1&team_id=lt1")).toEqual(["log-5", "log-4", "log-3", "log-1"]);
      expect(await ids("status=error")).toEqual(["log-3"]);
      expect(await ids("status=4xx")).toEqual(["log-3"]);
      expect(await ids("status=429")).toEqual(["log-3"]);
      expect(await ids("status=502")).toEqual([]);
      expect(await ids("status=success&model=smart")).toEqual(["log-2"]);
      expect(await ids("model=claude-x")).toEqual(["log-1"]);
      expect(await ids("provider=anthropic")).toEqual(["log-1"]);
      expect(await ids("client_request_id=reused-1")).toEqual(["log-5", "log-4"]);
      expect(await ids("client_request_id=reused-2")).toEqual([]);
      expect(r.body.data[0].client_request_id).toBe("reused-1");
      expect(await ids("provider=openai&status=200")).toEqual(["log-5", "log-4", "log-2"]);
      const narrow = await x.call("GET", "/v1/logs?from=2032-01-01T00:00:04Z&to=2032-01-01T00:00:05Z");
      expect(narrow.body.data.map((l: { request_id: string }) => l.request_id)).toEqual(["log-3"]);
    });

    it("paginates with an opaque cursor, ties broken stably", async (ctx) => {
      const x = h(ctx);
      await insertUsageRecords(x.store.db, logRows("p", "2032-01-02"));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { data: Array<{ request_id: string }>; next_cursor: string | null } } = await x.call(
          "GET",
          `/v1/logs?from=2032-01-02T00:00:00Z&to=2032-01-03T00:00:00Z&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((l) => l.request_id));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(["plog-5", "plog-4", "plog-3", "plog-2", "plog-1"]);
      for (const [query, param] of [
        ["status=oops", "status"],
        ["status=600", "status"],
        ["limit=0", "limit"],
        ["cursor=nope!", "cursor"],
        ["from=today", "from"],
      ]) {
        const bad = await x.call("GET", `/v1/logs?${query}`);
        expect(bad.status, query).toBe(400);
        expect(bad.body.error, query).toMatchObject({ code: "invalid_request", param });
      }
    });

    it("returns a request's receipt with every attempt, the summed cost, routing and warnings", async (ctx) => {
      const x = h(ctx);
      await insertUsageRecords(x.store.db, logRows("r/", "2032-01-03"));
      const r = await x.call("GET", `/v1/logs/${encodeURIComponent("r/log-1")}`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        request_id: "r/log-1",
        client_request_id: null,
        created_at: "2032-01-03T00:00:02.000Z",
        endpoint: "chat",
        requested_model: "fast",
        status: 200,
        error_code: null,
        refused: null,
        tags: null,
        metadata: null,
        content: null,
        routing: { alias: "fast", deployments: ["openai:gpt-4o-mini", "anthropic:claude-x"] },
        attempts: [
          {
            attempt: 1,
            created_at: "2032-01-03T00:00:01.000Z",
            provider: "openai",
            model: "gpt-4o-mini",
            status: 502,
            error_code: "upstream_error",
            error_message: "boom",
            prompt_tokens: 0,
            completion_tokens: 0,
            cached_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
            cost: { input_usd: "0", cached_input_usd: "0", cache_write_usd: "0", output_usd: "0", total_usd: "0" },
            price_version: "catalog:2026-11-01",
            streamed: false,
            usage_estimated: false,
            ttft_ms: null,
            total_ms: 100,
            overhead_ms: 1,
          },
          {
            attempt: 2,
            created_at: "2032-01-03T00:00:02.000Z",
            provider: "anthropic",
            model: "claude-x",
            status: 200,
            error_code: null,
            error_message: null,
            prompt_tokens: 100,
            completion_tokens: 20,
            cached_tokens: 30,
            cache_write_tokens: 10,
            reasoning_tokens: 5,
            cost: { input_usd: "0.00001", cached_input_usd: "0.00002", cache_write_usd: "0.00003", output_usd: "0.00004", total_usd: "0.0001" },
            price_version: "api:2031-12-01T00:00:00.000Z",
            streamed: true,
            usage_estimated: true,
            ttft_ms: 150.5,
            total_ms: 900.25,
            overhead_ms: 2.5,
          },
        ],
        cost: { input_usd: "0.00001", cached_input_usd: "0.00002", cache_write_usd: "0.00003", output_usd: "0.00004", total_usd: "0.0001" },
        timings: { total_ms: 900.25, ttft_ms: 150.5, overhead_ms: 2.5 },
        warnings: ["max_tokens was set to 4096"],
        key_id: "lk1",
        user_id: "lu1",
        team_id: "lt1",
      });
      const plain = await x.call("GET", `/v1/logs/${encodeURIComponent("r/log-2")}`);
      expect(plain.body).toMatchObject({ request_id: "r/log-2", routing: null, warnings: [], attempts: [{ attempt: 1, error_message: null }] });
      const missing = await x.call("GET", "/v1/logs/req_nope");
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: "not_found", param: "request_id" });
    });
  });
}

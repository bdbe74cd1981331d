/** `GET /v1/usage/series`: the ledger bucketed over time for the dashboard's charts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertUsageRecords } from "../../src/usage/ledger.js";
import { usageRecord } from "../usage/fixtures.js";
import { cost } from "../management/money-fixtures.js";
import { MASTER, startSessionHarness, type SessionHarness } from "./session-harness.js";

let h: SessionHarness;
const auth = { authorization: `Bearer ${MASTER}` };
const base = { teamId: "t1", userId: "u1", keyId: "k1", requestedModel: "fast", provider: "openai", model: "gpt-4o-mini", cachedTokens: 0, reasoningTokens: 0 } as const;

beforeAll(async () => {
  h = await startSessionHarness();
  const at = (iso: string) => new Date(`2033-05-01T${iso}Z`);
  await insertUsageRecords(h.store.db, [
    usageRecord({
      ...base,
      requestId: "s1",
      attempt: 1,
      createdAt: at("10:05:00"),
      status: 502,
      errorCode: "upstream_error",
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      totalMs: 100,
      cost: cost(0, 0, 0, 0),
    }),
    usageRecord({
      ...base,
      requestId: "s1",
      attempt: 2,
      createdAt: at("10:05:01"),
      provider: "anthropic",
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      cachedTokens: 4,
      totalMs: 300,
      cost: cost(100, 4, 0, 200),
    }),
    usageRecord({
      ...base,
      requestId: "s2",
      createdAt: at("10:59:59.999"),
      requestedModel: "smart",
      promptTokens: 1,
      completionTokens: 1,
      totalTokens: 2,
      totalMs: 500,
      cost: cost(1000, 0, 0, 0),
      tags: ["nightly", "eval"],
    }),
    usageRecord({ ...base, requestId: "s3", createdAt: at("12:00:00"), teamId: null, promptTokens: 1, completionTokens: 1, totalTokens: 2, totalMs: 40, cost: cost(7, 0, 0, 0), tags: ["nightly"] }),
    usageRecord({ ...base, requestId: "s-out", createdAt: at("13:00:00"), cost: cost(9, 0, 0, 0) }),
  ]);
});
afterAll(() => h.close());

const win = "from=2033-05-01T10:00:00Z&to=2033-05-01T13:00:00Z";

describe("GET /v1/usage/series", () => {
  it("buckets by hour: requests, attempts, errors, cost, cache hits and latency percentiles", async () => {
    const r = await h.request("GET", `/v1/usage/series?interval=hour&${win}`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: "usage.series", interval: "hour", group_by: null, groups: [null], other_groups: 0 });
    expect(r.body.data).toEqual([
      {
        bucket: "2033-05-01T10:00:00Z",
        group: null,
        requests: 2,
        attempts: 3,
        errors: 1,
        error_rate: 1 / 3,
        cost_usd: "0.001304",
        prompt_tokens: 11,
        completion_tokens: 6,
        cached_tokens: 4,
        cache_hits: 1,
        p50_ms: 300,
        p95_ms: 480,
      },
      {
        bucket: "2033-05-01T12:00:00Z",
        group: null,
        requests: 1,
        attempts: 1,
        errors: 0,
        error_rate: 0,
        cost_usd: "0.000007",
        prompt_tokens: 1,
        completion_tokens: 1,
        cached_tokens: 0,
        cache_hits: 0,
        p50_ms: 40,
        p95_ms: 40,
      },
    ]);
  });

  it("splits by a dimension, keeping the top groups", async () => {
    const r = await h.request("GET", `/v1/usage/series?interval=hour&${win}&group_by=model&top=1`, { headers: auth });
    expect(r.body.groups).toEqual(["fast"]);
    expect(r.body.other_groups).toBe(1);
    expect(r.body.data.map((p: any) => [p.bucket, p.group, p.requests])).toEqual([
      ["2033-05-01T10:00:00Z", "fast", 1],
      ["2033-05-01T12:00:00Z", "fast", 1],
    ]);
    const teams = await h.request("GET", `/v1/usage/series?interval=day&${win}&group_by=team`, { headers: auth });
    expect(teams.body.groups).toEqual(["t1", null]);
    expect(teams.body.data.map((p: any) => [p.bucket, p.group, p.requests])).toEqual([
      ["2033-05-01T00:00:00Z", "t1", 2],
      ["2033-05-01T00:00:00Z", null, 1],
    ]);
    const minutes = await h.request("GET", `/v1/usage/series?interval=minute&from=2033-05-01T10:00:00Z&to=2033-05-01T11:00:00Z`, { headers: auth });
    expect(minutes.body.data.map((p: any) => p.bucket)).toEqual(["2033-05-01T10:05:00Z", "2033-05-01T10:59:00Z"]);
  });

  it("counts only the requests carrying a tag, in the buckets and in the ranking of groups", async () => {
    const r = await h.request("GET", `/v1/usage/series?interval=hour&${win}&tag=nightly`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body.tag).toBe("nightly");
    expect(r.body.data.map((p: any) => [p.bucket, p.requests, p.cost_usd])).toEqual([
      ["2033-05-01T10:00:00Z", 1, "0.001"],
      ["2033-05-01T12:00:00Z", 1, "0.000007"],
    ]);
    const byModel = await h.request("GET", `/v1/usage/series?interval=hour&${win}&group_by=model&top=1&tag=eval`, { headers: auth });
    expect(byModel.body.groups).toEqual(["smart"]);
    expect(byModel.body.other_groups).toBe(0);
    expect(byModel.body.data.map((p: any) => [p.bucket, p.group, p.requests])).toEqual([["2033-05-01T10:00:00Z", "smart", 1]]);
    const none = await h.request("GET", `/v1/usage/series?interval=hour&${win}&tag=never-used`, { headers: auth });
    expect(none.body.data).toEqual([]);
    expect((await h.request("GET", `/v1/usage/series?interval=hour&${win}`, { headers: auth })).body.tag).toBeNull();
  });

  it("validates the query and bounds the range per interval", async () => {
    for (const [query, param] of [
      ["interval=week", "interval"],
      ["group_by=region", "group_by"],
      ["top=0", "top"],
      ["top=51", "top"],
      ["tag=", "tag"],
      [`tag=${"x".repeat(65)}`, "tag"],
      ["interval=minute&from=2033-05-01T00:00:00Z&to=2033-05-02T00:00:01Z", "from"],
      ["interval=hour&from=2033-05-01T00:00:00Z&to=2033-06-02T00:00:00Z", "from"],
      ["from=2033-05-02T00:00:00Z&to=2033-05-01T00:00:00Z", "from"],
    ]) {
      const r = await h.request("GET", `/v1/usage/series?${query}`, { headers: auth });
      expect(r.status, query).toBe(400);
      expect(r.body.error, query).toMatchObject({ code: "invalid_request", param });
    }
    expect((await h.request("GET", "/v1/usage/series")).status).toBe(401);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await h.request("GET", "/openapi.json")).body;
    expect(doc.paths["/v1/usage/series"].get.parameters.map((p: any) => p.name).sort()).toEqual(["from", "group_by", "interval", "tag", "to", "top"]);
    expect(doc.components.schemas.UsageSeriesPoint).toBeDefined();
  });
});

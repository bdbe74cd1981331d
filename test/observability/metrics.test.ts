/**
 * /metrics after real requests through the gateway against fake OpenAI upstreams: answered,
 * streamed, rate-limited (429), over budget (402), retried, fallen back, an open circuit, a
 * stream the upstream cut after its first byte, and a
 * thousand model names the configuration does not know. Parsed with a Prometheus text-format
 * parser; counts, token sums and the cost sum are compared with what was sent and with the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { keyWithBudget } from "../support/budget-keys.js";
import { family, histogram, scrape, value, type Family } from "./prometheus.js";

let a: FakeOpenAI;
let b: FakeOpenAI;
let gw: TestGateway;
const USAGE = { prompt_tokens: 11, completion_tokens: 7 };
/** $1 and $2 per million tokens: 11 * 1 + 7 * 2 = 25 micro-USD per answered attempt. */
const PER_ATTEMPT_MICROS = 25;

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  a.setDefault({ usage: USAGE });
  b.setDefault({ usage: USAGE });
  gw = await startTestGateway({
    providers: { a: { type: "openai", base_url: a.url, api_key: "sk-a-000000" }, b: { type: "openai", base_url: b.url, api_key: "sk-b-000000" } },
    models: [
      { name: "smart", deployments: ["a:gpt-4o"], fallbacks: ["backup"] },
      { name: "backup", deployments: ["b:gpt-4o"] },
    ],
    pricing: { "a:gpt-4o": { input: 1, output: 2 }, "b:gpt-4o": { input: 1, output: 2 } },
    routing: { retries: 1, circuit_breaker: { failures: 3, window_ms: 60_000, cooldown_ms: 600_000 } },
  });
});
afterAll(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
});

const messages = [{ role: "user", content: "hi" }];
const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) => gw.post("/v1/chat/completions", { model: "smart", messages, max_tokens: 20, ...body }, headers);

async function newKey(body: Record<string, unknown>): Promise<string> {
  const res = await gw.post("/v1/keys", { key_name: "metrics", ...body });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe("request series", () => {
  let m: Family[];

  beforeAll(async () => {
    // 1. answered; 2. streamed (one time to first token).
    expect((await chat({})).status).toBe(200);
    const stream = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(stream.status).toBe(200);
    expect(await stream.text()).toContain("[DONE]");
    // 3. a key allowed one request a minute: answered, then 429 from the gateway's own limits.
    const limited = await newKey({ rpm_limit: 1 });
    expect((await chat({}, { authorization: `Bearer ${limited}` })).status).toBe(200);
    expect((await chat({}, { authorization: `Bearer ${limited}` })).status).toBe(429);
    // 4. a key whose budget cannot cover the request: 402 before any upstream call.
    const poor = await keyWithBudget(gw, { maxMicros: 1 });
    expect((await chat({}, { authorization: `Bearer ${poor.key}` })).status).toBe(402);
    // 5. one retry: a fails once (500), then answers.
    a.enqueue({ status: 500 });
    const retried = await chat({});
    expect(retried.status).toBe(200);
    expect(retried.headers.get("x-switchboard-attempts")).toBe("2");
    // 6. a fails twice (a retry, then its circuit opens at the third failure): the fallback b answers.
    a.enqueue({ status: 500 });
    a.enqueue({ status: 500 });
    const fell = await chat({});
    expect(fell.status).toBe(200);
    expect(fell.headers.get("x-switchboard-provider")).toBe("b");
    expect(fell.headers.get("x-switchboard-attempts")).toBe("3");
    // 7. a's circuit is open: skipped without an attempt, b answers (not a fallback: no attempt before it).
    const skipped = await chat({});
    expect(skipped.headers.get("x-switchboard-provider")).toBe("b");
    expect(skipped.headers.get("x-switchboard-attempts")).toBe("1");
    // 8. a thousand model names of the clients' choosing: 500 unknown (404), 500 answered by b.
    for (let i = 0; i < 500; i++) {
      expect((await chat({ model: `no-such-model-${i}` })).status).toBe(404);
      expect((await chat({ model: `b:made-up-${i}` })).status).toBe(200);
    }
    // 9. a stream the upstream cuts after its first chunks: answered 200, counted with its attempt's status.
    b.enqueue({ cutAfterChunks: 2 });
    const cut = await chat({ model: "backup", stream: true });
    expect(cut.status).toBe(200);
    expect(await cut.text()).toContain('"error"');
    m = await scrape(gw.url);
  }, 120_000);

  it("counts requests by configured model, provider and status; anything else is `other` / `none`", () => {
    const requests = family(m, "switchboard_requests_total");
    expect(requests.type).toBe("COUNTER");
    const seen = Object.fromEntries(requests.metrics.map((x) => [`${x.labels!.model}|${x.labels!.provider}|${x.labels!.status}`, Number(x.value)]));
    expect(seen).toEqual({
      "smart|a|200": 4,
      "smart|none|429": 1,
      "smart|none|402": 1,
      "smart|b|200": 2,
      "other|none|404": 500,
      "other|b|200": 500,
      "backup|b|502": 1,
    });
  });

  it("retries, fallbacks, rate-limited requests and the circuit of each configured deployment", () => {
    expect(value(m, "switchboard_retries_total")).toBe(2);
    expect(value(m, "switchboard_fallbacks_total")).toBe(1);
    expect(value(m, "switchboard_rate_limited_total")).toBe(1);
    const circuits = family(m, "switchboard_circuit_state").metrics.map((x) => [x.labels!.deployment, Number(x.value)]);
    expect(Object.fromEntries(circuits)).toEqual({ "a:gpt-4o": 2, "b:gpt-4o": 0 });
  });

  it("tokens and cost are those of the ledger's rows, exactly", async () => {
    await gw.usage.flush();
    const sum = async (where: string) =>
      (
        await sql<{
          p: string;
          c: string;
          cost: string;
        }>`select sum(prompt_tokens) as p, sum(completion_tokens) as c, sum(cost_total_micros) as cost from usage where attempt > 0 and ${sql.raw(where)}`.execute(gw.store.db)
      ).rows[0];
    const all = await sum("true");
    expect(value(m, "switchboard_tokens_total", { direction: "input" })).toBe(Number(all.p));
    expect(value(m, "switchboard_tokens_total", { direction: "output" })).toBe(Number(all.c));
    expect(value(m, "switchboard_cost_usd_total")).toBe(Number(all.cost) / 1e6);
    // Without the cut stream (estimated): answered attempts 1, 2, 3, 5, 6, 7 (priced) and 500 to b:made-up-* (no price); failed attempts used none.
    const reported = await sum("usage_estimated = false");
    const answered = 6 + 500;
    expect([Number(reported.p), Number(reported.c), Number(reported.cost)]).toEqual([11 * answered, 7 * answered, 6 * PER_ATTEMPT_MICROS]);
    expect(Number(all.cost)).toBeGreaterThan(6 * PER_ATTEMPT_MICROS); // the cut stream's estimate is billed too
  });

  it("histograms: every request's duration and overhead, the stream's time to first token", () => {
    const total = 4 + 1 + 1 + 2 + 1000 + 1;
    const duration = histogram(m, "switchboard_request_duration_seconds");
    expect(duration.count).toBe(total);
    expect(duration.buckets["+Inf"]).toBe(total);
    const overhead = histogram(m, "switchboard_overhead_seconds");
    expect(overhead.count).toBe(total);
    expect(overhead.sum).toBeGreaterThan(0);
    expect(overhead.sum).toBeLessThan(duration.sum);
    expect(Object.keys(overhead.buckets)).toContain("0.0001");
    const ttft = histogram(m, "switchboard_time_to_first_token_seconds");
    expect(ttft.count).toBe(2);
    expect(value(m, "switchboard_cache_requests_total", { result: "bypass" })).toBe(total);
    expect(value(m, "switchboard_cache_requests_total", { result: "hit" })).toBe(0);
  });

  it("label values stay bounded: a thousand unknown model names add no series", () => {
    const labels = family(m, "switchboard_requests_total").metrics.map((x) => x.labels!);
    expect(new Set(labels.map((l) => l.model))).toEqual(new Set(["smart", "backup", "other"]));
    expect(new Set(labels.map((l) => l.provider))).toEqual(new Set(["a", "b", "none"]));
    expect(labels.length).toBe(7);
  });

  it("keeps the ledger's series and adds the ledger queue and drops under their names", () => {
    expect(value(m, "switchboard_ledger_dropped_total")).toBe(0);
    expect(family(m, "switchboard_ledger_queue_depth").type).toBe("GAUGE");
    expect(family(m, "switchboard_usage_records_written_total").type).toBe("COUNTER");
  });
});

describe("budget remaining", () => {
  it("one series per team budget, labelled by budget and team; key budgets have none", async () => {
    expect((await gw.post("/v1/budgets", { budget_id: "team-cap", max_budget: 5 })).status).toBe(201);
    expect((await gw.post("/v1/teams", { team_id: "research", budget_id: "team-cap" })).status).toBe(201);
    await gw.runtime.budgets.reloaded();
    const m = await scrape(gw.url);
    const series = family(m, "switchboard_budget_remaining_usd").metrics;
    expect(series.map((x) => x.labels)).toEqual([{ budget: "team-cap", team: "research" }]);
    expect(Number(series[0].value)).toBe(5);
  });
});

/** /metrics: Prometheus text with the usage ledger's counters; optional bearer token. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let open: TestGateway;
let guarded: TestGateway;
beforeAll(async () => {
  open = await startTestGateway({ usage: { max_queue: 1, flush_interval_ms: 600000 } });
  guarded = await startTestGateway({ metrics: { bearer_token: "metrics-secret-123" } });
});
afterAll(async () => {
  await open?.stop();
  await guarded?.stop();
});

const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);

describe("/metrics", () => {
  it("counts ledger rows written, queued and kept only on disk", async () => {
    for (let i = 0; i < 3; i++) await open.post("/v1/chat/completions", { model: "mock:mock-1", messages: [{ role: "user", content: "hi" }] });
    let text = await (await fetch(`${open.url}/metrics`)).text();
    expect(value(text, "switchboard_usage_queue_depth") + value(text, "switchboard_usage_spooled_rows")).toBe(3);
    expect(value(text, "switchboard_usage_records_dropped_total")).toBe(0);
    await open.usage.flush();
    text = await (await fetch(`${open.url}/metrics`)).text();
    expect(value(text, "switchboard_usage_records_written_total")).toBe(3);
    expect(value(text, "switchboard_usage_queue_depth")).toBe(0);
    expect(text).toContain("# TYPE switchboard_usage_records_dropped_total counter");
  });

  it("requires the bearer token when one is configured", async () => {
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: "Bearer metrics-secret-123" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/text\/plain/);
  });
});

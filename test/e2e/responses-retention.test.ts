/**
 * Retention of stored responses (`logging.retention_days`): the background job deletes the
 * responses created before its cutoff, judged by the clock it is given, and nothing younger.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetentionJob } from "../../src/gateway/retention.js";
import { deleteResponsesBefore, findResponse, insertResponse } from "../../src/store/repos/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const DAY = 86_400_000;
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ logging: { retention_days: 30 } });
});
afterAll(async () => {
  await gw?.stop();
});

const stored = (id: string, createdAt: Date) =>
  insertResponse(gw.store.db, { id, key_id: null, user_id: null, created_at: createdAt, model: "m", previous_response_id: null, history: [], input_items: [], output_items: [], response: { id } });

describe("stored responses older than logging.retention_days", () => {
  it("are deleted by the job, with an injected now; younger ones stay", async () => {
    const now = Date.parse("2030-06-01T00:00:00Z");
    await stored("resp_old", new Date(now - 31 * DAY));
    await stored("resp_edge", new Date(now - 30 * DAY + 1000));
    await stored("resp_new", new Date(now - DAY));
    const logged: string[] = [];
    const job = new RetentionJob([{ name: "stored responses", purge: (cutoff) => deleteResponsesBefore(gw.store.db, cutoff) }], {
      days: gw.runtime.config.logging.retentionDays,
      now: () => now,
      log: (l) => logged.push(l),
    });
    expect(job.cutoff().toISOString()).toBe("2030-05-02T00:00:00.000Z");
    expect(await job.runOnce()).toEqual({ "stored responses": 1 });
    expect(await findResponse(gw.store.db, "resp_old")).toBeUndefined();
    expect(await findResponse(gw.store.db, "resp_edge")).toBeDefined();
    expect(await findResponse(gw.store.db, "resp_new")).toBeDefined();
    expect(logged).toEqual(["retention: deleted 1 stored responses older than 30 days"]);
    // A day later the edge one has aged out too.
    const later = new RetentionJob([{ name: "stored responses", purge: (cutoff) => deleteResponsesBefore(gw.store.db, cutoff) }], { days: 30, now: () => now + DAY });
    expect(await later.runOnce()).toEqual({ "stored responses": 1 });
    expect(await findResponse(gw.store.db, "resp_new")).toBeDefined();
  });

  it("runs on its own once started, and a failing task does not stop the others", async () => {
    const runs: Date[] = [];
    const job = new RetentionJob(
      [
        { name: "broken", purge: () => Promise.reject(new Error("boom")) },
        { name: "counted", purge: (c) => (runs.push(c), Promise.resolve(0)) },
      ],
      { days: 1, now: () => 2 * DAY, firstRunMs: 1, intervalMs: 5 },
    );
    job.start();
    await expect.poll(() => runs.length, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
    await job.stop();
    const n = runs.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(runs.length).toBe(n);
    expect(runs[0].getTime()).toBe(DAY);
  });
});

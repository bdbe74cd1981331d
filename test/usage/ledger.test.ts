import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/store/migrate.js";
import { insertUsageRecords, isPermanentRowError, MAX_ROWS_PER_INSERT, usageLine } from "../../src/usage/ledger.js";
import { parseSpoolLine } from "../../src/usage/spool-reader.js";
import { countUsage, listUsageByRequest } from "../../src/usage/query.js";
import { STORE_HOOK_TIMEOUT_MS, storeBackends, type TestStore } from "../store/backends.js";
import { attempts, uniqueRequestId, usageRecord } from "./fixtures.js";

const backends = await storeBackends();

describe.each(backends)("usage ledger on $kind", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
    await migrate(t.store);
  }, STORE_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await t?.dispose();
  });

  it("starts empty", async () => {
    expect(await countUsage(t.store.db)).toBe(0);
    expect(await listUsageByRequest(t.store.db, "nope")).toEqual([]);
  });

  it("inserts idempotently and reports how many rows were new", async () => {
    const id = uniqueRequestId();
    const [a1, a2, a3] = attempts(id, 3);
    expect(await insertUsageRecords(t.store.db, [])).toBe(0);
    expect(await insertUsageRecords(t.store.db, [a1, a2])).toBe(2);
    expect(await insertUsageRecords(t.store.db, [{ ...a2, status: 500 }, a3])).toBe(1);
    const rows = await listUsageByRequest(t.store.db, id);
    expect(rows).toEqual([a1, a2, a3].map((r) => ({ id: expect.any(String), ...r })));
  });

  it("lists a request's attempts in attempt order, and only that request's", async () => {
    const id = uniqueRequestId();
    const other = uniqueRequestId();
    await insertUsageRecords(t.store.db, [
      usageRecord({ requestId: id, attempt: 3 }),
      usageRecord({ requestId: other, attempt: 1 }),
      usageRecord({ requestId: id, attempt: 1 }),
      usageRecord({ requestId: id, attempt: 2 }),
    ]);
    expect((await listUsageByRequest(t.store.db, id)).map((r) => [r.requestId, r.attempt])).toEqual([
      [id, 1],
      [id, 2],
      [id, 3],
    ]);
  });

  it("counts rows, optionally since a time", async () => {
    const before = await countUsage(t.store.db);
    const future = new Date("2100-01-01T00:00:00.000Z");
    await insertUsageRecords(t.store.db, [usageRecord({ createdAt: future }), usageRecord({ createdAt: new Date(future.getTime() + 1) }), usageRecord({ createdAt: new Date(future.getTime() - 1) })]);
    expect(await countUsage(t.store.db)).toBe(before + 3);
    expect(await countUsage(t.store.db, { since: future })).toBe(2);
  });

  it("keeps the client's request id beside the gateway's: requests sharing it are distinct rows, and a replay stays a duplicate", async () => {
    const a = usageRecord({ requestId: uniqueRequestId("gw"), clientRequestId: "shared-client-id" });
    const b = usageRecord({ requestId: uniqueRequestId("gw"), clientRequestId: "shared-client-id" });
    // A line spooled before the column existed has no clientRequestId at all.
    const { clientRequestId: _, ...old } = usageRecord({ requestId: uniqueRequestId("gw") });
    expect(await insertUsageRecords(t.store.db, [a, b, old as typeof a])).toBe(3);
    // The spool replayed after a crash: the same lines again insert nothing.
    const replayed = [a, b, old].map((r) => parseSpoolLine(usageLine(r as typeof a))!);
    expect(await insertUsageRecords(t.store.db, replayed)).toBe(0);
    expect((await listUsageByRequest(t.store.db, a.requestId)).map((r) => r.clientRequestId)).toEqual(["shared-client-id"]);
    expect((await listUsageByRequest(t.store.db, b.requestId)).map((r) => r.clientRequestId)).toEqual(["shared-client-id"]);
    expect((await listUsageByRequest(t.store.db, old.requestId)).map((r) => r.clientRequestId)).toEqual([null]);
  });

  it("rejects more rows than one statement can carry", async () => {
    const rows = attempts(uniqueRequestId(), MAX_ROWS_PER_INSERT + 1);
    await expect(insertUsageRecords(t.store.db, rows)).rejects.toThrow(`at most ${MAX_ROWS_PER_INSERT} usage rows per insert, got ${MAX_ROWS_PER_INSERT + 1}`);
  });
});

describe("usageLine", () => {
  it("is the text JSON.stringify gives, and reads back as the same record", () => {
    const r = usageRecord({ requestId: uniqueRequestId(), receipt: { routing: { alias: null, deployments: ["a:b"] } } });
    expect(usageLine(r)).toBe(JSON.stringify(r));
    expect(parseSpoolLine(usageLine(r))).toEqual(r);
  });
});

describe("isPermanentRowError", () => {
  it("treats data and constraint errors as permanent, connection trouble as transient", () => {
    expect(isPermanentRowError(Object.assign(new Error("integer out of range"), { code: "22003" }))).toBe(true);
    expect(isPermanentRowError(Object.assign(new Error("null value"), { code: "23502" }))).toBe(true);
    expect(isPermanentRowError(new TypeError("cannot read"))).toBe(true);
    expect(isPermanentRowError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isPermanentRowError(Object.assign(new Error("no table"), { code: "42P01" }))).toBe(false);
    expect(isPermanentRowError(new Error("Connection terminated unexpectedly"))).toBe(false);
    expect(isPermanentRowError(null)).toBe(false);
  });
});

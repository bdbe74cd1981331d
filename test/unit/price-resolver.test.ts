/** PriceResolver: API-set prices over config over the catalog, and reloading them after a change. */
import { describe, expect, it } from "vitest";
import { PriceResolver, type ApiPrice } from "../../src/pricing/resolver.js";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const at = (iso: string) => new Date(iso);
const row = (input: number, updatedAt: string): ApiPrice => ({ model: "up/gpt-4o-mini", input, output: 2, cachedInput: null, updatedAt: at(updatedAt) });
const resolver = () => new PriceResolver({ "up:gpt-4o-mini": { input: 0.5, output: 0.5 } }, () => "openai");
const inputOf = (r: PriceResolver) => r.lookup("up", "gpt-4o-mini")?.price.input;

describe("PriceResolver", () => {
  it("takes API prices over config prices over the catalog", () => {
    const r = resolver();
    expect(r.lookup("up", "gpt-4o-mini")).toMatchObject({ source: "config", version: "config", price: { input: 0.5, output: 0.5 } });
    expect(r.lookup("up", "gpt-4o")).toMatchObject({ source: "catalog", version: expect.stringMatching(/^catalog:/) });
    r.setApiPrices([row(1, "2026-01-01T00:00:00.000Z")]);
    expect(r.lookup("up", "gpt-4o-mini")).toEqual({ source: "api", version: "api:2026-01-01T00:00:00.000Z", price: { input: 1, output: 2 } });
  });

  it("reloaded() settles only once the reload started by a change has replaced the prices", async () => {
    const r = resolver();
    const load = deferred<ApiPrice[]>();
    void r.reloadApiPrices(() => load.promise);
    let settled = false;
    const waiting = r.reloaded().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(inputOf(r)).toBe(0.5);
    load.resolve([row(3, "2026-01-02T00:00:00.000Z")]);
    await waiting;
    expect(inputOf(r)).toBe(3);
    await r.reloaded(); // nothing in flight: settles at once
  });

  it("never lets a reload started earlier overwrite the prices of one started later", async () => {
    const r = resolver();
    const older = deferred<ApiPrice[]>();
    const newer = deferred<ApiPrice[]>();
    const first = r.reloadApiPrices(() => older.promise);
    const second = r.reloadApiPrices(() => newer.promise);
    newer.resolve([row(5, "2026-01-03T00:00:00.000Z")]);
    await second;
    older.resolve([row(4, "2026-01-02T00:00:00.000Z")]);
    await first;
    await r.reloaded();
    expect(r.lookup("up", "gpt-4o-mini")).toMatchObject({ version: "api:2026-01-03T00:00:00.000Z", price: { input: 5 } });

    // In start order, each applies in turn.
    const a = deferred<ApiPrice[]>();
    const b = deferred<ApiPrice[]>();
    void r.reloadApiPrices(() => a.promise);
    void r.reloadApiPrices(() => b.promise);
    a.resolve([row(6, "2026-01-04T00:00:00.000Z")]);
    b.resolve([]);
    await r.reloaded();
    expect(r.lookup("up", "gpt-4o-mini")?.source).toBe("config");
  });

  it("a failed reload rejects, keeps the prices it had, and does not hold reloaded() up", async () => {
    const r = resolver();
    r.setApiPrices([row(7, "2026-01-05T00:00:00.000Z")]);
    const failing = r.reloadApiPrices(() => Promise.reject(new Error("connection lost")));
    await expect(failing).rejects.toThrow("connection lost");
    await r.reloaded();
    expect(inputOf(r)).toBe(7);
  });
});

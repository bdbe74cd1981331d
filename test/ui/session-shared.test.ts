/**
 * Dashboard sessions across instances: two management apps over one PostgreSQL database know
 * the same sessions; a sign-out through one ends the session on the other; failed sign-ins
 * through either count towards one limit per address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FAILURES, WINDOW_MS } from "../../src/management/session/sign-in-limiter.js";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";
import { MASTER, startSessionHarness, type SessionHarness } from "./session-harness.js";

let db: TestDatabase | null;
let a: SessionHarness;
let b: SessionHarness;

beforeAll(async () => {
  db = await withPostgres();
  if (!db) return;
  a = await startSessionHarness(db.url);
  b = await startSessionHarness(db.url);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe("dashboard sessions shared through PostgreSQL", () => {
  it("a session made on one instance works on the other, and a sign-out on either ends it on both", async (ctx) => {
    if (!db) return ctx.skip();
    const signIn = await a.request("POST", "/ui/api/session", { body: { master_key: MASTER } });
    expect(signIn.status).toBe(204);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const s = await b.request("GET", "/ui/api/session", { headers: { cookie } });
    expect(s.body.signed_in).toBe(true);
    const made = await b.request("POST", "/v1/teams", { body: { team_id: "shared" }, headers: { cookie, "x-csrf-token": s.body.csrf_token } });
    expect(made.status).toBe(201);
    expect((await a.request("GET", "/v1/teams/shared", { headers: { cookie } })).status).toBe(200);
    expect((await b.request("DELETE", "/ui/api/session", { headers: { cookie, "x-csrf-token": s.body.csrf_token } })).status).toBe(204);
    expect((await a.request("GET", "/v1/teams", { headers: { cookie } })).status).toBe(401);
    expect((await a.request("GET", "/ui/api/session", { headers: { cookie } })).body).toEqual({ signed_in: false });
  });

  /** Sets both instances' clocks to `ms`. */
  const at = (ms: number) => {
    a.setClock(ms);
    b.setClock(ms);
  };
  const signIn = (h: SessionHarness, key: string) => h.request("POST", "/ui/api/session", { body: { master_key: key } });
  const failuresSince = async (since: number) =>
    (await a.store.db.selectFrom("audit_events").select("at").where("action", "=", "session.sign_in_failed").where("at", ">=", new Date(since)).execute()).length;

  it("failed sign-ins through both instances count towards one limit per address, which frees a try as each failure leaves the minute", async (ctx) => {
    if (!db) return ctx.skip();
    const t0 = Date.now() + 3600_000;
    for (let i = 0; i < MAX_FAILURES; i++) {
      at(t0 + i * 1000);
      const r = await signIn(i % 2 === 0 ? a : b, `wrong-${i}`);
      expect(r.status, `failure ${i + 1}`).toBe(401);
    }
    expect(await failuresSince(t0)).toBe(MAX_FAILURES);

    // 9.5 s after the first failure: it leaves the minute in 50.5 s.
    at(t0 + 9500);
    for (const h of [a, b]) {
      const r = await signIn(h, MASTER);
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe("rate_limit_exceeded");
      expect(r.body.error.message).toBe("too many failed sign-ins from this address; retry in 51 s");
      expect(r.headers.get("retry-after")).toBe("51");
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    // A refused attempt is neither judged nor counted.
    expect((await signIn(b, "wrong-again")).status).toBe(429);
    expect(await failuresSince(t0)).toBe(MAX_FAILURES);

    at(t0 + WINDOW_MS - 1);
    expect((await signIn(b, MASTER)).headers.get("retry-after")).toBe("1");

    // The first failure has left the minute: one try is free again, on either instance.
    at(t0 + WINDOW_MS);
    expect((await signIn(b, "wrong-10")).status).toBe(401);
    const again = await signIn(a, MASTER);
    expect(again.status).toBe(429);
    expect(again.headers.get("retry-after")).toBe("1"); // the second failure (t0 + 1 s) leaves next

    at(t0 + WINDOW_MS + 1000);
    const ok = await signIn(a, MASTER);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("set-cookie")).toMatch(/^sb_session=/);
  });

  it("parallel attempts through both instances cannot get more wrong keys judged than the limit", async (ctx) => {
    if (!db) return ctx.skip();
    const t1 = Date.now() + 7200_000;
    at(t1);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => signIn(i % 2 === 0 ? a : b, `parallel-${i}`)));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(MAX_FAILURES);
    expect(await failuresSince(t1)).toBe(statuses.filter((s) => s === 401).length);
    for (const r of results.filter((r) => r.status === 429)) expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Sequential failures fill the rest of the limit; then even the right key is refused.
    for (let judged = statuses.filter((s) => s === 401).length; judged < MAX_FAILURES; judged++) expect((await signIn(a, `more-${judged}`)).status).toBe(401);
    expect((await signIn(b, MASTER)).status).toBe(429);
    expect(await failuresSince(t1)).toBe(MAX_FAILURES);
  });
});

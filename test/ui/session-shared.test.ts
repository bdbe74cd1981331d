/**
 * Dashboard sessions across instances: two management apps over one PostgreSQL database know
 * the same sessions; a sign-out through one ends the session on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
});

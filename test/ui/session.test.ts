/**
 * The dashboard's session API without a browser: sign-in and its cookie's attributes, the CSRF
 * token on changes, idle and absolute expiry (on a clock the test moves), sign-out ending the
 * session on the server, failed sign-ins audited and bounded per address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FAILURES } from "../../src/management/session/sign-in-limiter.js";
import { ABSOLUTE_MS, IDLE_MS } from "../../src/management/session/sessions.js";
import { MASTER, startSessionHarness, type SessionHarness } from "./session-harness.js";

let h: SessionHarness;
beforeAll(async () => {
  h = await startSessionHarness();
});
afterAll(() => h.close());

/** Signs in; returns the cookie pair to send back and the CSRF token. */
async function signIn(headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const r = await h.request("POST", "/ui/api/session", { body: { master_key: MASTER }, headers });
  expect(r.status).toBe(204);
  const setCookie = r.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0];
  const s = await h.request("GET", "/ui/api/session", { headers: { cookie } });
  expect(s.body.signed_in).toBe(true);
  return { cookie, csrf: s.body.csrf_token as string, setCookie };
}

async function auditActions(): Promise<Array<{ actor: string; action: string; source_ip: string | null }>> {
  return h.store.db.selectFrom("audit_events").select(["actor", "action", "source_ip"]).where("target_type", "=", "session").orderBy("id").execute();
}

describe("dashboard session", () => {
  it("signs in with the master key: 204, an HttpOnly SameSite=Strict cookie, Secure only over TLS", async () => {
    const { setCookie, cookie, csrf } = await signIn();
    expect(setCookie).toMatch(/^sb_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const listed = await h.request("GET", "/v1/keys", { headers: { cookie } });
    expect(listed.status).toBe(200);
    const tls = await signIn({ "x-forwarded-proto": "https" });
    expect(tls.setCookie).toMatch(/; Secure$/);
    // The stored row holds the id's hash, never the id.
    const id = cookie.split("=")[1];
    const rows = await h.store.db.selectFrom("ui_sessions").select("id_hash").execute();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.map((r) => r.id_hash).join()).not.toContain(id);
  });

  it("answers signed_in: false without a live session, and refuses the management API", async () => {
    expect((await h.request("GET", "/ui/api/session")).body).toEqual({ signed_in: false });
    const forged = "sb_session=" + "A".repeat(43);
    expect((await h.request("GET", "/ui/api/session", { headers: { cookie: forged } })).body).toEqual({ signed_in: false });
    const r = await h.request("GET", "/v1/keys", { headers: { cookie: forged } });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("invalid_api_key");
    expect((await h.request("GET", "/v1/keys")).status).toBe(401);
  });

  it("needs the session's CSRF token on every change made with the cookie", async () => {
    const { cookie, csrf } = await signIn();
    const body = { key_name: "from the dashboard" };
    const none = await h.request("POST", "/v1/keys", { body, headers: { cookie } });
    expect(none.status).toBe(403);
    expect(none.body.error).toMatchObject({ code: "permission_denied", message: expect.stringContaining("x-csrf-token") });
    const other = await signIn();
    expect((await h.request("POST", "/v1/keys", { body, headers: { cookie, "x-csrf-token": other.csrf } })).status).toBe(403);
    expect((await h.request("POST", "/v1/keys", { body, headers: { cookie, "x-csrf-token": csrf.slice(1) } })).status).toBe(403);
    const made = await h.request("POST", "/v1/keys", { body, headers: { cookie, "x-csrf-token": csrf } });
    expect(made.status).toBe(201);
    const revoke = await h.request("DELETE", `/v1/keys/${made.body.id}`, { headers: { cookie } });
    expect(revoke.status).toBe(403);
    // The audit log names the session that made the key (a prefix of its hash).
    const row = await h.store.db.selectFrom("audit_events").select("actor").where("action", "=", "key.create").where("target_id", "=", made.body.id).executeTakeFirstOrThrow();
    expect(row.actor).toMatch(/^dashboard:[0-9a-f]{12}$/);
  });

  it("ends a session idle for 30 minutes", async () => {
    const { cookie } = await signIn();
    h.advance(IDLE_MS - 60_000);
    expect((await h.request("GET", "/v1/keys", { headers: { cookie } })).status).toBe(200);
    h.advance(IDLE_MS - 1000); // active a minute before the idle limit: still live
    expect((await h.request("GET", "/v1/keys", { headers: { cookie } })).status).toBe(200);
    h.advance(IDLE_MS + 1000);
    expect((await h.request("GET", "/v1/keys", { headers: { cookie } })).status).toBe(401);
    expect((await h.request("GET", "/ui/api/session", { headers: { cookie } })).body).toEqual({ signed_in: false });
  });

  it("ends a session 12 hours after sign-in however active", async () => {
    const { cookie } = await signIn();
    let elapsed = 0;
    while (elapsed + 20 * 60_000 < ABSOLUTE_MS) {
      h.advance(20 * 60_000);
      elapsed += 20 * 60_000;
      expect((await h.request("GET", "/v1/keys", { headers: { cookie } })).status, `after ${elapsed / 60_000} min`).toBe(200);
    }
    h.advance(ABSOLUTE_MS - elapsed);
    expect((await h.request("GET", "/v1/keys", { headers: { cookie } })).status).toBe(401);
  });

  it("signs out on the server: the old cookie no longer works", async () => {
    const { cookie, csrf } = await signIn();
    expect((await h.request("DELETE", "/ui/api/session", { headers: { cookie } })).status).toBe(403);
    const out = await h.request("DELETE", "/ui/api/session", { headers: { cookie, "x-csrf-token": csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toBe("sb_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    expect((await h.request("GET", "/v1/keys", { headers: { cookie } })).status).toBe(401);
    expect((await h.request("GET", "/ui/api/session", { headers: { cookie } })).body).toEqual({ signed_in: false });
    expect((await h.request("DELETE", "/ui/api/session", { headers: { cookie } })).status).toBe(204);
    const actions = (await auditActions()).map((a) => a.action);
    expect(actions).toContain("session.create");
    expect(actions).toContain("session.delete");
  });

  it("a key header wins over the cookie", async () => {
    const { cookie } = await signIn();
    expect((await h.request("GET", "/v1/keys", { headers: { cookie, authorization: "Bearer wrong" } })).status).toBe(401);
  });

  it("refuses malformed sign-ins with 400", async () => {
    for (const body of [{}, { master_key: "" }, { master_key: MASTER, extra: 1 }, "[1]", "{bad"]) {
      const r = await h.request("POST", "/ui/api/session", { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
    }
    const text = await h.request("POST", "/ui/api/session", { body: "master_key=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(400);
    expect((await h.request("PUT", "/ui/api/session", { body: {} })).status).toBe(405);
  });

  it("audits a wrong master key and bounds failed sign-ins per address", async () => {
    h.advance(120_000); // a fresh one-minute window
    const before = (await auditActions()).filter((a) => a.action === "session.sign_in_failed").length;
    for (let i = 0; i < MAX_FAILURES; i++) {
      const r = await h.request("POST", "/ui/api/session", { body: { master_key: `wrong-${i}` } });
      expect(r.status).toBe(401);
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    const failed = (await auditActions()).filter((a) => a.action === "session.sign_in_failed");
    expect(failed.length - before).toBe(MAX_FAILURES);
    expect(failed.at(-1)).toMatchObject({ actor: "anonymous", source_ip: "127.0.0.1" });
    const blocked = await h.request("POST", "/ui/api/session", { body: { master_key: MASTER } });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("rate_limit_exceeded");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    h.advance(61_000);
    expect((await h.request("POST", "/ui/api/session", { body: { master_key: MASTER } })).status).toBe(204);
  });
});

/** The main route tests, run on the embedded store (routes.test.ts) and on PostgreSQL (postgres.test.ts). */
import { describe, expect, it } from "vitest";
import { hashKey, KEY_PATTERN } from "../../src/policy/keys.js";
import type { Harness } from "./harness.js";

type Ctx = { skip(): void };

/** `get()` returns the running harness, or null when the backend is unavailable (tests skip). */
export function managementSuite(get: () => Harness | null): void {
  const h = (ctx: Ctx): Harness => {
    const x = get();
    if (!x) {
      ctx.skip();
      throw new Error("skipped");
    }
    return x;
  };
  const keyHashOf = async (x: Harness, id: string) => (await x.store.db.selectFrom("api_keys").select("key_hash").where("id", "=", id).executeTakeFirstOrThrow()).key_hash;

  describe("keys", () => {
    it("creates a key with every field and shows the plaintext only in the create response", async (ctx) => {
      const x = h(ctx);
      expect((await x.call("POST", "/v1/teams", { team_id: "k-team" })).status).toBe(201);
      expect((await x.call("POST", "/v1/users", { user_id: "k-user", team_id: "k-team" })).status).toBe(201);
      expect((await x.call("POST", "/v1/budgets", { budget_id: "b1", max_budget: 10 })).status).toBe(201);
      const body = {
        key_name: "ci",
        user_id: "k-user",
        team_id: "k-team",
        expires_at: "2099-01-01T00:00:00Z",
        metadata: { owner: "search", n: 1 },
        allowed_models: ["gpt-4o-mini", "anthropic:*"],
        allowed_ips: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1"],
        budget_id: "b1",
        rpm_limit: 60,
        tpm_limit: 10000,
        rpd_limit: 1000,
        max_parallel: 4,
      };
      const r = await x.call("POST", "/v1/keys", body);
      expect(r.status).toBe(201);
      expect(r.body.key).toMatch(KEY_PATTERN);
      expect(r.body.key.startsWith("sb-live-")).toBe(true);
      expect(r.body).toMatchObject({ ...body, expires_at: "2099-01-01T00:00:00.000Z", is_active: true, status: "active", revoked_at: null, environment: "live" });
      expect(r.body.id).toMatch(/^key_/);
      expect(r.body.key_masked).toBe(`${r.body.key.slice(0, 12)}…`);
      expect(Date.parse(r.body.created_at)).not.toBeNaN();
      expect(await keyHashOf(x, r.body.id)).toBe(hashKey(r.body.key));
      expect(x.events).toContainEqual({ kind: "key", keyHash: hashKey(r.body.key) });

      const got = await x.call("GET", `/v1/keys/${r.body.id}`);
      expect(got.status).toBe(200);
      // The create answer is the stored key and its plaintext, nothing else.
      const { key: _, ...withoutKey } = r.body;
      expect(got.body).toEqual(withoutKey);
      expect(got.body).not.toHaveProperty("key");
    });

    it("applies defaults for an empty body and makes test keys", async (ctx) => {
      const x = h(ctx);
      const plain = await x.call("POST", "/v1/keys", {});
      expect(plain.status).toBe(201);
      expect(plain.body).toMatchObject({
        key_name: null,
        user_id: null,
        team_id: null,
        expires_at: null,
        is_active: true,
        metadata: {},
        allowed_models: null,
        allowed_ips: null,
        rpm_limit: null,
        status: "active",
      });
      const noBody = await x.call("POST", "/v1/keys");
      expect(noBody.status).toBe(201);
      const test = await x.call("POST", "/v1/keys", { environment: "test" });
      expect(test.body.key).toMatch(/^sb-test-[0-9A-Za-z]{32}$/);
      expect(test.body.environment).toBe("test");
    });

    it("accepts a past expires_at and reports the key expired at once", async (ctx) => {
      const x = h(ctx);
      const r = await x.call("POST", "/v1/keys", { key_name: "old", expires_at: "2020-01-01T00:00:00+02:00" });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ status: "expired", expires_at: "2019-12-31T22:00:00.000Z", is_active: true });
      const listed = await x.call("GET", "/v1/keys?status=expired");
      expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(r.body.id);
      const active = await x.call("GET", "/v1/keys?status=active&limit=200");
      expect(active.body.data.map((k: { id: string }) => k.id)).not.toContain(r.body.id);
    });

    it("patches settings, deactivates and reactivates, publishing the key's hash each time", async (ctx) => {
      const x = h(ctx);
      const k = (await x.call("POST", "/v1/keys", { key_name: "p", allowed_models: ["a"] })).body;
      const hash = hashKey(k.key);
      x.events.length = 0;
      const p = await x.call("PATCH", `/v1/keys/${k.id}`, { key_name: "renamed", allowed_models: null, rpm_limit: 5, metadata: { a: 1 } });
      expect(p.status).toBe(200);
      expect(p.body).toMatchObject({ id: k.id, key_name: "renamed", allowed_models: null, rpm_limit: 5, metadata: { a: 1 }, status: "active" });
      expect(p.body).not.toHaveProperty("key");
      expect(x.events).toEqual([{ kind: "key", keyHash: hash }]);
      const off = await x.call("PATCH", `/v1/keys/${k.id}`, { is_active: false });
      expect(off.body).toMatchObject({ is_active: false, status: "inactive" });
      expect((await x.call("GET", `/v1/keys?status=inactive&limit=200`)).body.data.map((r: { id: string }) => r.id)).toContain(k.id);
      const on = await x.call("PATCH", `/v1/keys/${k.id}`, { is_active: true });
      expect(on.body).toMatchObject({ is_active: true, status: "active" });
      expect(x.events).toEqual([
        { kind: "key", keyHash: hash },
        { kind: "key", keyHash: hash },
        { kind: "key", keyHash: hash },
      ]);
      expect(await keyHashOf(x, k.id)).toBe(hash);
    });

    it("revokes with DELETE (idempotent, row stays), then refuses PATCH and rotate with 409", async (ctx) => {
      const x = h(ctx);
      const k = (await x.call("POST", "/v1/keys", { key_name: "gone" })).body;
      x.events.length = 0;
      const del = await x.call("DELETE", `/v1/keys/${k.id}`);
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ id: k.id, status: "revoked", is_active: false });
      expect(del.body.revoked_at).not.toBeNull();
      expect(del.body).not.toHaveProperty("key");
      expect(x.events).toEqual([{ kind: "key", keyHash: hashKey(k.key) }]);
      const again = await x.call("DELETE", `/v1/keys/${k.id}`);
      expect(again.status).toBe(200);
      expect(again.body.revoked_at).toBe(del.body.revoked_at);
      expect((await x.call("GET", `/v1/keys/${k.id}`)).body.status).toBe("revoked");
      expect((await x.call("GET", "/v1/keys?status=revoked&limit=200")).body.data.map((r: { id: string }) => r.id)).toContain(k.id);
      for (const [method, path, body] of [
        ["PATCH", `/v1/keys/${k.id}`, { is_active: true }],
        ["POST", `/v1/keys/${k.id}/rotate`, undefined],
      ] as const) {
        const r = await x.call(method, path, body);
        expect(r.status).toBe(409);
        expect(r.body.error).toMatchObject({ code: "conflict", type: "invalid_request_error" });
      }
    });

    it("rotates: new secret for the same id, old hash invalidated at once", async (ctx) => {
      const x = h(ctx);
      const k = (await x.call("POST", "/v1/keys", { key_name: "rot", rpm_limit: 7 })).body;
      x.events.length = 0;
      const r = await x.call("POST", `/v1/keys/${k.id}/rotate`);
      expect(r.status).toBe(200);
      expect(r.body.id).toBe(k.id);
      expect(r.body.key).toMatch(KEY_PATTERN);
      expect(r.body.key).not.toBe(k.key);
      expect(r.body).toMatchObject({ key_name: "rot", rpm_limit: 7, status: "active", key_masked: `${r.body.key.slice(0, 12)}…` });
      expect(x.events).toContainEqual({ kind: "key", keyHash: hashKey(k.key) });
      expect(await keyHashOf(x, k.id)).toBe(hashKey(r.body.key));
      const test = (await x.call("POST", "/v1/keys", { environment: "test" })).body;
      expect((await x.call("POST", `/v1/keys/${test.id}/rotate`)).body.key).toMatch(/^sb-test-/);
    });

    it("filters the list by user and team and never shows a key", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/teams", { team_id: "f-team" });
      await x.call("POST", "/v1/users", { user_id: "f-user" });
      const a = (await x.call("POST", "/v1/keys", { user_id: "f-user" })).body;
      const b = (await x.call("POST", "/v1/keys", { team_id: "f-team" })).body;
      const byUser = await x.call("GET", "/v1/keys?user_id=f-user");
      expect(byUser.body).toMatchObject({ object: "list", next_cursor: null });
      expect(byUser.body.data.map((r: { id: string }) => r.id)).toEqual([a.id]);
      expect((await x.call("GET", "/v1/keys?team_id=f-team")).body.data.map((r: { id: string }) => r.id)).toEqual([b.id]);
      const all = await x.call("GET", "/v1/keys?limit=200");
      for (const row of all.body.data) expect(row).not.toHaveProperty("key");
    });

    it("answers 404 for an unknown key id on every route", async (ctx) => {
      const x = h(ctx);
      for (const [method, path, body] of [
        ["GET", "/v1/keys/key_nope", undefined],
        ["PATCH", "/v1/keys/key_nope", { key_name: "x" }],
        ["DELETE", "/v1/keys/key_nope", undefined],
        ["POST", "/v1/keys/key_nope/rotate", undefined],
      ] as const) {
        const r = await x.call(method, path, body);
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.body.error).toMatchObject({ code: "not_found", type: "invalid_request_error", param: "id" });
      }
    });

    it("requires the referenced user and team to exist", async (ctx) => {
      const x = h(ctx);
      const u = await x.call("POST", "/v1/keys", { user_id: "nobody" });
      expect(u.status).toBe(400);
      expect(u.body.error).toMatchObject({ code: "invalid_request", param: "user_id" });
      const t = await x.call("POST", "/v1/keys", { team_id: "noteam" });
      expect(t.body.error).toMatchObject({ code: "invalid_request", param: "team_id" });
      const k = (await x.call("POST", "/v1/keys", {})).body;
      const p = await x.call("PATCH", `/v1/keys/${k.id}`, { user_id: "nobody" });
      expect(p.status).toBe(400);
      expect(p.body.error.param).toBe("user_id");
    });
  });

  describe("users", () => {
    it("creates (given or generated id), refuses a taken id with 409, gets, lists by team and patches", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/teams", { team_id: "u-team", name: "U" });
      const a = await x.call("POST", "/v1/users", { user_id: "alice@example.com", alias: "Alice", team_id: "u-team", metadata: { tier: 1 } });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ user_id: "alice@example.com", alias: "Alice", team_id: "u-team", budget_id: null, metadata: { tier: 1 }, blocked: false });
      expect(Date.parse(a.body.created_at)).not.toBeNaN();
      expect(a.body.updated_at).toBe(a.body.created_at);
      const gen = await x.call("POST", "/v1/users", {});
      expect(gen.status).toBe(201);
      expect(gen.body.user_id).toMatch(/^user_[0-9a-z]+$/);
      const taken = await x.call("POST", "/v1/users", { user_id: "alice@example.com" });
      expect(taken.status).toBe(409);
      expect(taken.body.error).toMatchObject({ code: "conflict", param: "user_id" });
      const noTeam = await x.call("POST", "/v1/users", { team_id: "nope" });
      expect(noTeam.status).toBe(400);
      expect(noTeam.body.error.param).toBe("team_id");

      expect((await x.call("GET", "/v1/users/alice@example.com")).body).toEqual(a.body);
      const byTeam = await x.call("GET", "/v1/users?team_id=u-team");
      expect(byTeam.body.data.map((u: { user_id: string }) => u.user_id)).toEqual(["alice@example.com"]);

      x.events.length = 0;
      const p = await x.call("PATCH", "/v1/users/alice@example.com", { blocked: true, alias: null, team_id: null });
      expect(p.status).toBe(200);
      expect(p.body).toMatchObject({ blocked: true, alias: null, team_id: null });
      expect(Date.parse(p.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(a.body.updated_at));
      expect(x.events).toContainEqual({ kind: "user", userId: "alice@example.com" });
      expect((await x.call("GET", "/v1/users/nobody")).status).toBe(404);
      expect((await x.call("PATCH", "/v1/users/nobody", { alias: "x" })).status).toBe(404);
      expect((await x.call("DELETE", "/v1/users/nobody")).status).toBe(404);
    });

    it("deletes a user and revokes all their keys", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/users", { user_id: "bob" });
      const k1 = (await x.call("POST", "/v1/keys", { user_id: "bob" })).body;
      const k2 = (await x.call("POST", "/v1/keys", { user_id: "bob" })).body;
      x.events.length = 0;
      const d = await x.call("DELETE", "/v1/users/bob");
      expect(d.status).toBe(200);
      expect(d.body.user_id).toBe("bob");
      expect((await x.call("GET", "/v1/users/bob")).status).toBe(404);
      for (const k of [k1, k2]) {
        const got = (await x.call("GET", `/v1/keys/${k.id}`)).body;
        expect(got.status).toBe("revoked");
        expect(x.events).toContainEqual({ kind: "key", keyHash: hashKey(k.key) });
      }
      expect(x.events).toContainEqual({ kind: "user", userId: "bob" });
    });
  });

  describe("limits on users and teams", () => {
    it("stores, shows, lists, patches and clears rpm_limit, tpm_limit, rpd_limit and max_parallel", async (ctx) => {
      const x = h(ctx);
      const none = { rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null };
      for (const [path, idField, id] of [
        ["/v1/teams", "team_id", "lim-team"],
        ["/v1/users", "user_id", "lim-user"],
      ] as const) {
        const limits = { rpm_limit: 120, tpm_limit: 2_000_000, rpd_limit: 2_147_483_647, max_parallel: 8 };
        const c = await x.call("POST", path, { [idField]: id, ...limits });
        expect(c.status).toBe(201);
        expect(c.body).toMatchObject({ [idField]: id, ...limits });
        expect((await x.call("GET", `${path}/${id}`)).body).toMatchObject(limits);
        const listed = (await x.call("GET", `${path}?limit=200`)).body.data.find((o: Record<string, unknown>) => o[idField] === id);
        expect(listed).toMatchObject(limits);
        const p = await x.call("PATCH", `${path}/${id}`, { rpm_limit: 30, max_parallel: null });
        expect(p.status).toBe(200);
        expect(p.body).toMatchObject({ rpm_limit: 30, tpm_limit: 2_000_000, rpd_limit: 2_147_483_647, max_parallel: null });
        expect((await x.call("GET", `${path}/${id}`)).body).toMatchObject({ rpm_limit: 30, tpm_limit: 2_000_000, rpd_limit: 2_147_483_647, max_parallel: null });
        const cleared = await x.call("PATCH", `${path}/${id}`, none);
        expect(cleared.body).toMatchObject(none);
        expect((await x.call("GET", `${path}/${id}`)).body).toMatchObject(none);
        const plain = await x.call("POST", path, { [idField]: `${id}-plain` });
        expect(plain.body).toMatchObject(none);
      }
    });
  });

  describe("lists and audit", () => {
    it("pages keys, users and the audit log by cursor, with filters", async (ctx) => {
      const x = h(ctx);
      await x.call("POST", "/v1/teams", { team_id: "pg-team" });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await x.call("POST", "/v1/keys", { team_id: "pg-team", key_name: `p${i}` })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await x.call("GET", `/v1/keys?team_id=pg-team&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(r.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...r.body.data.map((k: { id: string }) => k.id));
        cursor = r.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const a = await x.call("GET", `/v1/audit?target_type=key&action=key.create&limit=3`);
      expect(a.body.data).toHaveLength(3);
      expect(a.body.data.map((e: { target_id: string }) => e.target_id)).toEqual([ids[4], ids[3], ids[2]]);
      const b = await x.call("GET", `/v1/audit?target_type=key&action=key.create&limit=3&cursor=${a.body.next_cursor}`);
      expect(b.body.data.map((e: { target_id: string }) => e.target_id).slice(0, 2)).toEqual([ids[1], ids[0]]);
      expect(b.body.data[0]).toMatchObject({ actor: "master", source_ip: "127.0.0.1", changes: { key_name: "p1", team_id: "pg-team" } });
    });
  });

  describe("teams", () => {
    it("creates, refuses a taken id, gets, patches, lists and deletes (members and keys detached)", async (ctx) => {
      const x = h(ctx);
      expect((await x.call("POST", "/v1/budgets", { budget_id: "b", max_budget: "5" })).status).toBe(201);
      const t = await x.call("POST", "/v1/teams", { team_id: "t1", name: "Team 1", budget_id: "b", metadata: { cc: "42" } });
      expect(t.status).toBe(201);
      expect(t.body).toMatchObject({ team_id: "t1", name: "Team 1", budget_id: "b", metadata: { cc: "42" }, blocked: false });
      const gen = await x.call("POST", "/v1/teams", { name: "anon" });
      expect(gen.body.team_id).toMatch(/^team_[0-9a-z]+$/);
      expect((await x.call("POST", "/v1/teams", { team_id: "t1" })).status).toBe(409);
      expect((await x.call("GET", "/v1/teams/t1")).body).toEqual(t.body);
      const p = await x.call("PATCH", "/v1/teams/t1", { blocked: true, name: "One" });
      expect(p.body).toMatchObject({ team_id: "t1", blocked: true, name: "One" });
      const listed = await x.call("GET", "/v1/teams?limit=200");
      expect(listed.body.data.map((r: { team_id: string }) => r.team_id)).toEqual(expect.arrayContaining(["t1", gen.body.team_id]));

      await x.call("POST", "/v1/users", { user_id: "member", team_id: "t1" });
      const memberKey = (await x.call("POST", "/v1/keys", { user_id: "member" })).body;
      const teamKey = (await x.call("POST", "/v1/keys", { team_id: "t1" })).body;
      x.events.length = 0;
      const d = await x.call("DELETE", "/v1/teams/t1");
      expect(d.status).toBe(200);
      expect(d.body.team_id).toBe("t1");
      expect((await x.call("GET", "/v1/teams/t1")).status).toBe(404);
      expect((await x.call("GET", "/v1/users/member")).body.team_id).toBeNull();
      const k = (await x.call("GET", `/v1/keys/${teamKey.id}`)).body;
      expect(k).toMatchObject({ team_id: null, status: "active" });
      // One team event reaches the team's keys, its members' keys and its members in every cache.
      expect(x.events).toContainEqual({ kind: "team", teamId: "t1" });
      expect(x.events.filter((e) => e.kind === "user" || e.kind === "key")).toEqual([]);
      expect((await x.call("GET", `/v1/keys/${memberKey.id}`)).body).toMatchObject({ user_id: "member", status: "active" });
      for (const [m, path] of [
        ["GET", "/v1/teams/t1"],
        ["PATCH", "/v1/teams/t1"],
        ["DELETE", "/v1/teams/t1"],
      ] as const) {
        expect((await x.call(m, path, m === "PATCH" ? { name: "x" } : undefined)).status).toBe(404);
      }
    });
  });
}

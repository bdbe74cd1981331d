/** The audit log: one row per mutation, in the same transaction, with who/what/where — and never a secret. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagementApp } from "../../src/management/index.js";
import { LocalInvalidationBus } from "../../src/policy/invalidation.js";
import { hashKey } from "../../src/policy/keys.js";
import { MASTER, startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

type Event = {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  changes: Record<string, unknown>;
};

async function audit(query = ""): Promise<Event[]> {
  const r = await x.call("GET", `/v1/audit?limit=200${query}`);
  expect(r.status).toBe(200);
  return r.body.data;
}
const byRequest = async (requestId: string) => (await audit()).filter((e) => e.request_id === requestId);
const rid = (n: string) => ({ "x-request-id": `audit-${n}` });

describe("audit log", () => {
  it("records every mutation with actor, target, source IP, request id and the changed fields", async () => {
    await x.call("POST", "/v1/teams", { team_id: "a-team", name: "A" }, rid("t1"));
    await x.call("POST", "/v1/users", { user_id: "a-user", team_id: "a-team", alias: "Al" }, rid("u1"));
    const k = (await x.call("POST", "/v1/keys", { key_name: "one", user_id: "a-user", rpm_limit: 10, allowed_ips: ["10.0.0.0/8"] }, rid("k1"))).body;
    await x.call("PATCH", `/v1/keys/${k.id}`, { key_name: "two", is_active: false, rpm_limit: 10 }, rid("k2"));
    const other = (await x.call("POST", "/v1/keys", {}, rid("k3"))).body;
    await x.call("POST", `/v1/keys/${other.id}/rotate`, undefined, rid("k4"));
    await x.call("DELETE", `/v1/keys/${other.id}`, undefined, rid("k5"));
    await x.call("PATCH", "/v1/users/a-user", { blocked: true }, rid("u2"));
    await x.call("PATCH", "/v1/teams/a-team", { name: "B", metadata: { x: 1 } }, rid("t2"));
    const teamKey = (await x.call("POST", "/v1/keys", { team_id: "a-team" }, rid("k6"))).body;
    await x.call("DELETE", "/v1/users/a-user", undefined, rid("u3"));
    await x.call("DELETE", "/v1/teams/a-team", undefined, rid("t3"));

    const one = async (n: string) => {
      const rows = await byRequest(`audit-${n}`);
      expect(rows, n).toHaveLength(1);
      expect(rows[0]).toMatchObject({ actor: "master", source_ip: "127.0.0.1" });
      expect(Date.parse(rows[0].at)).not.toBeNaN();
      return rows[0];
    };
    expect(await one("t1")).toMatchObject({ action: "team.create", target_type: "team", target_id: "a-team", changes: { name: "A", budget_id: null, metadata: {}, blocked: false } });
    expect(await one("u1")).toMatchObject({ action: "user.create", target_type: "user", target_id: "a-user", changes: { alias: "Al", team_id: "a-team", blocked: false } });
    const created = await one("k1");
    expect(created).toMatchObject({ action: "key.create", target_type: "key", target_id: k.id });
    expect(created.changes).toMatchObject({ environment: "live", key_name: "one", user_id: "a-user", rpm_limit: 10, allowed_ips: ["10.0.0.0/8"], is_active: true, expires_at: null });
    expect(Object.keys(created.changes).sort()).toEqual([
      "allowed_ips",
      "allowed_models",
      "budget_id",
      "environment",
      "expires_at",
      "is_active",
      "key_name",
      "max_parallel",
      "metadata",
      "rpd_limit",
      "rpm_limit",
      "team_id",
      "tpm_limit",
      "user_id",
    ]);
    // Only what changed, as {from, to}: rpm_limit was sent but did not change.
    expect((await one("k2")).changes).toEqual({ key_name: { from: "one", to: "two" }, is_active: { from: true, to: false } });
    expect(await one("k4")).toMatchObject({ action: "key.rotate", target_id: other.id, changes: { secret: "rotated" } });
    const revoke = await one("k5");
    expect(revoke).toMatchObject({ action: "key.revoke", target_id: other.id, changes: { is_active: { from: true, to: false }, revoked_at: { from: null } } });
    expect(Date.parse((revoke.changes.revoked_at as { to: string }).to)).not.toBeNaN();
    expect((await one("u2")).changes).toEqual({ blocked: { from: false, to: true } });
    expect((await one("t2")).changes).toEqual({ name: { from: "A", to: "B" }, metadata: { from: {}, to: { x: 1 } } });

    const userDelete = await byRequest("audit-u3");
    expect(userDelete.map((e) => e.action).sort()).toEqual(["key.revoke", "user.delete"]);
    expect(userDelete.find((e) => e.action === "user.delete")!.changes).toEqual({ revoked_keys: [k.id] });
    expect(userDelete.find((e) => e.action === "key.revoke")!.target_id).toBe(k.id);
    expect((await one("t3")).changes).toEqual({ removed_members: [], detached_keys: [teamKey.id] });
  });

  it("writes nothing for reads and failed mutations, and one row per successful request", async () => {
    const before = (await audit()).length;
    await x.call("GET", "/v1/keys");
    await x.call("GET", "/v1/users");
    await x.call("POST", "/v1/keys", { user_id: "ghost" });
    await x.call("POST", "/v1/keys", { rpm_limit: -1 });
    await x.call("PATCH", "/v1/keys/key_missing", { key_name: "x" });
    await x.call("POST", "/v1/teams", { team_id: "dup" });
    await x.call("POST", "/v1/teams", { team_id: "dup" });
    await x.call("GET", "/v1/keys", undefined, { authorization: "Bearer nope" });
    expect((await audit()).length).toBe(before + 1);
    const keys = await x.store.db.selectFrom("api_keys").select("id").where("user_id", "=", "ghost").execute();
    expect(keys).toEqual([]);
  });

  it("filters by actor, action, target and time, newest first", async () => {
    const t0 = new Date(Date.now() - 1000).toISOString();
    const k = (await x.call("POST", "/v1/keys", { key_name: "f" })).body;
    await x.call("PATCH", `/v1/keys/${k.id}`, { key_name: "g" });
    const forKey = await audit(`&target_id=${k.id}`);
    expect(forKey.map((e) => e.action)).toEqual(["key.update", "key.create"]);
    expect(Number(forKey[0].id)).toBeGreaterThan(Number(forKey[1].id));
    expect((await audit(`&action=key.update&target_id=${k.id}`)).map((e) => e.action)).toEqual(["key.update"]);
    expect((await audit("&target_type=team")).every((e) => e.target_type === "team")).toBe(true);
    expect((await audit("&actor=master")).length).toBeGreaterThan(0);
    expect(await audit("&actor=someone-else")).toEqual([]);
    expect((await audit(`&from=${encodeURIComponent(t0)}&target_id=${k.id}`)).length).toBe(2);
    expect(await audit(`&to=${encodeURIComponent(t0)}&target_id=${k.id}`)).toEqual([]);
  });

  it("records a null source IP when there is no socket (app.request)", async () => {
    const app = createManagementApp({ db: x.store.db, bus: new LocalInvalidationBus(), isMasterKey: (k) => k === MASTER });
    const res = await app.request("/v1/teams", { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json", "x-request-id": "no-socket" }, body: "{}" });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe("no-socket");
    expect(await byRequest("no-socket")).toEqual([expect.objectContaining({ action: "team.create", source_ip: null })]);
  });
});

describe("secrets canary", () => {
  it("a key's plaintext and hash appear in no later response and in no audit row", async () => {
    await x.call("POST", "/v1/users", { user_id: "canary-user" });
    const created = (await x.call("POST", "/v1/keys", { key_name: "canary", user_id: "canary-user", metadata: { note: "canary" } })).body;
    const rotatedFrom = (await x.call("POST", "/v1/keys", { key_name: "canary-2" })).body;
    const secrets: string[] = [created.key, hashKey(created.key), rotatedFrom.key, hashKey(rotatedFrom.key)];
    const mark = x.seen.length;

    const rotated = await x.call("POST", `/v1/keys/${rotatedFrom.id}/rotate`);
    const newKey = rotated.body.key as string;
    await x.call("GET", `/v1/keys/${created.id}`);
    await x.call("GET", `/v1/keys/${rotatedFrom.id}`);
    await x.call("GET", "/v1/keys?limit=200");
    await x.call("GET", "/v1/keys?user_id=canary-user");
    await x.call("PATCH", `/v1/keys/${created.id}`, { key_name: "canary-renamed", is_active: false });
    await x.call("PATCH", `/v1/keys/${created.id}`, { is_active: true });
    await x.call("DELETE", `/v1/keys/${rotatedFrom.id}`);
    await x.call("DELETE", "/v1/users/canary-user");
    await x.call("GET", "/v1/audit?limit=200");
    await x.call("GET", `/v1/audit?target_id=${created.id}`);
    await x.call("GET", "/openapi.json");

    // The rotate response carries the new key exactly once (its `key` field) and nothing else secret.
    const rotateText = x.seen[mark];
    expect(rotateText.split(newKey).length - 1).toBe(1);
    for (const s of [...secrets, hashKey(newKey)]) expect(rotateText).not.toContain(s);
    secrets.push(newKey, hashKey(newKey));
    const later = x.seen.slice(mark + 1);
    expect(later).toHaveLength(11);
    for (const text of later) for (const s of secrets) expect(text).not.toContain(s);

    const rows = await x.store.db.selectFrom("audit_events").selectAll().execute();
    expect(rows.length).toBeGreaterThan(5);
    const dump = JSON.stringify(rows);
    for (const s of secrets) expect(dump).not.toContain(s);
    // Nor anything resembling a key: no sb-live-/sb-test- string, no key prefix, no 64-hex digest.
    expect(dump).not.toMatch(/sb-(live|test)-/);
    expect(dump).not.toMatch(/[0-9a-f]{64}/);
  });
});

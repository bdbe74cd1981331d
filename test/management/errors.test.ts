/** Authentication, validation and error envelopes of the management API, and /openapi.json. */
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagementApp } from "../../src/management/index.js";
import { LocalInvalidationBus } from "../../src/policy/invalidation.js";
import { MASTER, startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

const ROUTES: Array<[string, string]> = [
  ["POST", "/v1/keys"],
  ["GET", "/v1/keys"],
  ["GET", "/v1/keys/key_x"],
  ["PATCH", "/v1/keys/key_x"],
  ["DELETE", "/v1/keys/key_x"],
  ["POST", "/v1/keys/key_x/rotate"],
  ["POST", "/v1/users"],
  ["GET", "/v1/users"],
  ["GET", "/v1/users/u"],
  ["PATCH", "/v1/users/u"],
  ["DELETE", "/v1/users/u"],
  ["POST", "/v1/teams"],
  ["GET", "/v1/teams"],
  ["GET", "/v1/teams/t"],
  ["PATCH", "/v1/teams/t"],
  ["DELETE", "/v1/teams/t"],
  ["GET", "/v1/audit"],
];

describe("authentication", () => {
  it("answers 401 invalid_api_key without a key or with a wrong one, on every route", async () => {
    for (const [method, path] of ROUTES) {
      for (const headers of [{ authorization: "" }, { authorization: "Bearer wrong-key" }]) {
        const r = await x.call(method, path, method === "POST" || method === "PATCH" ? {} : undefined, headers);
        expect(r.status, `${method} ${path}`).toBe(401);
        expect(r.body).toEqual({ error: { message: expect.any(String), type: "authentication_error", param: null, code: "invalid_api_key" } });
      }
    }
  });

  it("answers 403 permission_denied for a virtual key", async () => {
    const k = (await x.call("POST", "/v1/keys", {})).body.key as string;
    const t = (await x.call("POST", "/v1/keys", { environment: "test" })).body.key as string;
    for (const key of [k, t]) {
      for (const [method, path] of ROUTES) {
        const r = await x.call(method, path, undefined, { authorization: `Bearer ${key}` });
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.error).toEqual({ message: "the management API requires the master key", type: "permission_error", param: null, code: "permission_denied" });
      }
    }
  });

  it("accepts the master key as Bearer, x-api-key, AnyLLM-Key and X-AnyLLM-Key", async () => {
    const variants: Array<Record<string, string>> = [
      { authorization: `Bearer ${MASTER}` },
      { authorization: "", "x-api-key": MASTER },
      { authorization: "", "anyllm-key": `Bearer ${MASTER}` },
      { authorization: "", "x-anyllm-key": `Bearer ${MASTER}` },
    ];
    for (const headers of variants) {
      expect((await x.call("GET", "/v1/keys", undefined, headers)).status).toBe(200);
    }
  });

  it("serves /openapi.json publicly, generated from the request schemas", async () => {
    const r = await x.call("GET", "/openapi.json", undefined, { authorization: "" });
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toBe("3.1.0");
    for (const [method, path] of ROUTES) {
      const p = path
        .replace("/key_x", "/{id}")
        .replace(/\/users\/u$/, "/users/{user_id}")
        .replace(/\/teams\/t$/, "/teams/{team_id}");
      expect(doc.paths[p]?.[method.toLowerCase()], `${method} ${p}`).toBeDefined();
    }
    for (const name of ["Key", "KeyWithSecret", "KeyCreate", "KeyPatch", "KeyList", "User", "UserCreate", "Team", "TeamPatch", "AuditEvent", "Error"]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    expect(doc.components.schemas.KeyCreate.additionalProperties).toBe(false);
    expect(doc.components.schemas.Key.properties).not.toHaveProperty("key");
    expect(doc.components.schemas.KeyWithSecret.allOf).toEqual([{ $ref: "#/components/schemas/Key" }, expect.objectContaining({ required: ["key"] })]);
    expect(doc.paths["/v1/keys"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/KeyCreate" });
    expect(doc.components.securitySchemes.masterKey).toMatchObject({ type: "http", scheme: "bearer" });
  });
});

describe("request ids", () => {
  it("echoes x-request-id on success and on errors, and makes one when absent", async () => {
    expect((await x.call("GET", "/v1/keys", undefined, { "x-request-id": "req-abc-1" })).headers.get("x-request-id")).toBe("req-abc-1");
    expect((await x.call("GET", "/v1/keys/key_nope", undefined, { "x-request-id": "req-abc-2" })).headers.get("x-request-id")).toBe("req-abc-2");
    expect((await x.call("GET", "/v1/keys", undefined, { authorization: "", "x-request-id": "req-abc-3" })).headers.get("x-request-id")).toBe("req-abc-3");
    expect((await x.call("POST", "/v1/keys", { nope: 1 }, { "x-request-id": "req-abc-4" })).headers.get("x-request-id")).toBe("req-abc-4");
    expect((await x.call("GET", "/v1/teams")).headers.get("x-request-id")).toMatch(/^req_/);
  });
});

describe("validation", () => {
  const bad = async (method: string, path: string, body: unknown, param: string | null, message: RegExp) => {
    const r = await x.call(method, path, body);
    expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    expect(r.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param });
    expect(r.body.error.message).toMatch(message);
  };

  it("names the field of a bad key body", async () => {
    await bad("POST", "/v1/keys", { rpm_limit: 0 }, "rpm_limit", /rpm_limit/);
    await bad("POST", "/v1/keys", { tpm_limit: 1.5 }, "tpm_limit", /tpm_limit/);
    await bad("POST", "/v1/keys", { max_parallel: "4" }, "max_parallel", /max_parallel/);
    await bad("POST", "/v1/keys", { expires_at: "tomorrow" }, "expires_at", /ISO 8601/);
    await bad("POST", "/v1/keys", { expires_at: "2030-01-01" }, "expires_at", /ISO 8601/);
    await bad("POST", "/v1/keys", { is_active: "yes" }, "is_active", /is_active/);
    await bad("POST", "/v1/keys", { metadata: [1] }, "metadata", /metadata/);
    await bad("POST", "/v1/keys", { allowed_models: "gpt-4o" }, "allowed_models", /allowed_models/);
    await bad("POST", "/v1/keys", { allowed_models: [""] }, "allowed_models", /non-empty/);
    await bad("POST", "/v1/keys", { environment: "prod" }, "environment", /environment/);
    await bad("POST", "/v1/keys", { key: "sb-live-xxx" }, "key", /unknown field 'key'/);
    await bad("PATCH", "/v1/keys/key_x", { environment: "test" }, "environment", /unknown field 'environment'/);
    await bad("PATCH", "/v1/keys/key_x", { id: "other" }, "id", /unknown field 'id'/);
  });

  it("validates allowed_ips as IPv4/IPv6 addresses or CIDR ranges", async () => {
    for (const ips of [["10.0.0.0/33"], ["300.1.1.1"], ["10.0.0.0/8", "nope"], ["2001:db8::/129"], ["2001:db8::zz"], ["10.0.0.0/-1"], ["::1/abc"]]) {
      await bad("POST", "/v1/keys", { allowed_ips: ips }, "allowed_ips", /not an IPv4 or IPv6 address or CIDR range/);
    }
    const ok = await x.call("POST", "/v1/keys", { allowed_ips: ["0.0.0.0/0", "127.0.0.1", "::/0", "fe80::1", "2001:db8:abcd::/48"] });
    expect(ok.status).toBe(201);
    expect(ok.body.allowed_ips).toEqual(["0.0.0.0/0", "127.0.0.1", "::/0", "fe80::1", "2001:db8:abcd::/48"]);
    const k = ok.body.id as string;
    await bad("PATCH", `/v1/keys/${k}`, { allowed_ips: ["1.2.3.4/40"] }, "allowed_ips", /1\.2\.3\.4\/40/);
  });

  it("names the field of bad user and team bodies, including unknown fields", async () => {
    await bad("POST", "/v1/users", { user_id: "has space" }, "user_id", /user_id/);
    await bad("POST", "/v1/users", { user_id: "" }, "user_id", /user_id/);
    await bad("POST", "/v1/users", { blocked: 1 }, "blocked", /blocked/);
    await bad("POST", "/v1/users", { alias: "a", role: "admin" }, "role", /unknown field 'role'/);
    await bad("PATCH", "/v1/users/u", { user_id: "new" }, "user_id", /unknown field/);
    await bad("POST", "/v1/teams", { name: 5 }, "name", /name/);
    await bad("POST", "/v1/teams", { members: [] }, "members", /unknown field 'members'/);
    await bad("PATCH", "/v1/teams/t", { team_id: "x" }, "team_id", /unknown field/);
  });

  it("refuses malformed JSON, non-object bodies and non-JSON content types with 400", async () => {
    await bad("POST", "/v1/keys", "{not json", null, /malformed JSON/);
    await bad("PATCH", "/v1/users/u", '{"alias":', null, /malformed JSON/);
    await bad("POST", "/v1/keys", [], null, /must be a JSON object/);
    await bad("POST", "/v1/teams", "null", null, /must be a JSON object/);
    const r = await x.call("POST", "/v1/keys", "key_name=x", { "content-type": "application/x-www-form-urlencoded" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/content-type: application\/json/);
  });

  it("refuses a body over 1 MiB with 413 request_too_large", async () => {
    const r = await x.call("POST", "/v1/keys", { metadata: { blob: "x".repeat(1024 * 1024 + 10) } });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: "request_too_large", type: "invalid_request_error" });
    const big = await x.call("POST", "/v1/keys", { metadata: { blob: "x".repeat(17 * 1024) } });
    expect(big.status).toBe(400);
    expect(big.body.error.param).toBe("metadata");
  });

  it("validates query parameters: limit, cursor, status, dates", async () => {
    const q = async (path: string, param: string) => {
      const r = await x.call("GET", path);
      expect(r.status, path).toBe(400);
      expect(r.body.error).toMatchObject({ code: "invalid_request", param });
      expect(r.body.error.message).toContain(param);
    };
    await q("/v1/keys?limit=0", "limit");
    await q("/v1/keys?limit=201", "limit");
    await q("/v1/keys?limit=abc", "limit");
    await q("/v1/users?limit=2.5", "limit");
    await q("/v1/keys?status=dead", "status");
    await q("/v1/keys?cursor=garbage!", "cursor");
    await q("/v1/teams?cursor=WyJ4IiwieSJd", "cursor");
    await q("/v1/audit?from=yesterday", "from");
    await q("/v1/audit?cursor=" + Buffer.from(JSON.stringify(["2024-01-01T00:00:00.000000Z", "abc"])).toString("base64url"), "cursor");
  });

  it("answers 404 in the envelope for unknown routes below the management paths", async () => {
    const r = await x.call("GET", "/v1/keys/a/b/c");
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("not_found");
  });
});

describe("mounted on the gateway app", () => {
  it("keeps its envelope and request ids, and leaves the gateway's other routes alone", async () => {
    const gateway = new Hono();
    gateway.post("/v1/chat/completions", (c) => c.json({ ok: true }));
    gateway.get("/v1/models", (c) => c.json({ object: "list", data: [] }));
    gateway.onError((_e, c) => c.json({ error: { message: "gateway handler", type: "api_error", param: null, code: "internal_error" } }, 500));
    gateway.route("/", createManagementApp({ db: x.store.db, bus: new LocalInvalidationBus(), isMasterKey: (k) => k === MASTER }));

    // No master key needed on the gateway's own routes.
    expect((await gateway.request("/v1/chat/completions", { method: "POST" })).status).toBe(200);
    expect((await gateway.request("/v1/models")).status).toBe(200);
    const auth = await gateway.request("/v1/keys", { headers: { "x-request-id": "mounted-1" } });
    expect(auth.status).toBe(401);
    expect(auth.headers.get("x-request-id")).toBe("mounted-1");
    expect(((await auth.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const bad = await gateway.request("/v1/keys", { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" }, body: '{"rpm_limit":-1}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: "invalid_request", param: "rpm_limit" });
    const ok = await gateway.request("/v1/teams", { headers: { authorization: `Bearer ${MASTER}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-request-id")).toMatch(/^req_/);
    expect((await gateway.request("/openapi.json")).status).toBe(200);
  });
});

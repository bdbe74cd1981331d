/**
 * /openapi.json lists every route the management app serves, the dashboard's session endpoints
 * included, with their schemas, the session cookie and CSRF header as security schemes, and the
 * cookie as the master key's alternative on the management routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagementApp } from "../../src/management/index.js";
import { SessionStateSchema, SignedInSchema, SignedOutSchema } from "../../src/management/schemas/session.js";
import { LocalInvalidationBus } from "../../src/policy/invalidation.js";
import { MASTER, startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

/** Served but deliberately not in the document, each with its reason. */
const UNDOCUMENTED: Record<string, string> = {
  "delete /v1/pricing/{provider}/{model}": "`provider/model` with an unencoded slash: an alias of DELETE /v1/pricing/{model}",
  "get /openapi.json": "the document itself",
};

async function fetchDocument(): Promise<any> {
  const r = await x.call("GET", "/openapi.json", undefined, { authorization: "" });
  expect(r.status).toBe(200);
  return r.body;
}

describe("/openapi.json and the served routes", () => {
  it("documents every method and path the management app serves", async () => {
    const app = createManagementApp({ db: x.store.db, bus: new LocalInvalidationBus(), isMasterKey: (k) => k === MASTER });
    const served = new Set(
      app.routes.filter((r) => ["GET", "POST", "PUT", "PATCH", "DELETE"].includes(r.method)).map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, "{$1}")}`),
    );
    expect(served).toContain("post /ui/api/session");
    expect(served).toContain("get /ui/api/session");
    expect(served).toContain("delete /ui/api/session");
    expect(served.size).toBeGreaterThanOrEqual(35);
    const doc = await fetchDocument();
    for (const route of served) {
      if (UNDOCUMENTED[route]) continue;
      const [method, path] = route.split(" ");
      expect(doc.paths[path]?.[method], route).toBeDefined();
    }
  });

  it("describes the session endpoints: sign-in body, answers, cookie and CSRF header", async () => {
    const doc = await fetchDocument();
    const ops = doc.paths["/ui/api/session"];
    expect(Object.keys(ops).sort()).toEqual(["delete", "get", "post"]);
    expect([ops.post.operationId, ops.get.operationId, ops.delete.operationId]).toEqual(["signIn", "getSession", "signOut"]);

    expect(ops.post.security).toEqual([]);
    expect(ops.post.requestBody).toEqual({ required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/SessionSignIn" } } } });
    expect(doc.components.schemas.SessionSignIn).toMatchObject({
      type: "object",
      properties: { master_key: { type: "string", minLength: 1, maxLength: 4096 } },
      required: ["master_key"],
      additionalProperties: false,
    });
    expect(Object.keys(ops.post.responses).sort()).toEqual(["204", "400", "401", "413", "429"]);
    expect(ops.post.responses["204"].headers["Set-Cookie"].description).toContain("sb_session=<id>; Path=/; HttpOnly; SameSite=Strict");
    expect(ops.post.responses["429"].headers["Retry-After"].schema).toEqual({ type: "integer" });

    expect(ops.get.security).toEqual([{ sessionCookie: [] }, {}]);
    expect(ops.get.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/SessionState" });
    expect(doc.components.schemas.SessionState.anyOf ?? doc.components.schemas.SessionState.oneOf).toEqual([{ $ref: "#/components/schemas/SignedIn" }, { $ref: "#/components/schemas/SignedOut" }]);
    expect(doc.components.schemas.SignedIn.required).toEqual(["signed_in", "csrf_token", "expires_at", "idle_expires_at"]);

    expect(ops.delete.security).toEqual([{ sessionCookie: [], csrfToken: [] }, {}]);
    expect(Object.keys(ops.delete.responses).sort()).toEqual(["204", "403"]);
    expect(ops.delete.responses["204"].headers["Set-Cookie"].description).toContain("Max-Age=0");

    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: "apiKey", in: "cookie", name: "sb_session" });
    expect(doc.components.securitySchemes.csrfToken).toMatchObject({ type: "apiKey", in: "header", name: "x-csrf-token" });
  });

  it("offers the session cookie beside the master key on every management route, with the CSRF header on changes", async () => {
    const doc = await fetchDocument();
    let checked = 0;
    for (const [path, item] of Object.entries<Record<string, { security?: unknown }>>(doc.paths)) {
      if (!/^\/v1\/(keys|users|teams|audit|budgets|pricing|usage|logs|providers)(\/|$)/.test(path)) continue;
      for (const [method, op] of Object.entries(item)) {
        const cookie = method === "get" ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] };
        expect(op.security, `${method} ${path}`).toEqual([{ masterKey: [] }, cookie]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
    // Routes outside the management API take what they took before.
    expect(doc.paths["/v1/responses/{response_id}"].get.security).toEqual([{ apiKey: [] }]);
  });

  it("answers the session endpoints in the shapes the document gives", async () => {
    const noKey = { authorization: "" };
    const out = await x.call("GET", "/ui/api/session", undefined, noKey);
    expect(SignedOutSchema.parse(out.body)).toEqual({ signed_in: false });
    const signIn = await x.call("POST", "/ui/api/session", { master_key: MASTER }, noKey);
    expect(signIn.status).toBe(204);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const live = await x.call("GET", "/ui/api/session", undefined, { ...noKey, cookie });
    expect(SignedInSchema.safeParse(live.body).success).toBe(true);
    expect(SessionStateSchema.safeParse(live.body).success).toBe(true);
    const extra = await x.call("POST", "/ui/api/session", { master_key: MASTER, remember: true }, noKey);
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe("invalid_request");
  });
});

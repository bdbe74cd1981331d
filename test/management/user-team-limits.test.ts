/**
 * Users and teams carry the same rate and concurrency limits as keys (rpm_limit, tpm_limit,
 * rpd_limit, max_parallel; null = no limit): validated like a key's, audited, announced on the
 * invalidation bus, described in the OpenAPI document. A create or update answers with the user
 * or team as it is stored, nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../src/policy/keys.js";
import { startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

const FIELDS = ["rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"] as const;

/** The two resources, by their collection path and id field. */
const RESOURCES = [
  { kind: "user", path: "/v1/users", idField: "user_id" },
  { kind: "team", path: "/v1/teams", idField: "team_id" },
] as const;

async function auditOf(requestId: string) {
  const r = await x.call("GET", "/v1/audit?limit=200");
  return r.body.data.filter((e: { request_id: string }) => e.request_id === requestId);
}

describe.each(RESOURCES)("limits on a $kind", ({ kind, path, idField }) => {
  it("refuses 0, a negative, a fraction, a string and a number too large for the column, naming the field", async () => {
    const cases: Array<[string, unknown]> = [
      ["rpm_limit", 0],
      ["tpm_limit", -5],
      ["rpd_limit", 1.5],
      ["max_parallel", "4"],
      ["rpm_limit", 2_147_483_648],
    ];
    const id = `${kind}-valid`;
    expect((await x.call("POST", path, { [idField]: id })).status).toBe(201);
    for (const [field, value] of cases) {
      for (const [method, url, body] of [
        ["POST", path, { [idField]: `${kind}-bad`, [field]: value }],
        ["PATCH", `${path}/${id}`, { [field]: value }],
      ] as const) {
        const r = await x.call(method, url, body);
        expect(r.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
        expect(r.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param: field });
        expect(r.body.error.message).toContain(field);
      }
    }
    // Nothing was created or changed by the refused requests.
    expect((await x.call("GET", `${path}/${kind}-bad`)).status).toBe(404);
    expect((await x.call("GET", `${path}/${id}`)).body).toMatchObject({ rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null });
  });

  it("a create that sets limits stores them, answers with the stored object, audits and announces them", async () => {
    const id = `${kind}-limited`;
    x.events.length = 0;
    const r = await x.call("POST", path, { [idField]: id, rpm_limit: 60, tpm_limit: 1000, max_parallel: 2 }, { "x-request-id": `${kind}-lim-create` });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ [idField]: id, rpm_limit: 60, tpm_limit: 1000, rpd_limit: null, max_parallel: 2 });
    expect(x.events).toContainEqual(kind === "user" ? { kind: "user", userId: id } : { kind: "team", teamId: id });

    const got = await x.call("GET", `${path}/${id}`);
    expect(r.body).toEqual(got.body);
    expect(r.body).not.toHaveProperty("warnings");

    const [row] = await auditOf(`${kind}-lim-create`);
    expect(row).toMatchObject({ action: `${kind}.create`, target_id: id });
    expect(row.changes).toMatchObject({ rpm_limit: 60, tpm_limit: 1000, rpd_limit: null, max_parallel: 2 });
  });

  it("an update stores the limits, audits only those that changed, as {from, to}, and announces the change", async () => {
    const id = `${kind}-patched`;
    await x.call("POST", path, { [idField]: id, rpm_limit: 10, tpm_limit: 500 });
    const key = (await x.call("POST", "/v1/keys", { [idField]: id })).body;
    x.events.length = 0;
    const p = await x.call("PATCH", `${path}/${id}`, { rpm_limit: 10, tpm_limit: null, rpd_limit: 5000 }, { "x-request-id": `${kind}-lim-patch` });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ rpm_limit: 10, tpm_limit: null, rpd_limit: 5000, max_parallel: null });
    // rpm_limit was sent unchanged, so it is not audited; tpm_limit: null clears.
    expect(p.body).not.toHaveProperty("warnings");
    const [row] = await auditOf(`${kind}-lim-patch`);
    expect(row).toMatchObject({ action: `${kind}.update`, target_id: id });
    expect(row.changes).toEqual({ tpm_limit: { from: 500, to: null }, rpd_limit: { from: null, to: 5000 } });
    // A team's one event reaches its keys in the key cache; a user's change also names each of its keys.
    if (kind === "user")
      expect(x.events).toEqual(
        expect.arrayContaining([
          { kind: "user", userId: id },
          { kind: "key", keyHash: hashKey(key.key) },
        ]),
      );
    else expect(x.events).toEqual([{ kind: "team", teamId: id }]);
    expect((await x.call("GET", `${path}/${id}`)).body).toMatchObject({ rpm_limit: 10, tpm_limit: null, rpd_limit: 5000, max_parallel: null });
  });

  it("a create or update without limits, or clearing them with null, stores no limit", async () => {
    const id = `${kind}-plain`;
    const r = await x.call("POST", path, { [idField]: id, max_parallel: null });
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty("warnings");
    expect(r.body).toMatchObject({ rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null });
    const p = await x.call("PATCH", `${path}/${id}`, { metadata: { a: 1 }, rpm_limit: null });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ metadata: { a: 1 }, rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null });
    expect((await x.call("GET", `${path}/${id}`)).body).toEqual(p.body);
  });

  it("the list shows each one's limits", async () => {
    const id = `${kind}-listed`;
    await x.call("POST", path, { [idField]: id, rpd_limit: 77 });
    const listed = await x.call("GET", `${path}?limit=200`);
    const found = listed.body.data.find((o: Record<string, unknown>) => o[idField] === id);
    expect(found).toMatchObject({ rpm_limit: null, tpm_limit: null, rpd_limit: 77, max_parallel: null });
  });
});

describe("the OpenAPI document", () => {
  it("lists the four limits on User and Team and their create and patch bodies; the create and update answers are User and Team", async () => {
    const doc = (await x.call("GET", "/openapi.json")).body;
    type Schema = { properties?: Record<string, unknown>; required?: string[]; allOf?: Schema[] };
    const schemas: Record<string, Schema> = doc.components.schemas;
    // A schema extending another is written as allOf: [{ $ref }, { properties }].
    const parts = (name: string): Schema[] => [schemas[name], ...(schemas[name].allOf ?? [])];
    const property = (name: string, field: string) =>
      parts(name)
        .map((p) => p.properties?.[field])
        .find(Boolean);
    for (const name of ["UserCreate", "UserPatch", "TeamCreate", "TeamPatch"]) {
      for (const f of FIELDS) {
        expect(property(name, f), `${name}.${f}`).toMatchObject({ type: ["integer", "null"], exclusiveMinimum: 0, maximum: 2_147_483_647 });
      }
    }
    for (const name of ["User", "Team"]) {
      for (const f of FIELDS) expect(property(name, f), `${name}.${f}`).toMatchObject({ type: ["integer", "null"] });
      expect(schemas[name].required).toEqual(expect.arrayContaining([...FIELDS]));
    }
    for (const name of ["User", "Team"]) expect(property(name, "warnings"), name).toBeUndefined();
    const answer = (p: string, method: string, status: string) => doc.paths[p][method].responses[status].content["application/json"].schema.$ref;
    expect([answer("/v1/users", "post", "201"), answer("/v1/users/{user_id}", "patch", "200"), answer("/v1/teams", "post", "201"), answer("/v1/teams/{team_id}", "patch", "200")]).toEqual([
      "#/components/schemas/User",
      "#/components/schemas/User",
      "#/components/schemas/Team",
      "#/components/schemas/Team",
    ]);
  });
});

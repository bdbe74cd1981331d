/**
 * A key's rate and concurrency limits are stored but not enforced yet: a create or update that
 * sets one answers with `warnings` naming each, and the OpenAPI document describes the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

const msg = (field: string) => `${field} is stored but not enforced yet: rate and concurrency limits are not available in this version`;

describe("warnings on keys", () => {
  it("a create that sets limits names each one, and the limits are stored", async () => {
    const r = await x.call("POST", "/v1/keys", { key_name: "limited", rpm_limit: 60, tpm_limit: 1000, max_parallel: 2 });
    expect(r.status).toBe(201);
    expect(r.body.warnings).toEqual([msg("rpm_limit"), msg("tpm_limit"), msg("max_parallel")]);
    expect(r.body).toMatchObject({ rpm_limit: 60, tpm_limit: 1000, rpd_limit: null, max_parallel: 2 });
    const got = await x.call("GET", `/v1/keys/${r.body.id}`);
    expect(got.body).toMatchObject({ rpm_limit: 60, tpm_limit: 1000, max_parallel: 2 });
    expect(got.body).not.toHaveProperty("warnings");
  });

  it("a create or update without them, or clearing them with null, has no warnings field", async () => {
    const r = await x.call("POST", "/v1/keys", { key_name: "plain", rpm_limit: null });
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty("warnings");
    const p = await x.call("PATCH", `/v1/keys/${r.body.id}`, { key_name: "renamed", rpd_limit: null });
    expect(p.status).toBe(200);
    expect(p.body).not.toHaveProperty("warnings");
  });

  it("an update that sets one names it", async () => {
    const r = await x.call("POST", "/v1/keys", { key_name: "later" });
    const p = await x.call("PATCH", `/v1/keys/${r.body.id}`, { rpd_limit: 5000 });
    expect(p.status).toBe(200);
    expect(p.body.warnings).toEqual([msg("rpd_limit")]);
    expect(p.body.rpd_limit).toBe(5000);
  });

  it("is described in the OpenAPI document", async () => {
    const doc = (await x.call("GET", "/openapi.json")).body;
    // A schema extending another is written as allOf: [{ $ref }, { properties }].
    const parts = (name: string): any[] => [doc.components.schemas[name], ...(doc.components.schemas[name].allOf ?? [])];
    for (const name of ["KeyCreated", "KeyUpdated"]) {
      expect(parts(name).map((p) => p.properties?.warnings).find(Boolean)).toMatchObject({ type: "array", items: { type: "string" } });
      expect(parts(name).flatMap((p) => p.required ?? [])).not.toContain("warnings");
    }
    const created = doc.paths["/v1/keys"].post.responses["201"].content["application/json"].schema;
    const updated = doc.paths["/v1/keys/{id}"].patch.responses["200"].content["application/json"].schema;
    expect([created.$ref, updated.$ref]).toEqual(["#/components/schemas/KeyCreated", "#/components/schemas/KeyUpdated"]);
  });
});

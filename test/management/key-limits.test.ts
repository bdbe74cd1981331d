/**
 * A key's rate and concurrency limits (rpm_limit, tpm_limit, rpd_limit, max_parallel; null = no
 * limit): a create or update stores them and answers with the key as it is stored, nothing else;
 * the OpenAPI document describes the create and update answers as the key itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

describe("limits on keys", () => {
  it("a create that sets limits stores them and answers with the stored key and its plaintext only", async () => {
    const r = await x.call("POST", "/v1/keys", { key_name: "limited", rpm_limit: 60, tpm_limit: 1000, max_parallel: 2 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ rpm_limit: 60, tpm_limit: 1000, rpd_limit: null, max_parallel: 2 });
    const got = await x.call("GET", `/v1/keys/${r.body.id}`);
    expect(got.body).toMatchObject({ rpm_limit: 60, tpm_limit: 1000, rpd_limit: null, max_parallel: 2 });
    const { key: _, ...withoutKey } = r.body;
    expect(withoutKey).toEqual(got.body);
    expect(r.body).not.toHaveProperty("warnings");
  });

  it("an update that sets a limit stores it and answers with the stored key", async () => {
    const r = await x.call("POST", "/v1/keys", { key_name: "later" });
    const p = await x.call("PATCH", `/v1/keys/${r.body.id}`, { rpd_limit: 5000 });
    expect(p.status).toBe(200);
    expect(p.body.rpd_limit).toBe(5000);
    expect(p.body).not.toHaveProperty("warnings");
    expect((await x.call("GET", `/v1/keys/${r.body.id}`)).body).toEqual(p.body);
  });

  it("null clears a limit", async () => {
    const r = await x.call("POST", "/v1/keys", { key_name: "cleared", rpm_limit: 10, max_parallel: null });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ rpm_limit: 10, max_parallel: null });
    const p = await x.call("PATCH", `/v1/keys/${r.body.id}`, { rpm_limit: null });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ rpm_limit: null, tpm_limit: null, rpd_limit: null, max_parallel: null });
    expect((await x.call("GET", `/v1/keys/${r.body.id}`)).body).toMatchObject({ rpm_limit: null });
  });

  it("the OpenAPI document gives the create answer as KeyWithSecret and the update answer as Key", async () => {
    const doc = (await x.call("GET", "/openapi.json")).body;
    const created = doc.paths["/v1/keys"].post.responses["201"].content["application/json"].schema;
    const updated = doc.paths["/v1/keys/{id}"].patch.responses["200"].content["application/json"].schema;
    expect([created.$ref, updated.$ref]).toEqual(["#/components/schemas/KeyWithSecret", "#/components/schemas/Key"]);
    expect(doc.paths["/v1/keys"].post.operationId).toBe("createKey");
    expect(doc.paths["/v1/keys/{id}"].patch.operationId).toBe("updateKey");
    for (const name of ["Key", "KeyWithSecret"]) {
      const parts = [doc.components.schemas[name], ...(doc.components.schemas[name].allOf ?? [])];
      expect(
        parts.some((p) => p.properties && "warnings" in p.properties),
        name,
      ).toBe(false);
    }
  });
});

/** The OpenAPI document is ready for client generation, and /docs renders it from local files. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { operationIdFor } from "../../src/management/operation-ids.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({});
});
afterAll(async () => {
  await gw?.stop();
});

describe("/openapi.json", () => {
  it("names this gateway in servers and gives every operation a unique operationId", async () => {
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { servers: Array<{ url: string }>; paths: Record<string, Record<string, { operationId?: string }>> };
    expect(doc.servers).toEqual([{ url: gw.url, description: "this gateway" }]);
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        ids.push(op.operationId!);
      }
    }
    expect(ids.length).toBeGreaterThanOrEqual(30);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths["/v1/keys"].post.operationId).toBe("createKey");
    expect(doc.paths["/v1/keys/{id}/rotate"].post.operationId).toBe("rotateKey");
    expect(doc.paths["/v1/users/{user_id}/usage"].get.operationId).toBe("getUserUsage");
    expect(doc.paths["/v1/logs/{request_id}"].get.operationId).toBe("getRequestReceipt");
    expect(doc.paths["/v1/responses/{response_id}"].get.operationId).toBe("getResponse");
    expect(doc.paths["/v1/responses/{response_id}"].delete.operationId).toBe("deleteResponse");
    expect(doc.paths["/v1/responses/{response_id}/input_items"].get.operationId).toBe("listResponseInputItems");
  });

  it("derives names the same way for any route", () => {
    expect(operationIdFor("get", "/v1/teams")).toBe("listTeams");
    expect(operationIdFor("patch", "/v1/budgets/{budget_id}")).toBe("updateBudget");
    expect(operationIdFor("get", "/v1/batches/{batch_id}")).toBe("getBatch");
    expect(operationIdFor("delete", "/v1/users/{user_id}")).toBe("deleteUser");
  });
});

describe("/docs", () => {
  it("serves Swagger UI from the gateway itself, pointed at /openapi.json", async () => {
    const page = await fetch(`${gw.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    const assets = [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(["/docs/favicon-32x32.png", "/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/init.js"]);
    for (const a of assets) {
      const r = await fetch(gw.url + a);
      expect(r.status, a).toBe(200);
      expect((await r.arrayBuffer()).byteLength, a).toBeGreaterThan(a.endsWith("init.js") ? 20 : 500);
    }
    expect(await (await fetch(`${gw.url}/docs/init.js`)).text()).toContain('url: "/openapi.json"');
    expect((await fetch(`${gw.url}/docs/package.json`)).status).toBe(404);
    expect((await fetch(`${gw.url}/docs/..%2Fpackage.json`)).status).toBe(404);
  });
});

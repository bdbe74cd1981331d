/** The gateway on a real PostgreSQL server (DATABASE_URL): same schema, same ledger, same behaviour. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listUsageByRequest } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { withPostgres, type TestDatabase } from "../store/pg-helper.js";

let pg: TestDatabase | null;
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  pg = await withPostgres();
  if (!pg) return;
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-pg-test-000000" } } }, { databaseUrl: pg.url });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
  await pg?.drop();
});

describe("gateway on PostgreSQL", () => {
  it("migrates a fresh database, serves chat and streams, and writes the ledger", async (ctx) => {
    if (!pg) return ctx.skip();
    expect(gw.store.kind).toBe("postgres");
    const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as any;
    expect(ready.checks.database.status).toBe("ok");

    fake.enqueue({ text: "from postgres", usage: { prompt_tokens: 4, completion_tokens: 2 } });
    const { response } = await gw.client.chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] }).withResponse();
    fake.enqueue({ text: "streamed", usage: { prompt_tokens: 5, completion_tokens: 1 } });
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", stream: true, messages: [{ role: "user", content: "hi" }] });
    await res.text();

    await gw.usage.flush();
    const a = await listUsageByRequest(gw.store.db, response.headers.get("x-request-id")!);
    const b = await listUsageByRequest(gw.store.db, res.headers.get("x-request-id")!);
    expect(a[0]).toMatchObject({ promptTokens: 4, completionTokens: 2, streamed: false, status: 200 });
    expect(b[0]).toMatchObject({ promptTokens: 5, completionTokens: 1, streamed: true, status: 200 });
  });
});

/**
 * Models with no price anywhere, through the real HTTP gateway: a request served by one says so
 * in `x-switchboard-warnings`; with `pricing.require: true` it is refused with 402
 * model_not_priced before any upstream call, and nothing is charged or recorded.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { keyWithBudget as budgetKey } from "../support/budget-keys.js";

let fake: FakeOpenAI;
let open: TestGateway;
let strict: TestGateway;

const setup = (require: boolean) => ({
  providers: { local: { type: "vllm", base_url: fake.url }, priced: { type: "vllm", base_url: fake.url } },
  // One token costs one micro-USD, in and out.
  pricing: { ...(require ? { require: true } : {}), "priced:llama3": { input: 1, output: 1 } },
  models: [
    { name: "mixed", strategy: "least-busy", deployments: ["priced:llama3", "local:llama3"] },
    { name: "paid", deployments: ["priced:llama3"] },
  ],
  routing: { retries: 0 },
});

beforeAll(async () => {
  fake = await startFakeOpenAI();
  [open, strict] = await Promise.all([startTestGateway(setup(false)), startTestGateway(setup(true))]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), strict?.stop()]);
  await fake?.close();
});
beforeEach(() => fake.reset());

const messages = [{ role: "user", content: "hello" }];
const UNPRICED = "no price is known for local:llama3: this request is recorded at $0 and no budget limits it (set a price under `pricing:` in the configuration or with POST /v1/pricing)";

/** A key with an enforcing budget of `micros`, straight in the store. */
const keyWithBudget = (gw: TestGateway, maxMicros: number) => budgetKey(gw, { maxMicros });

async function ledgerRows(gw: TestGateway, provider: string): Promise<{ n: number; micros: number }> {
  await gw.usage.flush();
  const r = await gw.store.db
    .selectFrom("usage")
    .select([sql<string>`count(*)`.as("n"), sql<string>`coalesce(sum(cost_total_micros),0)`.as("s")])
    .where("provider", "=", provider)
    .executeTakeFirstOrThrow();
  return { n: Number(r.n), micros: Number(r.s) };
}

describe("a model with no price, pricing.require off (the default)", () => {
  it("is served, at $0, with a warning naming it: chat, stream and embeddings", async () => {
    for (const stream of [false, true]) {
      const res = await open.post("/v1/chat/completions", { model: "local:llama3", messages, stream });
      expect(res.status).toBe(200);
      await res.text();
      expect(res.headers.get("x-switchboard-warnings")).toBe(UNPRICED);
      if (!stream) expect(res.headers.get("x-switchboard-cost-usd")).toBe("0");
    }
    const emb = await open.post("/v1/embeddings", { model: "local:llama3", input: "hello" });
    expect(emb.status).toBe(200);
    expect(emb.headers.get("x-switchboard-warnings")).toBe(UNPRICED);
    expect(fake.calls).toHaveLength(3);
  });

  it("a priced model has no such warning and costs money", async () => {
    fake.setDefault({ usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const res = await open.post("/v1/chat/completions", { model: "priced:llama3", messages });
    fake.setDefault({});
    expect(res.status).toBe(200);
    expect(res.headers.get("x-switchboard-warnings")).toBeNull();
    expect(res.headers.get("x-switchboard-cost-usd")).toBe("0.000015");
  });

  it("an alias warns only when its unpriced deployment is the one that serves", async () => {
    const first = await open.post("/v1/chat/completions", { model: "mixed", messages });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-switchboard-provider")).toBe("priced");
    expect(first.headers.get("x-switchboard-warnings")).toBeNull();
    fake.enqueue({ status: 500 });
    const fallback = await open.post("/v1/chat/completions", { model: "mixed", messages });
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get("x-switchboard-provider")).toBe("local");
    expect(fallback.headers.get("x-switchboard-warnings")).toBe(UNPRICED);
  });
});

describe("pricing.require: true", () => {
  const refused = async (res: Response, message: string) => {
    expect(res.status).toBe(402);
    expect(((await res.json()) as { error: unknown }).error).toEqual({ code: "model_not_priced", type: "invalid_request_error", param: "model", message });
  };
  const direct = "model 'local:llama3' is refused: it has no price and pricing.require is on (set a price under `pricing:` in the configuration or with POST /v1/pricing)";

  it("refuses a model with no price with 402 before any upstream call: chat, stream, embeddings, and an alias that may reach one", async () => {
    await refused(await strict.post("/v1/chat/completions", { model: "local:llama3", messages }), direct);
    await refused(await strict.post("/v1/chat/completions", { model: "local:llama3", messages, stream: true }), direct);
    await refused(await strict.post("/v1/embeddings", { model: "local:llama3", input: "hello" }), direct);
    await refused(
      await strict.post("/v1/chat/completions", { model: "mixed", messages }),
      "model 'mixed' is refused: local:llama3 has no price and pricing.require is on (set a price under `pricing:` in the configuration or with POST /v1/pricing)",
    );
    expect(fake.calls).toHaveLength(0);
    expect(await ledgerRows(strict, "local")).toEqual({ n: 0, micros: 0 });
  });

  it("charges nothing against a budget: three requests under a $0.000001 budget are all refused", async () => {
    const { key, id } = await keyWithBudget(strict, 1);
    for (let i = 0; i < 3; i++) {
      await refused(await strict.post("/v1/chat/completions", { model: "local:llama3", messages }, { authorization: `Bearer ${key}` }), direct);
    }
    expect(fake.calls).toHaveLength(0);
    const a = strict.runtime.budgets.book.get("key", id)!;
    expect([a.spendMicros, a.reservedMicros]).toEqual([0, 0]);
  });

  it("serves priced models, and an alias whose every deployment is priced", async () => {
    for (const model of ["priced:llama3", "paid"]) {
      const res = await strict.post("/v1/chat/completions", { model, messages });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-switchboard-warnings")).toBeNull();
    }
    expect(fake.calls).toHaveLength(2);
  });
});

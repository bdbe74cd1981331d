/**
 * Request tags (`x-switchboard-tags`) and metadata (the body's `metadata`): bounded (400
 * otherwise), recorded with the ledger rows, shown in `/v1/logs` and filterable there
 * (`?tag=`, `?metadata.<key>=`) and in `/v1/usage` (`?tag=`, `group_by=tag`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startLoggedGateway, type LoggedGateway } from "./support.js";

let fake: FakeOpenAI;
let gw: LoggedGateway;
const ids: Record<string, string> = {};

const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  gw.call("POST", "/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }], ...body }, headers);

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setDefault({ text: "ok", usage: { prompt_tokens: 3, completion_tokens: 2 } });
  gw = await startLoggedGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-x" } }, pricing: { "up:gpt-4o": { input: 1, output: 1 } } });
  const send = async (name: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await chat(body, headers);
    expect(res.status).toBe(200);
    ids[name] = res.headers.get("x-switchboard-request-id")!;
  };
  await send("a", { metadata: { project: "alpha", env: "prod" } }, { "x-switchboard-tags": "nightly, batch ,nightly" });
  await send("b", { metadata: { project: "beta" } }, { "x-switchboard-tags": "batch" });
  await send("c", {});
  await gw.usage.flush();
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

const listed = async (query: string) => {
  const r = await gw.call("GET", `/v1/logs?${query}`);
  expect(r.status).toBe(200);
  return (r.body.data as Array<{ request_id: string }>).map((d) => d.request_id).filter((id) => Object.values(ids).includes(id));
};

describe("tags and metadata", () => {
  it("are recorded (tags trimmed, repeats dropped) and shown in the log and the receipt", async () => {
    const r = await gw.call("GET", `/v1/logs/${ids.a}`);
    expect(r.body.tags).toEqual(["nightly", "batch"]);
    expect(r.body.metadata).toEqual({ project: "alpha", env: "prod" });
    const list = await gw.call("GET", "/v1/logs");
    const c = list.body.data.find((d: any) => d.request_id === ids.c);
    expect([c.tags, c.metadata]).toEqual([null, null]);
  });

  it("filter /v1/logs by tag and by metadata pairs", async () => {
    expect(await listed("tag=batch")).toEqual([ids.b, ids.a]);
    expect(await listed("tag=nightly")).toEqual([ids.a]);
    expect(await listed("metadata.project=beta")).toEqual([ids.b]);
    expect(await listed("metadata.project=alpha&metadata.env=prod")).toEqual([ids.a]);
    expect(await listed("metadata.project=alpha&metadata.env=dev")).toEqual([]);
    expect(await listed("tag=batch&metadata.project=alpha")).toEqual([ids.a]);
  });

  it("filter and group /v1/usage by tag", async () => {
    const one = await gw.call("GET", "/v1/usage?tag=batch");
    expect(one.status).toBe(200);
    expect(one.body.data[0]).toMatchObject({ requests: 2, prompt_tokens: 6, completion_tokens: 4 });
    const grouped = await gw.call("GET", "/v1/usage?group_by=tag");
    expect(grouped.status).toBe(200);
    const byTag = Object.fromEntries(grouped.body.data.map((r: any) => [String(r.tag), r.requests]));
    expect(byTag).toMatchObject({ batch: 2, nightly: 1 });
    expect(byTag.null).toBeGreaterThanOrEqual(1);
  });

  it("out of bounds: 400 invalid_request, nothing sent upstream", async () => {
    const before = fake.calls.length;
    const cases: Array<[Record<string, unknown>, Record<string, string>, string]> = [
      [{}, { "x-switchboard-tags": Array.from({ length: 17 }, (_, i) => `t${i}`).join(",") }, "x-switchboard-tags"],
      [{}, { "x-switchboard-tags": "x".repeat(65) }, "x-switchboard-tags"],
      [{}, { "x-switchboard-tags": "has space" }, "x-switchboard-tags"],
      [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])) }, {}, "metadata"],
      [{ metadata: { ["k".repeat(65)]: "v" } }, {}, "metadata"],
      [{ metadata: { k: "v".repeat(513) } }, {}, "metadata"],
      [{ metadata: { k: 1 } }, {}, "metadata"],
      [{ metadata: ["a"] }, {}, "metadata"],
    ];
    for (const [body, headers, param] of cases) {
      const res = await chat(body, headers);
      expect([res.status, res.body.error.code, res.body.error.param]).toEqual([400, "invalid_request", param]);
    }
    expect(fake.calls.length).toBe(before);
    // At the bounds: accepted.
    const ok = await chat(
      { metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, "k"), "v".repeat(512)])) },
      { "x-switchboard-tags": Array.from({ length: 16 }, (_, i) => `t${i}`.padEnd(64, "x")).join(",") },
    );
    expect(ok.status).toBe(200);
  });

  it("bad filters: 400", async () => {
    expect((await gw.call("GET", `/v1/logs?metadata.${"k".repeat(65)}=v`)).status).toBe(400);
    expect((await gw.call("GET", `/v1/usage?tag=${"t".repeat(65)}`)).status).toBe(400);
  });
});

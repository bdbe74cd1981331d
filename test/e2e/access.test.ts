/** Virtual keys end to end: management API → inference with the official SDK → usage ledger. */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { listUsageByRequest } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { runCli } from "../support/cli.js";

const PROVIDER_CANARY = "sk-provider-canary-7f3a9c1e5b";
let fake: FakeOpenAI;
let gw: TestGateway;
const logs: string[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({
    providers: { up: { type: "openai", base_url: fake.url, api_key: PROVIDER_CANARY } },
    models: [{ name: "fast", deployments: [{ model: "up:gpt-4o-mini" }] }],
  });
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      logs.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    });
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : null };
}
const sdk = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
const chat = (key: string, model = "up:gpt-4o") => sdk(key).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const responses: string[] = [];

describe("virtual keys on inference", () => {
  let key: string;
  let keyId: string;

  it("a key created through the API works with the OpenAI SDK, and usage rows carry key, user and team", async () => {
    expect((await admin("POST", "/v1/teams", { team_id: "t-acc", name: "Accounting" })).status).toBe(201);
    expect((await admin("POST", "/v1/users", { user_id: "u-acc", team_id: "t-acc" })).status).toBe(201);
    const created = await admin("POST", "/v1/keys", { key_name: "acc", user_id: "u-acc" });
    responses.push(created.text);
    expect(created.status).toBe(201);
    key = created.json.key;
    keyId = created.json.id;
    expect(key).toMatch(/^sb-live-/);
    const { response } = await sdk(key)
      .chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    await gw.usage.flush();
    const [row] = await listUsageByRequest(gw.store.db, response.headers.get("x-request-id")!);
    expect(row).toMatchObject({ keyId, userId: "u-acc", teamId: "t-acc", status: 200 });
  });

  it("a key revoked while a request is in flight is refused by the next request", async () => {
    let answer!: () => void;
    fake.enqueue({ text: "slow answer", holdUntil: new Promise<void>((r) => (answer = r)) });
    const inflight = chat(key);
    await fake.received(1); // past authentication: the request waits on the upstream
    expect((await admin("DELETE", `/v1/keys/${keyId}`)).status).toBe(200);
    await expect(chat(key)).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    expect(fake.calls).toHaveLength(1);
    answer();
    expect((await inflight).choices[0].message.content).toBe("slow answer");
    await expect(chat(key)).rejects.toMatchObject({ status: 401 });
  });

  it("deactivate and reactivate take effect at once; unknown, expired and revoked keys get the same 401", async () => {
    const k = (await admin("POST", "/v1/keys", { key_name: "toggle" })).json;
    await chat(k.key);
    await admin("PATCH", `/v1/keys/${k.id}`, { is_active: false });
    const inactive = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] }, { authorization: `Bearer ${k.key}` });
    await admin("PATCH", `/v1/keys/${k.id}`, { is_active: true });
    await chat(k.key);

    const expired = (await admin("POST", "/v1/keys", { expires_at: "2020-01-01T00:00:00Z" })).json;
    expect(expired.status).toBe("expired");
    const exp = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] }, { authorization: `Bearer ${expired.key}` });
    const unknown = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] }, { authorization: `Bearer sb-live-${"A".repeat(32)}` });
    const bodies = await Promise.all([inactive, exp, unknown].map(async (r) => [r.status, await r.json()]));
    for (const [status, body] of bodies) {
      expect(status).toBe(401);
      expect(body).toEqual(bodies[0][1]);
    }
  });

  it("rotation: the old secret stops working, the new one works", async () => {
    const k = (await admin("POST", "/v1/keys", {})).json;
    await chat(k.key);
    const rotated = await admin("POST", `/v1/keys/${k.id}/rotate`);
    responses.push(rotated.text);
    await expect(chat(k.key)).rejects.toMatchObject({ status: 401 });
    await chat(rotated.json.key);
  });

  it("allowed_models: globs, provider:model and provider/model alike; /v1/models shows only those", async () => {
    const k = (await admin("POST", "/v1/keys", { allowed_models: ["up:gpt-4o*", "fast"] })).json;
    await chat(k.key, "up/gpt-4o-mini");
    await chat(k.key, "fast");
    await expect(chat(k.key, "up:o3")).rejects.toMatchObject({ status: 403, code: "permission_denied" });
    await expect(chat(k.key, "mock:mock-1")).rejects.toMatchObject({ status: 403 });
    const ids = (await sdk(k.key).models.list()).data.map((m) => m.id);
    expect(ids).toContain("fast");
    expect(ids).toContain("up:gpt-4o");
    expect(ids).not.toContain("mock:mock-1");
  });

  it("allowed_ips: requests from outside the ranges are refused (IPv4 and IPv6 loopback)", async () => {
    const outside = (await admin("POST", "/v1/keys", { allowed_ips: ["10.0.0.0/8", "2001:db8::/32"] })).json;
    await expect(chat(outside.key)).rejects.toMatchObject({ status: 403, code: "permission_denied" });
    const inside = (await admin("POST", "/v1/keys", { allowed_ips: ["127.0.0.0/8", "::1"] })).json;
    await chat(inside.key);
  });

  it("a blocked user's keys are refused at once, and work again when unblocked", async () => {
    await admin("POST", "/v1/users", { user_id: "u-block" });
    const k = (await admin("POST", "/v1/keys", { user_id: "u-block" })).json;
    await chat(k.key);
    await admin("PATCH", "/v1/users/u-block", { blocked: true });
    await expect(chat(k.key)).rejects.toMatchObject({ status: 403 });
    await admin("PATCH", "/v1/users/u-block", { blocked: false });
    await chat(k.key);
  });

  it("the master key may act for a user named in the body (an existing one)", async () => {
    const unknown = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", user: "end-user-42", messages: [{ role: "user", content: "x" }] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { param: string } }).error.param).toBe("user");
    expect((await admin("POST", "/v1/users", { user_id: "end-user-42" })).status).toBe(201);
    const res = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", user: "end-user-42", messages: [{ role: "user", content: "x" }] });
    expect(res.status).toBe(200);
    await gw.usage.flush();
    const [row] = await listUsageByRequest(gw.store.db, res.headers.get("x-request-id")!);
    expect(row.userId).toBe("end-user-42");
    expect(row.keyId).toBeNull();
  });

  it("a virtual key cannot use the management API", async () => {
    const k = (await admin("POST", "/v1/keys", {})).json;
    const res = await fetch(`${gw.url}/v1/keys`, { headers: { authorization: `Bearer ${k.key}` } });
    expect(res.status).toBe(403);
  });
});

describe("CLI", () => {
  it("keys create, list and revoke against a running gateway", async () => {
    const env = { SWITCHBOARD_URL: gw.url, SWITCHBOARD_MASTER_KEY: gw.masterKey };
    const created = await runCli(["keys", "create", "--name", "from-cli", "--json"], { env });
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    await chat(key.key);
    const list = await runCli(["keys", "list", "--json"], { env });
    expect(list.stdout).toContain("from-cli");
    expect(list.stdout).not.toContain(key.key);
    expect((await runCli(["keys", "revoke", key.id], { env })).code).toBe(0);
    await expect(chat(key.key)).rejects.toMatchObject({ status: 401 });
    const users = await runCli(["users", "create", "--id", "cli-user"], { env });
    expect(users.code).toBe(0);
    expect((await runCli(["users", "list"], { env })).stdout).toContain("cli-user");
    const bad = await runCli(["keys", "list"], { env: { SWITCHBOARD_URL: gw.url, SWITCHBOARD_MASTER_KEY: "wrong" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("secrets never leak", () => {
  it("no API response, audit record or log line contains a provider key or a virtual key", async () => {
    const created = await admin("POST", "/v1/keys", { key_name: "canary" });
    const virtualKey = created.json.key as string;
    await chat(virtualKey);
    fake.enqueue({ status: 401, error: { message: `Incorrect API key provided: ${PROVIDER_CANARY}` } });
    const upstreamFail = await gw.post("/v1/chat/completions", { model: "up:gpt-4o", messages: [{ role: "user", content: "x" }] });
    const seen = [
      await upstreamFail.text(),
      (await admin("GET", "/v1/keys")).text,
      (await admin("GET", `/v1/keys/${created.json.id}`)).text,
      (await admin("GET", "/v1/audit?limit=200")).text,
      (await admin("GET", "/v1/users")).text,
      await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${virtualKey}` } })).text(),
      await (await fetch(`${gw.url}/openapi.json`)).text(),
      await (await fetch(`${gw.url}/readyz`)).text(),
      ...logs,
    ].join("\n");
    expect(seen).not.toContain(PROVIDER_CANARY);
    expect(seen).not.toContain(virtualKey);
    for (const r of responses) {
      const secret = JSON.parse(r).key as string;
      expect(seen).not.toContain(secret);
    }
    const audit = await gw.store.db.selectFrom("audit_events").select("changes").execute();
    expect(JSON.stringify(audit)).not.toMatch(/sb-(live|test)-[0-9A-Za-z]{8}/);
  });
});

/**
 * The master key acting for the user named in a request's `user` field is refused as that
 * user's own keys are (user blocked, team blocked), refused for a user that does not exist, and
 * counts against the user's and the team's budgets.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listUsageByRequest } from "../../src/usage/query.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let fake: FakeOpenAI;
let gw: TestGateway;
const messages = [{ role: "user", content: "hi" }];

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(gw.url + path, {
    method,
    headers: { authorization: `Bearer ${gw.masterKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const chat = (user: string | undefined, headers: Record<string, string> = {}) =>
  gw.post("/v1/chat/completions", { model: "up:gpt-4o", max_tokens: 10, messages, ...(user === undefined ? {} : { user }) }, headers);

async function refused(res: Response, status: number, code: string, message: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  const { error } = (await res.json()) as { error: Record<string, unknown> };
  expect(error).toMatchObject({ code, message });
  return error;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } } });
  expect((await admin("POST", "/v1/teams", { team_id: "open-team" })).status).toBe(201);
  expect((await admin("POST", "/v1/teams", { team_id: "closed-team", blocked: true })).status).toBe(201);
  expect((await admin("POST", "/v1/users", { user_id: "alice", team_id: "open-team" })).status).toBe(201);
  expect((await admin("POST", "/v1/users", { user_id: "bob", blocked: true })).status).toBe(201);
  expect((await admin("POST", "/v1/users", { user_id: "carol", team_id: "closed-team" })).status).toBe(201);
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("the master key acting for a user", () => {
  it("serves an allowed user, and the usage row carries the user and their team", async () => {
    const res = await chat("alice");
    expect(res.status).toBe(200);
    await gw.usage.flush();
    const [row] = await listUsageByRequest(gw.store.db, res.headers.get("x-switchboard-request-id")!);
    expect([row.keyId, row.userId, row.teamId]).toEqual([null, "alice", "open-team"]);
  });

  it("refuses a blocked user, a user whose team is blocked, and a user that does not exist, before any upstream call", async () => {
    await refused(await chat("bob"), 403, "permission_denied", "user 'bob' is blocked");
    await refused(await chat("carol"), 403, "permission_denied", "the team of user 'carol' is blocked");
    const e = await refused(await chat("nobody"), 400, "invalid_request", "user 'nobody' does not exist: the master key can act only for an existing user");
    expect(e.param).toBe("user");
    await refused(await chat("u".repeat(100_000)), 400, "invalid_request", `user '${"u".repeat(64)}…' does not exist: the master key can act only for an existing user`);
    const emb = await gw.post("/v1/embeddings", { model: "up:text-embedding-3-small", input: "x", user: "bob" });
    await refused(emb, 403, "permission_denied", "user 'bob' is blocked");
    expect(fake.calls).toHaveLength(0);
    // Without a `user` the master key acts for no one and is served.
    expect((await chat(undefined)).status).toBe(200);
  });

  it("is refused like the user's own key", async () => {
    const key = (await admin("POST", "/v1/keys", { key_name: "bobs", user_id: "bob" })).body;
    await refused(await chat(undefined, { authorization: `Bearer ${key.key}` }), 403, "permission_denied", "this key's user is blocked");
    await refused(await chat("bob"), 403, "permission_denied", "user 'bob' is blocked");
    expect(fake.calls).toHaveLength(0);
  });

  it("blocking and unblocking take effect at once, for the user and for their team", async () => {
    expect((await chat("alice")).status).toBe(200);
    expect((await admin("PATCH", "/v1/users/alice", { blocked: true })).status).toBe(200);
    await refused(await chat("alice"), 403, "permission_denied", "user 'alice' is blocked");
    expect((await admin("PATCH", "/v1/users/alice", { blocked: false })).status).toBe(200);
    expect((await chat("alice")).status).toBe(200);
    expect((await admin("PATCH", "/v1/teams/open-team", { blocked: true })).status).toBe(200);
    await refused(await chat("alice"), 403, "permission_denied", "the team of user 'alice' is blocked");
    expect((await admin("PATCH", "/v1/teams/open-team", { blocked: false })).status).toBe(200);
    expect((await chat("alice")).status).toBe(200);
    // A user created after a lookup found none is served once created.
    await refused(await chat("dave"), 400, "invalid_request", "user 'dave' does not exist: the master key can act only for an existing user");
    expect((await admin("POST", "/v1/users", { user_id: "dave" })).status).toBe(201);
    expect((await chat("dave")).status).toBe(200);
    expect((await admin("DELETE", "/v1/users/dave")).status).toBe(200);
    await refused(await chat("dave"), 400, "invalid_request", "user 'dave' does not exist: the master key can act only for an existing user");
  });

  it("counts against the team's budget", async () => {
    await admin("POST", "/v1/pricing", { model: "up:gpt-4o", input_price_per_million: 1000, output_price_per_million: 1000 });
    expect((await admin("POST", "/v1/budgets", { budget_id: "team-cap", max_budget: 0.001, budget_duration: "1d" })).status).toBe(201);
    expect((await admin("PATCH", "/v1/teams/open-team", { budget_id: "team-cap" })).status).toBe(200);
    const res = await chat("alice");
    const error = await refused(res, 402, "budget_exceeded", expect.stringContaining("budget 'team-cap' (team open-team)"));
    expect(error).toMatchObject({ budget_id: "team-cap", subject_type: "team", subject_id: "open-team" });
    expect(fake.calls).toHaveLength(0);
    expect((await admin("PATCH", "/v1/teams/open-team", { budget_id: null })).status).toBe(200);
  });
});

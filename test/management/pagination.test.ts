/** Lists: `{"object":"list","data","next_cursor"}`, newest first, stable keyset pages. */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

let x: Harness;
beforeAll(async () => {
  x = await startHarness();
});
afterAll(() => x?.close());

/** Every page of a list, following next_cursor. */
async function walk(path: string, limit: number): Promise<{ pages: any[][]; all: any[] }> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const r = await x.call("GET", `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(r.status).toBe(200);
    expect(r.body.object).toBe("list");
    expect(r.body.data.length).toBeLessThanOrEqual(limit);
    pages.push(r.body.data);
    cursor = r.body.next_cursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor);
  return { pages, all: pages.flat() };
}

describe("pagination", () => {
  it("pages keys, users and teams newest first without gaps or repeats", async () => {
    const keyIds: string[] = [];
    for (let i = 0; i < 7; i++) keyIds.push((await x.call("POST", "/v1/keys", { key_name: `k${i}` })).body.id);
    for (let i = 0; i < 5; i++) await x.call("POST", "/v1/users", { user_id: `pu${i}` });
    for (let i = 0; i < 5; i++) await x.call("POST", "/v1/teams", { team_id: `pt${i}` });

    const keys = await walk("/v1/keys", 3);
    expect(keys.pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(keys.all.map((k) => k.id)).toEqual([...keyIds].reverse());
    for (const k of keys.all) expect(k).not.toHaveProperty("key");

    const users = await walk("/v1/users", 2);
    expect(users.all.map((u) => u.user_id)).toEqual(["pu4", "pu3", "pu2", "pu1", "pu0"]);
    const teams = await walk("/v1/teams", 5);
    expect(teams.pages.map((p) => p.length)).toEqual([5]);
    expect(teams.all.map((t) => t.team_id)).toEqual(["pt4", "pt3", "pt2", "pt1", "pt0"]);

    const first = await x.call("GET", "/v1/keys");
    expect(first.body.data).toHaveLength(7);
    expect(first.body.next_cursor).toBeNull();
  });

  it("orders rows with equal timestamps by id and keeps microsecond differences apart", async () => {
    const db = x.store.db;
    const same = new Date("2001-01-01T00:00:00.000Z");
    for (const id of ["tie-a", "tie-c", "tie-b"]) await db.insertInto("teams").values({ team_id: id, metadata: "{}", created_at: same, updated_at: same }).execute();
    for (const [id, ts] of [
      ["us-1", "2001-01-01T00:00:00.000001Z"],
      ["us-2", "2001-01-01T00:00:00.000002Z"],
      ["us-3", "2001-01-01T00:00:00.000003Z"],
    ]) {
      await sql`insert into teams (team_id, metadata, created_at, updated_at) values (${id}, '{}'::jsonb, ${ts}::timestamptz, now())`.execute(db);
    }
    for (const limit of [1, 2, 4]) {
      const { all } = await walk("/v1/teams", limit);
      const old = all.map((t) => t.team_id).filter((id: string) => id.startsWith("tie-") || id.startsWith("us-"));
      expect(old, `limit ${limit}`).toEqual(["us-3", "us-2", "us-1", "tie-c", "tie-b", "tie-a"]);
    }
  });

  it("pages the audit log and the filtered key list", async () => {
    const { all } = await walk("/v1/audit", 4);
    const ids = all.map((e) => Number(e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.length).toBe(17);
    const active = await walk("/v1/keys?status=active", 2);
    expect(active.all).toHaveLength(7);
  });

  it("refuses a cursor that is not one of ours with 400", async () => {
    for (const cursor of ["x", "!!!", Buffer.from("[1,2]").toString("base64url"), Buffer.from('["2024-01-01T00:00:00Z","a"]').toString("base64url")]) {
      const r = await x.call("GET", `/v1/keys?cursor=${encodeURIComponent(cursor)}`);
      expect(r.status, cursor).toBe(400);
      expect(r.body.error).toMatchObject({ code: "invalid_request", param: "cursor" });
    }
  });
});

/** The users' standing cache: one lookup then memory, invalidation by user, team and "all", and the race with a change. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalInvalidationBus } from "../../src/policy/invalidation.js";
import { UserCache } from "../../src/policy/user-cache.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.store.db.insertInto("teams").values({ team_id: "uc-team", metadata: "{}" }).execute();
  await gw.store.db.insertInto("users").values({ user_id: "uc-alice", team_id: "uc-team", metadata: "{}" }).execute();
});
afterAll(async () => {
  await gw?.stop();
});

describe("UserCache", () => {
  it("looks a user up once, then answers from memory; an unknown user is null", async () => {
    const cache = new UserCache(gw.store.db, new LocalInvalidationBus());
    const first = cache.get("uc-alice");
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ userId: "uc-alice", teamId: "uc-team", blocked: false, teamBlocked: false, limitSubjects: [] });
    expect(cache.get("uc-alice")).toEqual({ userId: "uc-alice", teamId: "uc-team", blocked: false, teamBlocked: false, limitSubjects: [] });
    expect(await cache.get("uc-nobody")).toBeNull();
    expect(cache.get("uc-nobody")).toBeNull(); // remembered briefly, no second lookup
  });

  it("a user, team or 'all' invalidation drops what it concerns", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new UserCache(gw.store.db, bus);
    await cache.get("uc-alice");
    await gw.store.db.updateTable("teams").set({ blocked: true }).where("team_id", "=", "uc-team").execute();
    expect((cache.get("uc-alice") as { teamBlocked: boolean }).teamBlocked).toBe(false);
    bus.publish({ kind: "team", teamId: "other-team" });
    expect(cache.get("uc-alice")).not.toBeInstanceOf(Promise);
    bus.publish({ kind: "team", teamId: "uc-team" });
    expect((await cache.get("uc-alice"))!.teamBlocked).toBe(true);
    await gw.store.db.updateTable("teams").set({ blocked: false }).where("team_id", "=", "uc-team").execute();

    await gw.store.db.updateTable("users").set({ blocked: true }).where("user_id", "=", "uc-alice").execute();
    bus.publish({ kind: "user", userId: "uc-alice" });
    expect(await cache.get("uc-alice")).toMatchObject({ blocked: true, teamBlocked: false });
    await gw.store.db.updateTable("users").set({ blocked: false }).where("user_id", "=", "uc-alice").execute();

    expect(await cache.get("uc-bob")).toBeNull();
    await gw.store.db.insertInto("users").values({ user_id: "uc-bob", metadata: "{}" }).execute();
    bus.publish({ kind: "all" });
    expect(await cache.get("uc-bob")).toEqual({ userId: "uc-bob", teamId: null, blocked: false, teamBlocked: false, limitSubjects: [] });
    expect(await cache.get("uc-alice")).toMatchObject({ blocked: false });
  });

  it("never keeps a lookup that raced with a change", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new UserCache(gw.store.db, bus);
    const pending = cache.get("uc-alice"); // may read the user before or after the change commits
    await gw.store.db.updateTable("users").set({ blocked: true }).where("user_id", "=", "uc-alice").execute();
    bus.publish({ kind: "user", userId: "uc-alice" }); // changes are announced once committed
    await pending;
    expect((await cache.get("uc-alice"))!.blocked).toBe(true);
    await gw.store.db.updateTable("users").set({ blocked: false }).where("user_id", "=", "uc-alice").execute();
  });

  it("a team invalidation drops exactly the team's members, and follows a user who changes team", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new UserCache(gw.store.db, bus);
    await gw.store.db.insertInto("teams").values({ team_id: "uc-team2", metadata: "{}" }).execute();
    await gw.store.db
      .insertInto("users")
      .values([
        { user_id: "uc-carol", team_id: "uc-team", metadata: "{}" },
        { user_id: "uc-dave", team_id: "uc-team2", metadata: "{}" },
        { user_id: "uc-erin", team_id: null, metadata: "{}" },
      ])
      .execute();
    const ids = ["uc-alice", "uc-carol", "uc-dave", "uc-erin", "uc-ghost"];
    /** The users answered from memory; the others are looked up again (and awaited). */
    async function cachedNow(): Promise<string[]> {
      const cached: string[] = [];
      const pending: Promise<unknown>[] = [];
      for (const id of ids) {
        const r = cache.get(id);
        if (r instanceof Promise) pending.push(r);
        else cached.push(id);
      }
      await Promise.all(pending);
      return cached;
    }
    await cachedNow();
    expect(await cachedNow()).toEqual(ids);
    bus.publish({ kind: "team", teamId: "uc-team" });
    expect(await cachedNow()).toEqual(["uc-dave", "uc-erin", "uc-ghost"]);
    bus.publish({ kind: "team", teamId: "uc-team2" });
    expect(await cachedNow()).toEqual(["uc-alice", "uc-carol", "uc-erin", "uc-ghost"]);

    // Dave joins uc-team: once reloaded, he goes with uc-team only.
    await gw.store.db.updateTable("users").set({ team_id: "uc-team" }).where("user_id", "=", "uc-dave").execute();
    bus.publish({ kind: "user", userId: "uc-dave" });
    expect(await cachedNow()).toEqual(["uc-alice", "uc-carol", "uc-erin", "uc-ghost"]);
    expect(cache.get("uc-dave")).toMatchObject({ teamId: "uc-team" });
    bus.publish({ kind: "team", teamId: "uc-team2" });
    expect(await cachedNow()).toEqual(ids);
    bus.publish({ kind: "team", teamId: "uc-team" });
    expect(await cachedNow()).toEqual(["uc-erin", "uc-ghost"]);
    cache.close();
  });
});

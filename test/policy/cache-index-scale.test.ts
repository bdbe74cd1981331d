/**
 * User and team invalidations at scale: 50,000 cached keys of 5,000 users in two teams (1,000 and
 * 4,000 members). Editing a team must drop exactly the keys and users its settings reach, and the
 * caches must find them without going through every other cached key: one pass over every key
 * per member blocked the event loop for seconds.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { updateTeam } from "../../src/management/services/teams.js";
import { LocalInvalidationBus, type InvalidationEvent } from "../../src/policy/invalidation.js";
import { KeyCache } from "../../src/policy/key-cache.js";
import { generateKey, newKeyId } from "../../src/policy/keys.js";
import { UserCache } from "../../src/policy/user-cache.js";
import { openStore, type Store } from "../../src/store/db.js";

const USERS = 5_000;
const KEYS_PER_USER = 10;
/**
 * Generous bounds, for a busy machine: the indexed caches take about 10 ms for the team edit and
 * 30 ms for 1,000 user events; going through every cached key once per member took 4 to 5 s for each.
 */
const TEAM_EDIT_MS = 100;
const USER_EVENTS_MS = 500;

/** A bus that adds up the time its subscribers spend on each event (the event loop blocked). */
class TimedBus extends LocalInvalidationBus {
  ms = 0;
  events = 0;
  override publish(event: InvalidationEvent): void {
    const t = performance.now();
    super.publish(event);
    this.ms += performance.now() - t;
    this.events++;
  }
}

let dir: string;
let store: Store;
const userIds: string[] = [];
const MEMBERS_A = 1_000;
const teamOf = (u: number) => (u < MEMBERS_A ? "scale-a" : "scale-b");
/** Every key: its hash, its user, its user's team, and the team the key's requests count against. */
const keys: Array<{ hash: string; user: string; userTeam: string; team: string }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sb-cache-scale-"));
  cpSync(inject("storeTemplate"), dir, { recursive: true });
  store = await openStore({ dataDir: dir });
  await store.db
    .insertInto("teams")
    .values([
      { team_id: "scale-a", metadata: "{}" },
      { team_id: "scale-b", metadata: "{}" },
    ])
    .execute();
  const users = [];
  for (let u = 0; u < USERS; u++) {
    userIds.push(`scale-u${u}`);
    users.push({ user_id: `scale-u${u}`, team_id: teamOf(u), metadata: "{}" });
  }
  for (let i = 0; i < users.length; i += 2_000)
    await store.db
      .insertInto("users")
      .values(users.slice(i, i + 2_000))
      .execute();
  const rows = [];
  for (let u = 0; u < USERS; u++) {
    for (let j = 0; j < KEYS_PER_USER; j++) {
      const k = generateKey();
      // Every tenth user's first key belongs to the other team: its own team wins over its user's.
      const own = j === 0 && u % 10 === 0 ? (teamOf(u) === "scale-a" ? "scale-b" : "scale-a") : null;
      keys.push({ hash: k.hash, user: userIds[u], userTeam: teamOf(u), team: own ?? teamOf(u) });
      rows.push({ id: newKeyId(), key_hash: k.hash, key_prefix: k.prefix, user_id: userIds[u], team_id: own, metadata: "{}" });
    }
  }
  for (let i = 0; i < rows.length; i += 2_000)
    await store.db
      .insertInto("api_keys")
      .values(rows.slice(i, i + 2_000) as never)
      .execute();
}, 120_000);
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function cached(cache: { get(id: string): unknown }, id: string): boolean {
  return !(cache.get(id) instanceof Promise);
}

describe("cache invalidation by user and team with 50,000 cached keys", () => {
  it("a team edit drops exactly the team's keys, its members' keys and its members, without going through the rest", async () => {
    const bus = new TimedBus();
    const keyCache = new KeyCache(store.db, bus);
    const userCache = new UserCache(store.db, bus);
    expect(await keyCache.preload()).toBe(USERS * KEYS_PER_USER);
    for (const u of userIds) await userCache.get(u);
    expect(userCache.size).toBe(USERS);

    const actor = { actor: "test", sourceIp: null, requestId: "req-scale" };
    await updateTeam({ db: store.db, bus, isMasterKey: () => false }, actor, "scale-a", { blocked: true, rpm_limit: 7 });
    expect(bus.events).toBeGreaterThan(0);
    expect(bus.ms).toBeLessThan(TEAM_EDIT_MS);

    // Exactly the keys counted against scale-a are gone: every other key is still answered from memory.
    const kept = keys.filter((k) => k.team !== "scale-a");
    // 10,000 keys of scale-a's members, less 100 of their own team scale-b, plus 400 of scale-b's members that are scale-a's.
    expect(kept.length).toBe(USERS * KEYS_PER_USER - 10_300);
    expect(kept.every((k) => cached(keyCache, k.hash))).toBe(true);
    expect(keyCache.size).toBe(kept.length);
    const keptUsers = userIds.filter((_, u) => teamOf(u) !== "scale-a");
    expect(keptUsers.every((u) => cached(userCache, u))).toBe(true);
    expect(userCache.size).toBe(keptUsers.length);

    // The dropped ones are read again with the team's new settings.
    const memberKey = keys.find((k) => k.team === "scale-a" && k.userTeam === "scale-a")!;
    const ownTeamKey = keys.find((k) => k.team === "scale-a" && k.userTeam === "scale-b")!;
    for (const k of [memberKey, ownTeamKey]) {
      expect(cached(keyCache, k.hash)).toBe(false);
      const r = (await keyCache.get(k.hash))!;
      expect(r).toMatchObject({ teamId: "scale-a", teamBlocked: true });
      expect(r.limitSubjects).toContainEqual({ scope: "team", id: "scale-a", limits: { rpm: 7, tpm: null, rpd: null, maxParallel: null } });
    }
    expect(await userCache.get("scale-u0")).toMatchObject({ teamId: "scale-a", teamBlocked: true });
    keyCache.close();
    userCache.close();
  });

  it("one invalidation per member drops only that member's keys, without going through the rest", async () => {
    const bus = new TimedBus();
    const keyCache = new KeyCache(store.db, bus);
    expect(await keyCache.preload()).toBe(USERS * KEYS_PER_USER);
    const members = userIds.filter((_, u) => teamOf(u) === "scale-a");
    expect(members.length).toBe(MEMBERS_A);
    for (const userId of members) bus.publish({ kind: "user", userId });
    expect(bus.events).toBe(members.length);
    expect(bus.ms).toBeLessThan(USER_EVENTS_MS);

    const kept = keys.filter((k) => k.userTeam !== "scale-a");
    expect(kept.every((k) => cached(keyCache, k.hash))).toBe(true);
    expect(keyCache.size).toBe(kept.length);
    keyCache.close();
  });
});

/** The key cache: preload, lookups of unseen keys, invalidation, and the revocation race. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { LocalInvalidationBus } from "../../src/policy/invalidation.js";
import { KeyCache } from "../../src/policy/key-cache.js";
import { generateKey, newKeyId } from "../../src/policy/keys.js";
import { openStore, type Store } from "../../src/store/db.js";

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sb-keycache-"));
  cpSync(inject("storeTemplate"), dir, { recursive: true });
  // One connection: the race test below relies on its queries running in the order they are sent.
  store = await openStore({ dataDir: dir, poolMax: 1 });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function insertKey(extra: Record<string, unknown> = {}) {
  const k = generateKey();
  await store.db
    .insertInto("api_keys")
    .values({ id: newKeyId(), key_hash: k.hash, key_prefix: k.prefix, metadata: "{}", ...extra } as never)
    .execute();
  return k;
}

describe("KeyCache", () => {
  it("preloads usable keys and answers them synchronously", async () => {
    const k = await insertKey();
    const cache = new KeyCache(store.db, new LocalInvalidationBus());
    expect(await cache.preload()).toBeGreaterThanOrEqual(1);
    const r = cache.get(k.hash);
    expect(r).not.toBeInstanceOf(Promise);
    expect((r as { isActive: boolean }).isActive).toBe(true);
  });

  it("looks up a key it has not seen once, then serves it from memory", async () => {
    const cache = new KeyCache(store.db, new LocalInvalidationBus());
    const k = await insertKey({ allowed_models: JSON.stringify(["mock:*"]) });
    const first = cache.get(k.hash);
    expect(first).toBeInstanceOf(Promise);
    expect((await first)!.allowedModels!.allows("mock:x")).toBe(true);
    expect(cache.get(k.hash)).not.toBeInstanceOf(Promise);
    expect(await cache.get("0".repeat(64))).toBeNull();
  });

  it("drops entries on invalidation so the next request sees the change", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new KeyCache(store.db, bus);
    const k = await insertKey();
    await cache.get(k.hash);
    await store.db.updateTable("api_keys").set({ revoked_at: new Date(), is_active: false }).where("key_hash", "=", k.hash).execute();
    expect((cache.get(k.hash) as { revoked: boolean }).revoked).toBe(false);
    bus.publish({ kind: "key", keyHash: k.hash });
    expect((await cache.get(k.hash))!.revoked).toBe(true);
  });

  it("never writes back a lookup that raced with a revocation", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new KeyCache(store.db, bus);
    const k = await insertKey();
    const pending = cache.get(k.hash); // the SELECT is queued first and will see the key active
    const revoke = store.db.updateTable("api_keys").set({ revoked_at: new Date(), is_active: false }).where("key_hash", "=", k.hash).execute();
    bus.publish({ kind: "key", keyHash: k.hash }); // the revocation is announced while the lookup is in flight
    await revoke;
    const seen = await pending;
    const cached = await cache.get(k.hash);
    expect(cached!.revoked).toBe(true);
    expect(seen!.revoked).toBe(true);
  });

  it("user and team invalidations drop their keys", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new KeyCache(store.db, bus);
    await store.db.insertInto("teams").values({ team_id: "t-cache", metadata: "{}" }).execute();
    await store.db.insertInto("users").values({ user_id: "u-cache", team_id: "t-cache", metadata: "{}" }).execute();
    const k = await insertKey({ user_id: "u-cache" });
    const r = (await cache.get(k.hash))!;
    expect(r.teamId).toBe("t-cache");
    await store.db.updateTable("users").set({ blocked: true }).where("user_id", "=", "u-cache").execute();
    bus.publish({ kind: "user", userId: "u-cache" });
    expect((await cache.get(k.hash))!.userBlocked).toBe(true);
    await store.db.updateTable("teams").set({ blocked: true }).where("team_id", "=", "t-cache").execute();
    bus.publish({ kind: "team", teamId: "t-cache" });
    expect((await cache.get(k.hash))!.teamBlocked).toBe(true);
  });

  it("a user or team invalidation drops exactly that user's or team's keys, and follows keys that move", async () => {
    const bus = new LocalInvalidationBus();
    const cache = new KeyCache(store.db, bus);
    await store.db
      .insertInto("teams")
      .values([
        { team_id: "ix-a", metadata: "{}" },
        { team_id: "ix-b", metadata: "{}" },
      ])
      .execute();
    await store.db
      .insertInto("users")
      .values([
        { user_id: "ix-ua", team_id: "ix-a", metadata: "{}" },
        { user_id: "ix-ub", team_id: "ix-b", metadata: "{}" },
        { user_id: "ix-un", team_id: null, metadata: "{}" },
      ])
      .execute();
    const hashes: Record<string, string> = {
      a1: (await insertKey({ user_id: "ix-ua" })).hash, // team ix-a through its user
      a2: (await insertKey({ user_id: "ix-ua", team_id: "ix-b" })).hash, // its own team wins: ix-b
      b1: (await insertKey({ user_id: "ix-ub" })).hash, // ix-b through its user
      bA: (await insertKey({ user_id: "ix-ub", team_id: "ix-a" })).hash, // its own team wins: ix-a
      t: (await insertKey({ team_id: "ix-a" })).hash, // no user, team ix-a
      n: (await insertKey({ user_id: "ix-un" })).hash, // a user without a team
      unknown: "f".repeat(64), // no such key: remembered as unknown, belongs to no one
    };
    /** The names of the keys answered from memory; the others are looked up again (and awaited). */
    async function cachedNow(): Promise<string[]> {
      const names: string[] = [];
      const pending: Promise<unknown>[] = [];
      for (const [name, h] of Object.entries(hashes)) {
        const r = cache.get(h);
        if (r instanceof Promise) pending.push(r);
        else names.push(name);
      }
      await Promise.all(pending);
      return names.sort();
    }
    await cachedNow();
    expect(await cachedNow()).toEqual(["a1", "a2", "b1", "bA", "n", "t", "unknown"]);

    bus.publish({ kind: "team", teamId: "ix-a" });
    expect(await cachedNow()).toEqual(["a2", "b1", "n", "unknown"]);
    bus.publish({ kind: "user", userId: "ix-ub" });
    expect(await cachedNow()).toEqual(["a1", "a2", "n", "t", "unknown"]);
    bus.publish({ kind: "user", userId: "ix-un" });
    expect(await cachedNow()).toEqual(["a1", "a2", "b1", "bA", "t", "unknown"]);
    bus.publish({ kind: "team", teamId: "ix-nobody" });
    bus.publish({ kind: "user", userId: "ix-nobody" });
    expect(await cachedNow()).toEqual(["a1", "a2", "b1", "bA", "n", "t", "unknown"]);

    // a1 moves to team ix-b and n to user ix-ua: once reloaded, they go with their new team and user only.
    await store.db.updateTable("api_keys").set({ team_id: "ix-b" }).where("key_hash", "=", hashes.a1).execute();
    await store.db.updateTable("api_keys").set({ user_id: "ix-ua" }).where("key_hash", "=", hashes.n).execute();
    bus.publish({ kind: "key", keyHash: hashes.a1 });
    bus.publish({ kind: "key", keyHash: hashes.n });
    expect(await cachedNow()).toEqual(["a2", "b1", "bA", "t", "unknown"]);
    expect((cache.get(hashes.a1) as { teamId: string }).teamId).toBe("ix-b");
    bus.publish({ kind: "team", teamId: "ix-a" });
    expect(await cachedNow()).toEqual(["a1", "a2", "b1", "unknown"]);
    bus.publish({ kind: "user", userId: "ix-un" });
    expect(await cachedNow()).toEqual(["a1", "a2", "b1", "bA", "n", "t", "unknown"]);
    bus.publish({ kind: "team", teamId: "ix-b" });
    expect(await cachedNow()).toEqual(["bA", "n", "t", "unknown"]);
    bus.publish({ kind: "user", userId: "ix-ua" });
    expect(await cachedNow()).toEqual(["b1", "bA", "t", "unknown"]);

    // After "all" everything is looked up again, and the indexes start afresh.
    bus.publish({ kind: "all" });
    expect(await cachedNow()).toEqual([]);
    bus.publish({ kind: "team", teamId: "ix-b" });
    expect(await cachedNow()).toEqual(["bA", "n", "t", "unknown"]);
    cache.close();
  });
});

/**
 * Virtual keys served from memory. Every key is loaded at start; a key this instance has not
 * seen (created on another instance) is looked up once and cached. Changes arrive through the
 * invalidation bus and take effect at once. A lookup that raced with an invalidation is never
 * written back, so a key revoked while a request was loading it cannot come back as valid.
 *
 * Cached keys are indexed by user and by team (the key's own team, else its user's), so dropping
 * a user's or a team's keys touches only those keys, however many others are cached.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { InvalidationBus, InvalidationEvent } from "./invalidation.js";
import { IpAllowList, ModelAllowList } from "./permissions.js";
import { GroupIndex } from "./group-index.js";
import { limitSubjects, type LimitSet, type LimitSubject } from "./limit-subjects.js";

export interface KeyRecord {
  id: string;
  hash: string;
  userId: string | null;
  /** The key's own team, else its user's team. */
  teamId: string | null;
  isActive: boolean;
  revoked: boolean;
  /** Epoch milliseconds, or null for no expiry. */
  expiresAt: number | null;
  userBlocked: boolean;
  teamBlocked: boolean;
  allowedModels: ModelAllowList | null;
  allowedIps: IpAllowList | null;
  budgetId: string | null;
  limits: LimitSet;
  /** Every rate and concurrency limit that applies to the key's requests: its own, its user's, its team's. */
  limitSubjects: readonly LimitSubject[];
}

interface Entry {
  record: KeyRecord | null;
  /** For unknown keys: until when "unknown" is believed (ms epoch). */
  until: number;
}

const NEGATIVE_TTL_MS = 2_000;
const MAX_NEGATIVE = 10_000;

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  /** Hashes of the cached keys of each user and of each team, kept in step with `entries`. */
  private readonly byUser = new GroupIndex();
  private readonly byTeam = new GroupIndex();
  private negatives = 0;
  /** Bumped by every invalidation; a lookup started in an older epoch is not cached. */
  private epoch = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Kysely<Database>,
    bus: InvalidationBus,
  ) {
    this.unsubscribe = bus.subscribe((e) => this.invalidate(e));
  }

  /** Loads every key that can still be used, so requests never wait on the database for them. */
  async preload(): Promise<number> {
    const epoch = this.epoch;
    const rows = await baseQuery(this.db).where("k.revoked_at", "is", null).execute();
    if (epoch !== this.epoch) return 0;
    for (const r of rows) this.put(r.key_hash, { record: toRecord(r), until: Infinity });
    return rows.length;
  }

  /** The key's record, or null when no such key exists. Synchronous path for cached keys. */
  get(hash: string): KeyRecord | null | Promise<KeyRecord | null> {
    const e = this.entries.get(hash);
    if (e && (e.record || e.until > Date.now())) return e.record;
    return this.load(hash);
  }

  private async load(hash: string): Promise<KeyRecord | null> {
    for (let tries = 0; ; tries++) {
      const epoch = this.epoch;
      const row = await baseQuery(this.db).where("k.key_hash", "=", hash).executeTakeFirst();
      const record = row ? toRecord(row) : null;
      if (epoch === this.epoch) {
        this.remember(hash, record);
        return record;
      }
      // An invalidation happened while loading: the row may be stale. Read again (bounded).
      if (tries >= 2) return record;
    }
  }

  private remember(hash: string, record: KeyRecord | null) {
    if (record) {
      this.put(hash, { record, until: Infinity });
      return;
    }
    if (this.negatives >= MAX_NEGATIVE) this.dropNegatives();
    this.put(hash, { record: null, until: Date.now() + NEGATIVE_TTL_MS });
    this.negatives++;
  }

  private dropNegatives() {
    // Unknown keys have no user or team: nothing to take out of the indexes.
    for (const [h, e] of this.entries) if (!e.record) this.entries.delete(h);
    this.negatives = 0;
  }

  /** Caches an entry, replacing (and unindexing) whatever the hash had. */
  private put(hash: string, entry: Entry): void {
    const old = this.entries.get(hash);
    if (old?.record) this.unindex(hash, old.record);
    this.entries.set(hash, entry);
    if (entry.record) {
      if (entry.record.userId !== null) this.byUser.add(entry.record.userId, hash);
      if (entry.record.teamId !== null) this.byTeam.add(entry.record.teamId, hash);
    }
  }

  private drop(hash: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    this.entries.delete(hash);
    if (e.record) this.unindex(hash, e.record);
  }

  private unindex(hash: string, record: KeyRecord): void {
    if (record.userId !== null) this.byUser.remove(record.userId, hash);
    if (record.teamId !== null) this.byTeam.remove(record.teamId, hash);
  }

  invalidate(e: InvalidationEvent): void {
    if (e.kind === "budget" || e.kind === "assignment" || e.kind === "prices") return;
    this.epoch++;
    switch (e.kind) {
      case "key":
        this.drop(e.keyHash);
        return;
      case "user":
        for (const h of this.byUser.members(e.userId)) this.drop(h);
        return;
      case "team":
        for (const h of this.byTeam.members(e.teamId)) this.drop(h);
        return;
      case "all":
        this.entries.clear();
        this.byUser.clear();
        this.byTeam.clear();
        this.negatives = 0;
        return;
      default:
        return;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.unsubscribe();
  }
}

function baseQuery(db: Kysely<Database>) {
  return db
    .selectFrom("api_keys as k")
    .leftJoin("users as u", "u.user_id", "k.user_id")
    .leftJoin("teams as t", (j) => j.onRef("t.team_id", "=", (eb) => eb.fn.coalesce("k.team_id", "u.team_id")))
    .select([
      "k.id",
      "k.key_hash",
      "k.user_id",
      "k.team_id as key_team_id",
      "u.team_id as user_team_id",
      "k.is_active",
      "k.revoked_at",
      "k.expires_at",
      "u.blocked as user_blocked",
      "t.blocked as team_blocked",
      "k.allowed_models",
      "k.allowed_ips",
      "k.budget_id",
      "k.rpm_limit",
      "k.tpm_limit",
      "k.rpd_limit",
      "k.max_parallel",
      "u.rpm_limit as user_rpm_limit",
      "u.tpm_limit as user_tpm_limit",
      "u.rpd_limit as user_rpd_limit",
      "u.max_parallel as user_max_parallel",
      "t.rpm_limit as team_rpm_limit",
      "t.tpm_limit as team_tpm_limit",
      "t.rpd_limit as team_rpd_limit",
      "t.max_parallel as team_max_parallel",
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>["executeTakeFirstOrThrow"]>>;

function toRecord(r: Row): KeyRecord {
  const models = r.allowed_models;
  const ips = r.allowed_ips;
  const limits: LimitSet = { rpm: r.rpm_limit, tpm: r.tpm_limit, rpd: r.rpd_limit, maxParallel: r.max_parallel };
  return {
    id: r.id,
    hash: r.key_hash,
    userId: r.user_id,
    teamId: r.key_team_id ?? r.user_team_id ?? null,
    isActive: r.is_active,
    revoked: r.revoked_at !== null,
    expiresAt: r.expires_at ? new Date(r.expires_at).getTime() : null,
    userBlocked: r.user_blocked === true,
    teamBlocked: r.team_blocked === true,
    allowedModels: models && models.length ? new ModelAllowList(models) : null,
    allowedIps: ips && ips.length ? new IpAllowList(ips) : null,
    budgetId: r.budget_id,
    limits,
    limitSubjects: limitSubjects([
      { scope: "key", id: r.id, limits },
      { scope: "user", id: r.user_id, limits: { rpm: r.user_rpm_limit, tpm: r.user_tpm_limit, rpd: r.user_rpd_limit, maxParallel: r.user_max_parallel } },
      { scope: "team", id: r.key_team_id ?? r.user_team_id ?? null, limits: { rpm: r.team_rpm_limit, tpm: r.team_tpm_limit, rpd: r.team_rpd_limit, maxParallel: r.team_max_parallel } },
    ]),
  };
}

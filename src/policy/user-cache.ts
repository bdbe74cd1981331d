/**
 * Users' standing (exists, blocked, team, team blocked) served from memory, for the master key
 * acting for a user named in a request's `user` field. A user is looked up once and cached;
 * user, team and "all" invalidations drop the entries they concern, so blocking a user or a team
 * takes effect at once. Unknown users are remembered briefly (bounded), like unknown keys.
 * Cached users are indexed by team, so a team's invalidation touches only its members.
 */
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.js";
import type { InvalidationBus, InvalidationEvent } from "./invalidation.js";
import { GroupIndex } from "./group-index.js";
import { limitSubjects, type LimitSubject } from "./limit-subjects.js";

export interface UserStanding {
  userId: string;
  teamId: string | null;
  blocked: boolean;
  teamBlocked: boolean;
  /** The user's and their team's rate and concurrency limits (those that are set). */
  limitSubjects: readonly LimitSubject[];
}

interface Entry {
  standing: UserStanding | null;
  /** For unknown users: until when "unknown" is believed (ms epoch). */
  until: number;
}

const NEGATIVE_TTL_MS = 2_000;
const MAX_NEGATIVE = 10_000;

export class UserCache {
  private readonly entries = new Map<string, Entry>();
  /** The cached users of each team, kept in step with `entries`. */
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

  /** The user's standing, or null when no such user exists. Synchronous for cached users. */
  get(userId: string): UserStanding | null | Promise<UserStanding | null> {
    const e = this.entries.get(userId);
    if (e && (e.standing || e.until > Date.now())) return e.standing;
    return this.load(userId);
  }

  private async load(userId: string): Promise<UserStanding | null> {
    for (let tries = 0; ; tries++) {
      const epoch = this.epoch;
      const row = await this.db
        .selectFrom("users as u")
        .leftJoin("teams as t", "t.team_id", "u.team_id")
        .select([
          "u.user_id",
          "u.team_id",
          "u.blocked",
          "t.blocked as team_blocked",
          "u.rpm_limit",
          "u.tpm_limit",
          "u.rpd_limit",
          "u.max_parallel",
          "t.rpm_limit as team_rpm_limit",
          "t.tpm_limit as team_tpm_limit",
          "t.rpd_limit as team_rpd_limit",
          "t.max_parallel as team_max_parallel",
        ])
        .where("u.user_id", "=", userId)
        .executeTakeFirst();
      const standing: UserStanding | null = row
        ? {
            userId: row.user_id,
            teamId: row.team_id,
            blocked: row.blocked === true,
            teamBlocked: row.team_blocked === true,
            limitSubjects: limitSubjects([
              { scope: "user", id: row.user_id, limits: { rpm: row.rpm_limit, tpm: row.tpm_limit, rpd: row.rpd_limit, maxParallel: row.max_parallel } },
              { scope: "team", id: row.team_id, limits: { rpm: row.team_rpm_limit, tpm: row.team_tpm_limit, rpd: row.team_rpd_limit, maxParallel: row.team_max_parallel } },
            ]),
          }
        : null;
      if (epoch === this.epoch) {
        this.remember(userId, standing);
        return standing;
      }
      // An invalidation happened while loading: the row may be stale. Read again (bounded).
      if (tries >= 2) return standing;
    }
  }

  private remember(userId: string, standing: UserStanding | null): void {
    if (standing) {
      this.put(userId, { standing, until: Infinity });
      return;
    }
    if (this.negatives >= MAX_NEGATIVE) {
      // Unknown users have no team: nothing to take out of the index.
      for (const [id, e] of this.entries) if (!e.standing) this.entries.delete(id);
      this.negatives = 0;
    }
    this.put(userId, { standing: null, until: Date.now() + NEGATIVE_TTL_MS });
    this.negatives++;
  }

  /** Caches an entry, replacing (and unindexing) whatever the user had. */
  private put(userId: string, entry: Entry): void {
    const old = this.entries.get(userId);
    if (old?.standing?.teamId != null) this.byTeam.remove(old.standing.teamId, userId);
    this.entries.set(userId, entry);
    if (entry.standing?.teamId != null) this.byTeam.add(entry.standing.teamId, userId);
  }

  private drop(userId: string): void {
    const e = this.entries.get(userId);
    if (!e) return;
    this.entries.delete(userId);
    if (e.standing?.teamId != null) this.byTeam.remove(e.standing.teamId, userId);
  }

  invalidate(e: InvalidationEvent): void {
    if (e.kind !== "user" && e.kind !== "team" && e.kind !== "all") return;
    this.epoch++;
    if (e.kind === "user") {
      this.drop(e.userId);
    } else if (e.kind === "team") {
      for (const id of this.byTeam.members(e.teamId)) this.drop(id);
    } else {
      this.entries.clear();
      this.byTeam.clear();
      this.negatives = 0;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.unsubscribe();
  }
}

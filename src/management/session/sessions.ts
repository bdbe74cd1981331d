/**
 * Dashboard sessions: a random 256-bit id in the `sb_session` cookie, stored as its SHA-256 in
 * the database (so every instance knows every session, and a sign-out through one ends it on
 * all). A session ends when it has been idle for IDLE_MS or, whatever its activity, ABSOLUTE_MS
 * after sign-in. The CSRF token is an HMAC of the session id: only a holder of the id can compute
 * it, and it needs no storage.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";
import { deleteExpiredUiSessions, deleteUiSession, findLiveUiSession, insertUiSession, touchUiSession } from "../../store/repos/ui-sessions.js";

/** A session unused for this long ends (30 minutes). */
export const IDLE_MS = 30 * 60 * 1000;
/** A session ends this long after sign-in, however active (12 hours). */
export const ABSOLUTE_MS = 12 * 3600 * 1000;
/** Activity is written at most this often per session (the idle expiry is exact to within this). */
const TOUCH_EVERY_MS = 60 * 1000;

export interface LiveSession {
  /** SHA-256 of the session id (hex): how logs and the audit log name a session. */
  idHash: string;
  expiresAt: Date;
  /** When the session ends if unused from now on. */
  idleExpiresAt: Date;
}

export class SessionService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Makes a session; returns its id (for the cookie only: never stored). */
  async create(sourceIp: string | null): Promise<{ id: string; session: LiveSession }> {
    const now = this.now();
    await deleteExpiredUiSessions(this.db, now, new Date(now.getTime() - IDLE_MS));
    const id = randomBytes(32).toString("base64url");
    const idHash = hashSessionId(id);
    const expiresAt = new Date(now.getTime() + ABSOLUTE_MS);
    await insertUiSession(this.db, { id_hash: idHash, created_at: now, last_seen_at: now, expires_at: expiresAt, source_ip: sourceIp });
    return { id, session: { idHash, expiresAt, idleExpiresAt: new Date(now.getTime() + IDLE_MS) } };
  }

  /** The live session of this id (its activity recorded), or null when unknown, ended or expired. */
  async verify(id: string): Promise<LiveSession | null> {
    if (!SESSION_ID.test(id)) return null;
    const now = this.now();
    const idHash = hashSessionId(id);
    const row = await findLiveUiSession(this.db, idHash, now, new Date(now.getTime() - IDLE_MS));
    if (!row) return null;
    if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) await touchUiSession(this.db, idHash, now);
    const idleEnd = Math.min(now.getTime() + IDLE_MS, row.expires_at.getTime());
    return { idHash, expiresAt: row.expires_at, idleExpiresAt: new Date(idleEnd) };
  }

  /** Ends the session on the server; true when it existed. */
  end(id: string): Promise<boolean> {
    if (!SESSION_ID.test(id)) return Promise.resolve(false);
    return deleteUiSession(this.db, hashSessionId(id));
  }
}

/** 32 random bytes in base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function hashSessionId(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

/** The CSRF token of a session: HMAC-SHA256 keyed by the session id. */
export function csrfTokenFor(id: string): string {
  return createHmac("sha256", id).update("switchboard-ui-csrf").digest("base64url");
}

/** Constant-time check of a presented CSRF token against the session's. */
export function csrfMatches(id: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const want = Buffer.from(csrfTokenFor(id));
  const got = Buffer.from(presented);
  return got.length === want.length && timingSafeEqual(got, want);
}

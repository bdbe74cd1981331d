/**
 * Bounds master-key guessing through the sign-in form: at most MAX_FAILURES failed sign-ins per
 * source address in any WINDOW_MS, counted in the store from the audit log's failed sign-ins, so
 * the bound holds across every gateway instance sharing the database and survives restarts.
 *
 * An attempt runs in one transaction under a PostgreSQL advisory lock of its address: the count,
 * the key's check and the failure's audit row happen as one step, so attempts sent in parallel
 * (to one instance or to several) cannot all pass the count before any failure is written. A
 * second attempt from an address while one is being judged is refused at once (Retry-After 1)
 * rather than queued, so a flood of parallel attempts holds no connections waiting. Nothing is
 * kept in process memory.
 */
import type { Kysely } from "kysely";
import { sql } from "../../store/kysely.js";
import { recentSignInFailures, recordAudit, type NewAuditEvent } from "../../store/repos/audit.js";
import type { Database } from "../../store/schema.js";

export const MAX_FAILURES = 10;
export const WINDOW_MS = 60_000;

/** Names the sign-in locks among PostgreSQL's two-key advisory locks (`pg_try_advisory_xact_lock(int, int)`). */
const LOCK_NAMESPACE = 0x5b516e; // "sb" sign-in

export type SignInOutcome = { kind: "accepted" } | { kind: "rejected" } | { kind: "limited"; retryAfterSeconds: number; reason: "failures" | "in_progress" };

export class SignInLimiter {
  constructor(
    private readonly db: Kysely<Database>,
    /** The clock failures are written and counted by (tests move it). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Judges one sign-in from `ip`: limited when the address has MAX_FAILURES failures in the
   * window (or another of its attempts is being judged); otherwise `isRight()` decides, and a
   * wrong key is written to the audit log as `failure` describes, in the same transaction.
   */
  attempt(ip: string | null, isRight: () => boolean, failure: Omit<NewAuditEvent, "source_ip" | "at">): Promise<SignInOutcome> {
    return this.db.transaction().execute(async (trx): Promise<SignInOutcome> => {
      const lock = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${LOCK_NAMESPACE}::int, hashtext(${ip ?? ""})) as locked`.execute(trx);
      if (!lock.rows[0]?.locked) return { kind: "limited", retryAfterSeconds: 1, reason: "in_progress" };
      const now = this.now();
      const failures = await recentSignInFailures(trx, ip, new Date(now.getTime() - WINDOW_MS + 1), MAX_FAILURES);
      if (failures.length >= MAX_FAILURES) {
        // The window frees a try when the oldest of the last MAX_FAILURES failures leaves it.
        const oldest = failures[MAX_FAILURES - 1].getTime();
        return { kind: "limited", retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - now.getTime()) / 1000)), reason: "failures" };
      }
      if (isRight()) return { kind: "accepted" };
      await recordAudit(trx, { ...failure, source_ip: ip, at: now });
      return { kind: "rejected" };
    });
  }
}

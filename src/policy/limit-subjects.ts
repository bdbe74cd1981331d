/**
 * The rate and concurrency limits that apply to a caller: its key's, its user's and its team's,
 * each with the subject it belongs to. Built once when a key or a user is loaded into its cache,
 * so a request reads them without allocating. The limiter (src/limits/) enforces them.
 */
import type { SubjectType } from "../store/scopes.js";

export interface LimitSet {
  rpm: number | null;
  tpm: number | null;
  rpd: number | null;
  maxParallel: number | null;
}

/** One subject's limits. */
export interface LimitSubject {
  scope: SubjectType;
  id: string;
  limits: LimitSet;
}

export function hasLimits(l: LimitSet): boolean {
  return l.rpm !== null || l.tpm !== null || l.rpd !== null || l.maxParallel !== null;
}

/** The subjects that have at least one limit, in scope order; ids that are null are skipped. */
export function limitSubjects(list: ReadonlyArray<{ scope: SubjectType; id: string | null; limits: LimitSet }>): readonly LimitSubject[] {
  const out: LimitSubject[] = [];
  for (const s of list) if (s.id !== null && hasLimits(s.limits)) out.push({ scope: s.scope, id: s.id, limits: s.limits });
  return out;
}

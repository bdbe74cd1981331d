/**
 * The shape of every management mutation: one transaction holding the change and its audit row;
 * cache invalidations published only after the commit (so no cache reloads the old state).
 */
import type { Kysely, Transaction } from "kysely";
import { GatewayError } from "../../core/errors.js";
import type { InvalidationEvent } from "../../policy/invalidation.js";
import { recordAudit } from "../../store/repos/audit.js";
import { pgErrorCode } from "../../store/repos/page.js";
import { teamExists } from "../../store/repos/teams.js";
import { userExists } from "../../store/repos/users.js";
import type { Database } from "../../store/schema.js";
import type { Actor, ManagementDeps } from "../context.js";

export interface Mutation {
  trx: Transaction<Database>;
  now: Date;
  /** Writes the audit row of this change (same transaction). */
  audit(action: string, targetType: string, targetId: string | null, changes: Record<string, unknown>): Promise<void>;
  /** Queues an invalidation, published after the commit. */
  invalidate(event: InvalidationEvent): void;
}

export async function mutate<T>(deps: ManagementDeps, actor: Actor, work: (m: Mutation) => Promise<T>): Promise<T> {
  const events = new Map<string, InvalidationEvent>();
  const now = new Date();
  let result: T;
  try {
    result = await deps.db.transaction().execute((trx) =>
      work({
        trx,
        now,
        audit: (action, target_type, target_id, changes) => recordAudit(trx, { actor: actor.actor, action, target_type, target_id, source_ip: actor.sourceIp, request_id: actor.requestId, changes }),
        invalidate: (e) => void events.set(JSON.stringify(e), e),
      }),
    );
  } catch (e) {
    throw fromConstraint(e);
  }
  for (const e of events.values()) deps.bus.publish(e);
  // This instance's budget book and prices reload what a change names before the change is
  // answered, so the next request here is judged by it (other instances follow within milliseconds).
  const kinds = new Set([...events.values()].map((e) => e.kind));
  if (deps.budgets?.reloaded && (kinds.has("budget") || kinds.has("assignment") || kinds.has("all"))) await deps.budgets.reloaded();
  if (deps.pricing && (kinds.has("prices") || kinds.has("all"))) await deps.pricing.reloaded();
  return result;
}

/** A constraint violation that slipped past the checks (a concurrent change) → 409, not 500. */
function fromConstraint(e: unknown): unknown {
  const code = pgErrorCode(e);
  if (code === "23505") return new GatewayError("conflict", "the object already exists");
  if (code === "23503") return new GatewayError("conflict", "a referenced user, team or budget was changed concurrently; retry");
  // Deadlock or serialization failure between two concurrent changes of the same objects.
  if (code === "40P01" || code === "40001") return new GatewayError("conflict", "the object was changed concurrently; retry");
  return e;
}

/** 400 naming the field when a referenced user or team does not exist. */
export async function assertRefs(db: Kysely<Database>, refs: { user_id?: string | null; team_id?: string | null }, fields = { user: "user_id", team: "team_id" }): Promise<void> {
  if (refs.user_id && !(await userExists(db, refs.user_id))) {
    throw new GatewayError("invalid_request", `${fields.user}: user '${refs.user_id}' does not exist`, { param: fields.user });
  }
  if (refs.team_id && !(await teamExists(db, refs.team_id))) {
    throw new GatewayError("invalid_request", `${fields.team}: team '${refs.team_id}' does not exist`, { param: fields.team });
  }
}

/** JSON-comparable form of a value for the audit log (dates as ISO strings). */
function plain(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v === undefined ? null : v;
}

/** `{field: {from, to}}` for each listed field whose value differs between the two rows. */
export function diff<R extends object>(before: R, after: R, fields: ReadonlyArray<keyof R & string>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of fields) {
    const from = plain(before[f]);
    const to = plain(after[f]);
    if (JSON.stringify(from) !== JSON.stringify(to)) out[f] = { from, to };
  }
  return out;
}

/** `{field: value}` of the listed fields of a new object. */
export function snapshot<R extends object>(row: R, fields: ReadonlyArray<keyof R & string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = plain(row[f]);
  return out;
}

/** Fields explicitly present in a validated patch (undefined = not given). */
export function presentFields<P extends object>(patch: P): Array<keyof P & string> {
  return (Object.keys(patch) as Array<keyof P & string>).filter((k) => patch[k] !== undefined);
}

/** ISO string from the API → Date for the store (null stays null, absent stays absent). */
export function toDate(v: string | null | undefined): Date | null | undefined {
  return v === undefined ? undefined : v === null ? null : new Date(v);
}

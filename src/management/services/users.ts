/** Users: create, edit, delete (revoking all their keys). */
import { randomId } from "../../core/ids.js";
import { GatewayError } from "../../core/errors.js";
import { keysOfUser, revokeKey } from "../../store/repos/keys.js";
import type { Page, PageRequest } from "../../store/repos/page.js";
import { deleteUser as deleteUserRow, findUser, insertUser, listUsers, updateUser as updateUserRow, type UserSettings } from "../../store/repos/users.js";
import type { Actor, ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import { userObject } from "../present.js";
import type { UserCreate, UserObject, UserPatch } from "../schemas/users.js";
import { assertBudget, assignmentAudit, syncAssignment } from "./assignments.js";
import { assertRefs, diff, mutate, presentFields, snapshot, type Mutation } from "./common.js";

const SETTINGS: ReadonlyArray<keyof UserSettings> = ["alias", "team_id", "budget_id", "metadata", "blocked", "rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"];

/** The user's keys must drop out of every cache too: they may carry the user's state (blocked, team). */
async function invalidateUser(m: Mutation, userId: string): Promise<void> {
  m.invalidate({ kind: "user", userId });
  for (const k of await keysOfUser(m.trx, userId)) m.invalidate({ kind: "key", keyHash: k.key_hash });
}

export async function createUser(deps: ManagementDeps, actor: Actor, body: UserCreate): Promise<UserObject> {
  const userId = body.user_id ?? `user_${randomId(20)}`;
  const settings: UserSettings = {
    alias: body.alias ?? null,
    team_id: body.team_id ?? null,
    budget_id: body.budget_id ?? null,
    metadata: body.metadata ?? {},
    blocked: body.blocked ?? false,
    rpm_limit: body.rpm_limit ?? null,
    tpm_limit: body.tpm_limit ?? null,
    rpd_limit: body.rpd_limit ?? null,
    max_parallel: body.max_parallel ?? null,
  };
  return mutate(deps, actor, async (m) => {
    if (await findUser(m.trx, userId)) throw new GatewayError("conflict", `user '${userId}' already exists`, { param: "user_id" });
    await assertRefs(m.trx, { team_id: settings.team_id });
    await assertBudget(m, settings.budget_id);
    const row = await insertUser(m.trx, userId, settings, m.now);
    const assignment = row.budget_id ? await syncAssignment(m, "user", userId, row.budget_id) : null;
    await m.audit("user.create", "user", userId, { ...snapshot(row, SETTINGS), ...assignmentAudit(assignment) });
    m.invalidate({ kind: "user", userId });
    return userObject(row);
  });
}

export async function getUser(deps: ManagementDeps, userId: string): Promise<UserObject> {
  const row = await findUser(deps.db, userId);
  if (!row) throw notFound("user", userId, "user_id");
  return userObject(row);
}

export async function listUserPage(deps: ManagementDeps, filter: { team_id?: string }, page: PageRequest): Promise<Page<UserObject>> {
  const rows = await listUsers(deps.db, filter, page);
  return { data: rows.data.map(userObject), nextCursor: rows.nextCursor };
}

export async function updateUser(deps: ManagementDeps, actor: Actor, userId: string, body: UserPatch): Promise<UserObject> {
  return mutate(deps, actor, async (m) => {
    const before = await findUser(m.trx, userId, true);
    if (!before) throw notFound("user", userId, "user_id");
    await assertRefs(m.trx, { team_id: body.team_id });
    await assertBudget(m, body.budget_id);
    const patch: Partial<UserSettings> = {};
    for (const f of presentFields(body)) (patch as Record<string, unknown>)[f] = body[f];
    const after = await updateUserRow(m.trx, userId, patch, m.now);
    const assignment = body.budget_id !== undefined ? await syncAssignment(m, "user", userId, after.budget_id) : null;
    await m.audit("user.update", "user", userId, { ...diff(before, after, SETTINGS), ...assignmentAudit(assignment) });
    await invalidateUser(m, userId);
    return userObject(after);
  });
}

/** Deletes the user and revokes every key of theirs (the key rows stay, revoked). */
export async function deleteUser(deps: ManagementDeps, actor: Actor, userId: string): Promise<UserObject> {
  return mutate(deps, actor, async (m) => {
    const row = await findUser(m.trx, userId, true);
    if (!row) throw notFound("user", userId, "user_id");
    await invalidateUser(m, userId);
    const revoked: string[] = [];
    for (const k of await keysOfUser(m.trx, userId)) {
      if (k.revoked_at) continue;
      const after = await revokeKey(m.trx, k.id, m.now);
      await m.audit("key.revoke", "key", k.id, diff(k, after, ["revoked_at", "is_active"]));
      revoked.push(k.id);
    }
    const assignment = await syncAssignment(m, "user", userId, null);
    await deleteUserRow(m.trx, userId);
    await m.audit("user.delete", "user", userId, { revoked_keys: revoked, ...assignmentAudit(assignment) });
    return userObject(row);
  });
}

/** Virtual key lifecycle: create, edit, revoke, rotate. The plaintext exists only in the create/rotate response. */
import { GatewayError } from "../../core/errors.js";
import { generateKey, newKeyId } from "../../policy/keys.js";
import { findKey, insertKey, listKeys, replaceSecret, revokeKey as revokeKeyRow, updateKey as updateKeyRow, type KeyRow, type KeySettings } from "../../store/repos/keys.js";
import type { Page, PageRequest } from "../../store/repos/page.js";
import type { Actor, ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import { keyEnvironment, keyObject, keyWithSecret } from "../present.js";
import type { KeyCreate, KeyObject, KeyPatch, KeyWithSecret } from "../schemas/keys.js";
import { assertBudget, assignmentAudit, syncAssignment } from "./assignments.js";
import { assertRefs, diff, mutate, presentFields, snapshot, toDate, type Mutation } from "./common.js";

/** Every settable field, in the order the audit log lists them. */
const SETTINGS: ReadonlyArray<keyof KeySettings & keyof KeyRow> = [
  "key_name",
  "user_id",
  "team_id",
  "expires_at",
  "is_active",
  "metadata",
  "allowed_models",
  "allowed_ips",
  "budget_id",
  "rpm_limit",
  "tpm_limit",
  "rpd_limit",
  "max_parallel",
];

function settingsFrom(body: KeyCreate): KeySettings {
  return {
    key_name: body.key_name ?? null,
    user_id: body.user_id ?? null,
    team_id: body.team_id ?? null,
    expires_at: toDate(body.expires_at) ?? null,
    is_active: body.is_active ?? true,
    metadata: body.metadata ?? {},
    allowed_models: body.allowed_models ?? null,
    allowed_ips: body.allowed_ips ?? null,
    budget_id: body.budget_id ?? null,
    rpm_limit: body.rpm_limit ?? null,
    tpm_limit: body.tpm_limit ?? null,
    rpd_limit: body.rpd_limit ?? null,
    max_parallel: body.max_parallel ?? null,
  };
}

function patchFrom(body: KeyPatch): Partial<KeySettings> {
  const { expires_at, ...rest } = body;
  const patch: Partial<KeySettings> = {};
  for (const f of presentFields(rest)) (patch as Record<string, unknown>)[f] = rest[f];
  if (expires_at !== undefined) patch.expires_at = toDate(expires_at) ?? null;
  return patch;
}

async function lockedKey(m: Mutation, id: string, action: string): Promise<KeyRow> {
  const row = await findKey(m.trx, id, true);
  if (!row) throw notFound("key", id, "id");
  if (row.revoked_at && action !== "revoke") {
    throw new GatewayError("conflict", `key '${id}' is revoked; a revoked key cannot be ${action === "rotate" ? "rotated" : "changed"}`, { param: "id" });
  }
  return row;
}

export async function createKey(deps: ManagementDeps, actor: Actor, body: KeyCreate): Promise<KeyWithSecret> {
  const environment = body.environment ?? "live";
  const settings = settingsFrom(body);
  return mutate(deps, actor, async (m) => {
    await assertRefs(m.trx, settings);
    await assertBudget(m, settings.budget_id);
    const secret = generateKey(environment);
    const row = await insertKey(m.trx, { ...settings, id: newKeyId(), key_hash: secret.hash, key_prefix: secret.prefix }, m.now);
    const assignment = row.budget_id ? await syncAssignment(m, "key", row.id, row.budget_id) : null;
    await m.audit("key.create", "key", row.id, { environment, ...snapshot(row, SETTINGS), ...assignmentAudit(assignment) });
    m.invalidate({ kind: "key", keyHash: row.key_hash });
    return keyWithSecret(row, secret.key);
  });
}

export async function getKey(deps: ManagementDeps, id: string): Promise<KeyObject> {
  const row = await findKey(deps.db, id);
  if (!row) throw notFound("key", id, "id");
  return keyObject(row);
}

export async function listKeyPage(deps: ManagementDeps, filter: Parameters<typeof listKeys>[1], page: PageRequest): Promise<Page<KeyObject>> {
  const now = new Date();
  const rows = await listKeys(deps.db, filter, page, now);
  return { data: rows.data.map((r) => keyObject(r, now)), nextCursor: rows.nextCursor };
}

export async function updateKey(deps: ManagementDeps, actor: Actor, id: string, body: KeyPatch): Promise<KeyObject> {
  const patch = patchFrom(body);
  return mutate(deps, actor, async (m) => {
    const before = await lockedKey(m, id, "update");
    await assertRefs(m.trx, { user_id: patch.user_id, team_id: patch.team_id });
    await assertBudget(m, patch.budget_id);
    const after = await updateKeyRow(m.trx, id, patch, m.now);
    const assignment = patch.budget_id !== undefined ? await syncAssignment(m, "key", id, after.budget_id) : null;
    await m.audit("key.update", "key", id, { ...diff(before, after, SETTINGS), ...assignmentAudit(assignment) });
    m.invalidate({ kind: "key", keyHash: before.key_hash });
    return keyObject(after);
  });
}

/** Revokes (the row stays, for the audit trail). Revoking a revoked key changes nothing and succeeds. */
export async function revokeKey(deps: ManagementDeps, actor: Actor, id: string): Promise<KeyObject> {
  return mutate(deps, actor, async (m) => {
    const before = await lockedKey(m, id, "revoke");
    if (before.revoked_at) return keyObject(before);
    const after = await revokeKeyRow(m.trx, id, m.now);
    await m.audit("key.revoke", "key", id, diff(before, after, ["revoked_at", "is_active"]));
    m.invalidate({ kind: "key", keyHash: before.key_hash });
    return keyObject(after);
  });
}

/** A new secret for the same key id; the old secret stops working at once. */
export async function rotateKey(deps: ManagementDeps, actor: Actor, id: string): Promise<KeyWithSecret> {
  return mutate(deps, actor, async (m) => {
    const before = await lockedKey(m, id, "rotate");
    const secret = generateKey(keyEnvironment(before.key_prefix));
    const after = await replaceSecret(m.trx, id, secret.hash, secret.prefix, m.now);
    // The secret itself is never recorded, nor its hash or prefix: only that it changed.
    await m.audit("key.rotate", "key", id, { secret: "rotated" });
    m.invalidate({ kind: "key", keyHash: before.key_hash });
    return keyWithSecret(after, secret.key);
  });
}

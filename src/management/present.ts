/** Stored rows → the objects the API returns. Keys never carry their hash; only create and rotate add the plaintext. */
import { maskKey } from "../policy/keys.js";
import type { AuditRow } from "../store/repos/audit.js";
import { keyStatus, type KeyRow } from "../store/repos/keys.js";
import type { TeamRow } from "../store/repos/teams.js";
import type { UserRow } from "../store/repos/users.js";
import type { AuditEventObject } from "./schemas/audit.js";
import type { KeyObject, KeyWithSecret } from "./schemas/keys.js";
import type { TeamObject, UserObject } from "./schemas/users.js";

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function keyEnvironment(prefix: string): "live" | "test" {
  return prefix.startsWith("sb-test-") ? "test" : "live";
}

export function keyObject(row: KeyRow, now: Date = new Date()): KeyObject {
  return {
    id: row.id,
    key_masked: maskKey(row.key_prefix),
    environment: keyEnvironment(row.key_prefix),
    key_name: row.key_name,
    user_id: row.user_id,
    team_id: row.team_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    is_active: row.is_active,
    status: keyStatus(row, now),
    metadata: row.metadata ?? {},
    allowed_models: row.allowed_models ?? null,
    allowed_ips: row.allowed_ips ?? null,
    budget_id: row.budget_id,
    rpm_limit: row.rpm_limit,
    tpm_limit: row.tpm_limit,
    rpd_limit: row.rpd_limit,
    max_parallel: row.max_parallel,
  };
}

export function keyWithSecret(row: KeyRow, key: string): KeyWithSecret {
  // `key` first: the one field a caller must not miss.
  return { key, ...keyObject(row) };
}

export function userObject(row: UserRow): UserObject {
  return {
    user_id: row.user_id,
    alias: row.alias,
    team_id: row.team_id,
    budget_id: row.budget_id,
    metadata: row.metadata ?? {},
    blocked: row.blocked,
    rpm_limit: row.rpm_limit,
    tpm_limit: row.tpm_limit,
    rpd_limit: row.rpd_limit,
    max_parallel: row.max_parallel,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function teamObject(row: TeamRow): TeamObject {
  return {
    team_id: row.team_id,
    name: row.name,
    budget_id: row.budget_id,
    metadata: row.metadata ?? {},
    blocked: row.blocked,
    rpm_limit: row.rpm_limit,
    tpm_limit: row.tpm_limit,
    rpd_limit: row.rpd_limit,
    max_parallel: row.max_parallel,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function auditObject(row: AuditRow): AuditEventObject {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    source_ip: row.source_ip,
    request_id: row.request_id,
    changes: row.changes ?? {},
  };
}

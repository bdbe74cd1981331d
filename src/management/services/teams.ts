/** Teams: create, edit, delete (members and keys are detached, not deleted). */
import { randomId } from "../../core/ids.js";
import { GatewayError } from "../../core/errors.js";
import { clearKeysTeam, keysOfTeam } from "../../store/repos/keys.js";
import type { Page, PageRequest } from "../../store/repos/page.js";
import { deleteTeam as deleteTeamRow, findTeam, insertTeam, listTeams, updateTeam as updateTeamRow, type TeamSettings } from "../../store/repos/teams.js";
import { clearUsersTeam, memberIds } from "../../store/repos/users.js";
import type { Actor, ManagementDeps } from "../context.js";
import { notFound } from "../errors.js";
import { teamObject } from "../present.js";
import type { TeamCreate, TeamObject, TeamPatch } from "../schemas/users.js";
import { assertBudget, assignmentAudit, syncAssignment } from "./assignments.js";
import { diff, mutate, presentFields, snapshot, type Mutation } from "./common.js";

const SETTINGS: ReadonlyArray<keyof TeamSettings> = ["name", "budget_id", "metadata", "blocked", "rpm_limit", "tpm_limit", "rpd_limit", "max_parallel"];

/**
 * The team leaves the caches, and with it every cached key and user its settings reach: a cached
 * key's team is its own team, else its user's, and a cached user's team is theirs, so this one
 * event drops the team's keys, its members' keys and its members on every instance (each cache
 * finds them through its index, without going through the rest).
 */
function invalidateTeam(m: Mutation, teamId: string): void {
  m.invalidate({ kind: "team", teamId });
}

export async function createTeam(deps: ManagementDeps, actor: Actor, body: TeamCreate): Promise<TeamObject> {
  const teamId = body.team_id ?? `team_${randomId(20)}`;
  const settings: TeamSettings = {
    name: body.name ?? null,
    budget_id: body.budget_id ?? null,
    metadata: body.metadata ?? {},
    blocked: body.blocked ?? false,
    rpm_limit: body.rpm_limit ?? null,
    tpm_limit: body.tpm_limit ?? null,
    rpd_limit: body.rpd_limit ?? null,
    max_parallel: body.max_parallel ?? null,
  };
  return mutate(deps, actor, async (m) => {
    if (await findTeam(m.trx, teamId)) throw new GatewayError("conflict", `team '${teamId}' already exists`, { param: "team_id" });
    await assertBudget(m, settings.budget_id);
    const row = await insertTeam(m.trx, teamId, settings, m.now);
    const assignment = row.budget_id ? await syncAssignment(m, "team", teamId, row.budget_id) : null;
    await m.audit("team.create", "team", teamId, { ...snapshot(row, SETTINGS), ...assignmentAudit(assignment) });
    m.invalidate({ kind: "team", teamId });
    return teamObject(row);
  });
}

export async function getTeam(deps: ManagementDeps, teamId: string): Promise<TeamObject> {
  const row = await findTeam(deps.db, teamId);
  if (!row) throw notFound("team", teamId, "team_id");
  return teamObject(row);
}

export async function listTeamPage(deps: ManagementDeps, page: PageRequest): Promise<Page<TeamObject>> {
  const rows = await listTeams(deps.db, page);
  return { data: rows.data.map(teamObject), nextCursor: rows.nextCursor };
}

export async function updateTeam(deps: ManagementDeps, actor: Actor, teamId: string, body: TeamPatch): Promise<TeamObject> {
  return mutate(deps, actor, async (m) => {
    const before = await findTeam(m.trx, teamId, true);
    if (!before) throw notFound("team", teamId, "team_id");
    await assertBudget(m, body.budget_id);
    const patch: Partial<TeamSettings> = {};
    for (const f of presentFields(body)) (patch as Record<string, unknown>)[f] = body[f];
    const after = await updateTeamRow(m.trx, teamId, patch, m.now);
    const assignment = body.budget_id !== undefined ? await syncAssignment(m, "team", teamId, after.budget_id) : null;
    await m.audit("team.update", "team", teamId, { ...diff(before, after, SETTINGS), ...assignmentAudit(assignment) });
    invalidateTeam(m, teamId);
    return teamObject(after);
  });
}

/** Deletes the team: members stay (team_id becomes null), keys stay (team_id becomes null). */
export async function deleteTeam(deps: ManagementDeps, actor: Actor, teamId: string): Promise<TeamObject> {
  return mutate(deps, actor, async (m) => {
    const row = await findTeam(m.trx, teamId, true);
    if (!row) throw notFound("team", teamId, "team_id");
    const members = await memberIds(m.trx, teamId);
    const keyIds = (await keysOfTeam(m.trx, teamId)).filter((k) => k.team_id === teamId).map((k) => k.id);
    invalidateTeam(m, teamId);
    await clearUsersTeam(m.trx, teamId, m.now);
    await clearKeysTeam(m.trx, teamId, m.now);
    const assignment = await syncAssignment(m, "team", teamId, null);
    await deleteTeamRow(m.trx, teamId);
    await m.audit("team.delete", "team", teamId, { removed_members: members, detached_keys: keyIds, ...assignmentAudit(assignment) });
    return teamObject(row);
  });
}

/** `/v1/users` and `/v1/teams`. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { actorOf, type ManagementDeps, type ManagementEnv } from "../context.js";
import { listObject, pageRequest } from "../pagination.js";
import { errorResponses, jsonBody, jsonResponse as json, security } from "../schemas/common.js";
import {
  TeamCreateSchema,
  TeamIdParams,
  TeamListQuery,
  TeamListSchema,
  TeamPatchSchema,
  TeamSchema,
  UserCreateSchema,
  UserIdParams,
  UserListQuery,
  UserListSchema,
  UserPatchSchema,
  UserSchema,
} from "../schemas/users.js";
import { createTeam, deleteTeam, getTeam, listTeamPage, updateTeam } from "../services/teams.js";
import { createUser, deleteUser, getUser, listUserPage, updateUser } from "../services/users.js";

const users = { tags: ["users"], security };
const teams = { tags: ["teams"], security };

const createUserRoute = createRoute({
  ...users,
  method: "post",
  path: "/v1/users",
  summary: "Create a user",
  request: { body: jsonBody(UserCreateSchema) },
  responses: { 201: json(UserSchema, "The new user"), ...errorResponses(409) },
});
const listUsersRoute = createRoute({
  ...users,
  method: "get",
  path: "/v1/users",
  summary: "List users, newest first",
  request: { query: UserListQuery },
  responses: { 200: json(UserListSchema, "A page of users"), ...errorResponses() },
});
const getUserRoute = createRoute({
  ...users,
  method: "get",
  path: "/v1/users/{user_id}",
  summary: "Get a user",
  request: { params: UserIdParams },
  responses: { 200: json(UserSchema, "The user"), ...errorResponses(404) },
});
const patchUserRoute = createRoute({
  ...users,
  method: "patch",
  path: "/v1/users/{user_id}",
  summary: "Change a user",
  request: { params: UserIdParams, body: jsonBody(UserPatchSchema) },
  responses: { 200: json(UserSchema, "The changed user"), ...errorResponses(404) },
});
const deleteUserRoute = createRoute({
  ...users,
  method: "delete",
  path: "/v1/users/{user_id}",
  summary: "Delete a user and revoke all their keys",
  request: { params: UserIdParams },
  responses: { 200: json(UserSchema, "The deleted user"), ...errorResponses(404) },
});

const createTeamRoute = createRoute({
  ...teams,
  method: "post",
  path: "/v1/teams",
  summary: "Create a team",
  request: { body: jsonBody(TeamCreateSchema) },
  responses: { 201: json(TeamSchema, "The new team"), ...errorResponses(409) },
});
const listTeamsRoute = createRoute({
  ...teams,
  method: "get",
  path: "/v1/teams",
  summary: "List teams, newest first",
  request: { query: TeamListQuery },
  responses: { 200: json(TeamListSchema, "A page of teams"), ...errorResponses() },
});
const getTeamRoute = createRoute({
  ...teams,
  method: "get",
  path: "/v1/teams/{team_id}",
  summary: "Get a team",
  request: { params: TeamIdParams },
  responses: { 200: json(TeamSchema, "The team"), ...errorResponses(404) },
});
const patchTeamRoute = createRoute({
  ...teams,
  method: "patch",
  path: "/v1/teams/{team_id}",
  summary: "Change a team",
  request: { params: TeamIdParams, body: jsonBody(TeamPatchSchema) },
  responses: { 200: json(TeamSchema, "The changed team"), ...errorResponses(404) },
});
const deleteTeamRoute = createRoute({
  ...teams,
  method: "delete",
  path: "/v1/teams/{team_id}",
  summary: "Delete a team (members and keys stay, without a team)",
  request: { params: TeamIdParams },
  responses: { 200: json(TeamSchema, "The deleted team"), ...errorResponses(404) },
});

export function userRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(createUserRoute, async (c) => c.json(await createUser(deps, actorOf(c), c.req.valid("json")), 201));
  app.openapi(listUsersRoute, async (c) => {
    const { team_id, ...page } = c.req.valid("query");
    return c.json(listObject(await listUserPage(deps, { team_id }, pageRequest(page))), 200);
  });
  app.openapi(getUserRoute, async (c) => c.json(await getUser(deps, c.req.valid("param").user_id), 200));
  app.openapi(patchUserRoute, async (c) => c.json(await updateUser(deps, actorOf(c), c.req.valid("param").user_id, c.req.valid("json")), 200));
  app.openapi(deleteUserRoute, async (c) => c.json(await deleteUser(deps, actorOf(c), c.req.valid("param").user_id), 200));
}

export function teamRoutes(app: OpenAPIHono<ManagementEnv>, deps: ManagementDeps): void {
  app.openapi(createTeamRoute, async (c) => c.json(await createTeam(deps, actorOf(c), c.req.valid("json")), 201));
  app.openapi(listTeamsRoute, async (c) => c.json(listObject(await listTeamPage(deps, pageRequest(c.req.valid("query")))), 200));
  app.openapi(getTeamRoute, async (c) => c.json(await getTeam(deps, c.req.valid("param").team_id), 200));
  app.openapi(patchTeamRoute, async (c) => c.json(await updateTeam(deps, actorOf(c), c.req.valid("param").team_id, c.req.valid("json")), 200));
  app.openapi(deleteTeamRoute, async (c) => c.json(await deleteTeam(deps, actorOf(c), c.req.valid("param").team_id), 200));
}

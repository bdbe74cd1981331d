/** User and team schemas. */
import { z } from "@hono/zod-openapi";
import { ClientId, LimitSettings, LimitValues, Metadata, OptionalText, PageQuery, RefId, Timestamp, listOf } from "./common.js";

const userSettings = {
  alias: OptionalText,
  team_id: RefId.nullable(),
  budget_id: RefId.nullable(),
  metadata: Metadata,
  blocked: z.boolean(),
  ...LimitSettings,
};

export const UserCreateSchema = z
  .strictObject(userSettings)
  .partial()
  .extend({ user_id: ClientId.optional().openapi({ description: 'Generated ("user_…") when absent', example: "alice@example.com" }) })
  .openapi("UserCreate");

export const UserPatchSchema = z.strictObject(userSettings).partial().openapi("UserPatch");

export const UserSchema = z
  .object({
    user_id: z.string(),
    alias: z.string().nullable(),
    team_id: z.string().nullable(),
    budget_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    blocked: z.boolean(),
    ...LimitValues,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("User");

export const UserListSchema = listOf(UserSchema, "UserList");

export const UserIdParams = z.object({
  user_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "user_id", in: "path" } }),
});

export const UserListQuery = z.object({
  team_id: ClientId.optional().openapi({ param: { name: "team_id", in: "query" } }),
  ...PageQuery,
});

const teamSettings = {
  name: OptionalText,
  budget_id: RefId.nullable(),
  metadata: Metadata,
  blocked: z.boolean(),
  ...LimitSettings,
};

export const TeamCreateSchema = z
  .strictObject(teamSettings)
  .partial()
  .extend({ team_id: ClientId.optional().openapi({ description: 'Generated ("team_…") when absent', example: "search" }) })
  .openapi("TeamCreate");

export const TeamPatchSchema = z.strictObject(teamSettings).partial().openapi("TeamPatch");

export const TeamSchema = z
  .object({
    team_id: z.string(),
    name: z.string().nullable(),
    budget_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    blocked: z.boolean(),
    ...LimitValues,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Team");

export const TeamListSchema = listOf(TeamSchema, "TeamList");

export const TeamIdParams = z.object({
  team_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "team_id", in: "path" } }),
});

export const TeamListQuery = z.object({ ...PageQuery });

export type UserCreate = z.infer<typeof UserCreateSchema>;
export type UserPatch = z.infer<typeof UserPatchSchema>;
export type UserObject = z.infer<typeof UserSchema>;
export type TeamCreate = z.infer<typeof TeamCreateSchema>;
export type TeamPatch = z.infer<typeof TeamPatchSchema>;
export type TeamObject = z.infer<typeof TeamSchema>;

/** Virtual key schemas. */
import { z } from "@hono/zod-openapi";
import { checkCidrs, checkModelGlobs } from "../../policy/permissions.js";
import { ClientId, IsoDateTime, LimitSettings, LimitValues, Metadata, OptionalText, PageQuery, RefId, Timestamp, listOf } from "./common.js";

const MAX_LIST = 1000;

const AllowedModels = z
  .array(z.string().max(256))
  .max(MAX_LIST)
  .superRefine((v, ctx) => {
    const problem = checkModelGlobs(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .nullable()
  .openapi({ description: "Exact model names or `*` globs; null allows every model", example: ["gpt-4o-mini", "anthropic:*"] });

const AllowedIps = z
  .array(z.string().max(64))
  .max(MAX_LIST)
  .superRefine((v, ctx) => {
    const problem = checkCidrs(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .nullable()
  .openapi({ description: "IPv4/IPv6 addresses or CIDR ranges; null allows every address", example: ["10.0.0.0/8", "2001:db8::/32"] });

export const KeyStatusSchema = z.enum(["active", "inactive", "expired", "revoked"]);

/** Fields a client may set on a key, on create and on patch. */
const keySettings = {
  key_name: OptionalText,
  user_id: RefId.nullable(),
  team_id: RefId.nullable(),
  expires_at: IsoDateTime.nullable().openapi({ description: "A past time is accepted: the key is expired at once" }),
  is_active: z.boolean(),
  metadata: Metadata,
  allowed_models: AllowedModels,
  allowed_ips: AllowedIps,
  budget_id: RefId.nullable(),
  ...LimitSettings,
};

const KeySettingsSchema = z.strictObject(keySettings);

export const KeyCreateSchema = KeySettingsSchema.partial()
  .extend({ environment: z.enum(["live", "test"]).optional().openapi({ description: "`sb-live-…` (default) or `sb-test-…`" }) })
  .openapi("KeyCreate");

export const KeyPatchSchema = KeySettingsSchema.partial().openapi("KeyPatch");

export const KeySchema = z
  .object({
    id: z.string().openapi({ example: "key_3kTz9QpL0aB7cD2eF4gH" }),
    key_masked: z.string().openapi({ example: "sb-live-Ab3d…" }),
    environment: z.enum(["live", "test"]),
    key_name: z.string().nullable(),
    user_id: z.string().nullable(),
    team_id: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    is_active: z.boolean(),
    status: KeyStatusSchema,
    metadata: z.record(z.string(), z.unknown()),
    allowed_models: z.array(z.string()).nullable(),
    allowed_ips: z.array(z.string()).nullable(),
    budget_id: z.string().nullable(),
    ...LimitValues,
  })
  .openapi("Key");

/** A key as returned by create and rotate: the only responses that carry the plaintext. */
export const KeyWithSecretSchema = KeySchema.extend({
  key: z.string().openapi({ description: "The key itself. Shown once: store it now.", example: "sb-live-Ab3dEf…" }),
}).openapi("KeyWithSecret");

export const KeyListSchema = listOf(KeySchema, "KeyList");

export const KeyIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "key_3kTz9QpL0aB7cD2eF4gH" }),
});

export const KeyListQuery = z.object({
  user_id: ClientId.optional().openapi({ param: { name: "user_id", in: "query" } }),
  team_id: ClientId.optional().openapi({ param: { name: "team_id", in: "query" } }),
  status: KeyStatusSchema.optional().openapi({ param: { name: "status", in: "query" } }),
  ...PageQuery,
});

export type KeyCreate = z.infer<typeof KeyCreateSchema>;
export type KeyPatch = z.infer<typeof KeyPatchSchema>;
export type KeyObject = z.infer<typeof KeySchema>;
export type KeyWithSecret = z.infer<typeof KeyWithSecretSchema>;

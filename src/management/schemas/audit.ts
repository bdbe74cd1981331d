/** Audit log schemas. */
import { z } from "@hono/zod-openapi";
import { IsoDateTime, PageQuery, Timestamp, listOf } from "./common.js";

export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: Timestamp,
    actor: z.string().openapi({ example: "master" }),
    action: z.string().openapi({ example: "key.create" }),
    target_type: z.string().openapi({ example: "key" }),
    target_id: z.string().nullable(),
    source_ip: z.string().nullable(),
    request_id: z.string().nullable(),
    changes: z.record(z.string(), z.unknown()).openapi({
      description: "Created objects: each field's value. Updates: `{field: {from, to}}`. Never a secret.",
    }),
  })
  .openapi("AuditEvent");

export const AuditListSchema = listOf(AuditEventSchema, "AuditList");

const text = (name: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({ param: { name, in: "query" } });

export const AuditListQuery = z.object({
  actor: text("actor"),
  action: text("action"),
  target_type: text("target_type"),
  target_id: text("target_id"),
  from: IsoDateTime.optional().openapi({ param: { name: "from", in: "query" }, description: "inclusive" }),
  to: IsoDateTime.optional().openapi({ param: { name: "to", in: "query" }, description: "exclusive" }),
  ...PageQuery,
});

export type AuditEventObject = z.infer<typeof AuditEventSchema>;

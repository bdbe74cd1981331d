/** Budget schemas. Money is decimal USD in JSON, integer micro-USD inside. */
import { z } from "@hono/zod-openapi";
import { usdToMicros } from "../../catalog/prices.js";
import { parseDuration } from "../../budgets/duration.js";
import { ClientId, Metadata, PageQuery, Timestamp, listOf } from "./common.js";
import { SUBJECT_TYPES } from "../../store/scopes.js";

/**
 * A decimal USD amount greater than 0, as a JSON number or a string ("12.345678"): at most 6
 * decimals (micro-USD), converted exactly by `usdToMicros`.
 */
export const PositiveUsd = z
  .union([z.number(), z.string().max(64)])
  .superRefine((v, ctx) => {
    let micros: number;
    try {
      micros = usdToMicros(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `must be a decimal USD amount with at most 6 decimals: ${(e as Error).message}` });
      return;
    }
    if (micros <= 0) ctx.addIssue({ code: "custom", message: "must be greater than 0" });
  })
  .openapi({ description: "Decimal USD (number or string), > 0, at most 6 decimals", example: 25 });

const Duration = z
  .string()
  .max(32)
  .superRefine((v, ctx) => {
    try {
      parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  })
  .openapi({ description: 'A period: "30m", "12h", "1d", "7d", "1w", "1mo", "1y"; null never resets', example: "30d" });

const DurationSec = z.number().int().positive().max(2_147_483_647).openapi({ description: "The period in seconds (instead of budget_duration); null never resets", example: 86400 });

const Thresholds = z
  .array(z.number().min(1).max(1000))
  .max(20)
  .openapi({ description: "Percentages of max_budget that send one alert each per period", example: [50, 80, 100] });

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: "must be an http or https URL" })
  .max(2048)
  .nullable()
  .openapi({ example: "https://hooks.example.com/budget" });

export const BudgetModeSchema = z.enum(["enforce", "track"]).openapi({ description: "`enforce` refuses requests the budget cannot cover (402); `track` only records" });

const budgetSettings = {
  max_budget: PositiveUsd,
  budget_duration: Duration.nullable(),
  budget_duration_sec: DurationSec.nullable(),
  mode: BudgetModeSchema,
  alert_thresholds: Thresholds,
  alert_webhook_url: WebhookUrl,
  max_request_usd: PositiveUsd.nullable().openapi({ description: "Largest cost one request may reserve; null for no per-request limit" }),
  metadata: Metadata,
};

export const BudgetCreateSchema = z
  .strictObject(budgetSettings)
  .partial()
  .required({ max_budget: true })
  .extend({ budget_id: ClientId.optional().openapi({ description: 'Generated ("budget_…") when absent', example: "monthly-100" }) })
  .openapi("BudgetCreate");

export const BudgetPatchSchema = z.strictObject(budgetSettings).partial().openapi("BudgetPatch");

export const BudgetAssignmentSchema = z
  .object({
    subject_type: z.enum(SUBJECT_TYPES),
    subject_id: z.string(),
    period_start: Timestamp,
    reset_at: Timestamp.nullable().openapi({ description: "End of the current period; null when the budget never resets" }),
    spend_usd: z.string().openapi({ description: "Spend in the current period, decimal USD", example: "12.345678" }),
  })
  .openapi("BudgetAssignment");

export const BudgetSchema = z
  .object({
    budget_id: z.string(),
    max_budget: z.number().openapi({ example: 100 }),
    budget_duration: z.string().nullable().openapi({ example: "30d" }),
    budget_duration_sec: z.number().int().nullable().openapi({ description: "null for calendar periods (months, years) and budgets that never reset" }),
    mode: BudgetModeSchema,
    alert_thresholds: z.array(z.number()),
    alert_webhook_url: z.string().nullable(),
    max_request_usd: z.number().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
    updated_at: Timestamp,
    assignments: z.array(BudgetAssignmentSchema),
  })
  .openapi("Budget");

export const BudgetListSchema = listOf(BudgetSchema, "BudgetList");

export const BudgetIdParams = z.object({
  budget_id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "budget_id", in: "path" }, example: "monthly-100" }),
});

export const BudgetListQuery = z.object({ ...PageQuery });

export type BudgetCreate = z.infer<typeof BudgetCreateSchema>;
export type BudgetPatch = z.infer<typeof BudgetPatchSchema>;
export type BudgetObject = z.infer<typeof BudgetSchema>;
export type BudgetAssignmentObject = z.infer<typeof BudgetAssignmentSchema>;

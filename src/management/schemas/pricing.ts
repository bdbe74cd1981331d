/** Price override schemas (prices set here win over config and the catalog). */
import { z } from "@hono/zod-openapi";
import { parseDecimal } from "../../catalog/decimal.js";
import { Timestamp } from "./common.js";

/** The most a price per million tokens may be, and its finest step. */
export const MAX_PRICE_PER_MILLION = 1_000_000;
export const MAX_PRICE_DECIMALS = 12;

/** USD per million tokens: a decimal ≥ 0 as a JSON number or a string ("0.075"). */
const PricePerMillion = z
  .union([z.number(), z.string().max(64)])
  .superRefine((v, ctx) => {
    const d = typeof v === "number" && !Number.isFinite(v) ? undefined : parseDecimal(String(v));
    if (!d) return void ctx.addIssue({ code: "custom", message: "must be a decimal number ≥ 0 (USD per million tokens)" });
    if (d.scale > MAX_PRICE_DECIMALS) return void ctx.addIssue({ code: "custom", message: `must have at most ${MAX_PRICE_DECIMALS} decimals` });
    if (d.digits > BigInt(MAX_PRICE_PER_MILLION) * 10n ** BigInt(d.scale)) ctx.addIssue({ code: "custom", message: `must be at most ${MAX_PRICE_PER_MILLION}` });
  })
  .openapi({ description: "USD per million tokens, ≥ 0 (number or decimal string)", example: 0.15 });

/** `provider:model` or `provider/model` (the same name). */
export const PriceModel = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*[:/][^\s]+$/, 'must be "provider:model" or "provider/model"')
  .openapi({ example: "openai:gpt-4o-mini" });

export const PriceSetSchema = z
  .strictObject({
    model: PriceModel,
    input_price_per_million: PricePerMillion,
    output_price_per_million: PricePerMillion,
    cached_input_price_per_million: PricePerMillion.nullable().optional().openapi({ description: "Cached-read input; absent or null: charged as input" }),
  })
  .openapi("PriceSet");

export const PriceSchema = z
  .object({
    model: z.string().openapi({ description: "Normalised to provider:model", example: "openai:gpt-4o-mini" }),
    input_price_per_million: z.number(),
    output_price_per_million: z.number(),
    cached_input_price_per_million: z.number().nullable(),
    source: z.enum(["api", "catalog"]).openapi({ description: "`api`: set here; `catalog`: the built-in catalog (only with ?include=catalog)" }),
    price_version: z.string().openapi({ description: "What usage records costed at this price store", example: "api:2025-01-31T12:00:00.000Z" }),
    updated_at: Timestamp.nullable(),
  })
  .openapi("Price");

export const PriceListSchema = z.object({ object: z.literal("list"), data: z.array(PriceSchema), next_cursor: z.string().nullable() }).openapi("PriceList");

export const PriceListQuery = z.object({
  include: z
    .enum(["catalog"])
    .optional()
    .openapi({ param: { name: "include", in: "query" }, description: "`catalog` adds the built-in catalog's prices (by provider type) not overridden here" }),
});

export const PriceModelParams = z.object({
  model: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "model", in: "path" }, description: "provider:model, or provider/model with the slash URL-encoded (%2F)", example: "openai:gpt-4o-mini" }),
});

export type PriceSet = z.infer<typeof PriceSetSchema>;
export type PriceObject = z.infer<typeof PriceSchema>;

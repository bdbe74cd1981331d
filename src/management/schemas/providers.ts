/** `GET /v1/providers`: each deployment's circuit and live figures. */
import { z } from "@hono/zod-openapi";

const Percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });

export const DeploymentStatusSchema = z
  .object({
    deployment: z.string().openapi({ example: "openai:gpt-4o-mini" }),
    provider: z.string(),
    model: z.string(),
    state: z.enum(["closed", "open", "half-open"]),
    in_flight: z.number().int(),
    requests: z.number().int().openapi({ description: "Attempts in the recent window (the last 5 minutes, at most the last 1,000)" }),
    errors: z.number().int(),
    error_rate: z.number(),
    ttft_ms: Percentiles.openapi({ description: "Time to first token (for non-stream answers, to the whole answer)" }),
    total_ms: Percentiles,
    ewma_ttft_ms: z.number().nullable(),
    opened_at: z.string().nullable(),
  })
  .openapi("DeploymentStatus");

export const ProviderListSchema = z.object({ object: z.literal("list"), data: z.array(DeploymentStatusSchema), next_cursor: z.null() }).openapi("DeploymentStatusList");

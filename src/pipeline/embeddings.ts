/** POST /v1/embeddings through the pipeline. */
import { authorizeModel } from "../policy/auth.js";
import { refuseUnpriced } from "../pricing/unpriced.js";
import { GatewayError } from "../core/errors.js";
import { countEmbeddingsTokens, embeddingsTokenBound } from "../core/tokens.js";
import { describeIssues, embeddingsRequestSchema, type EmbeddingsRequest, type EmbeddingsResponse } from "../wire/openai.js";
import { cutInFlight, NO_USAGE, recordAttempt } from "./account.js";
import { endAttempt, withAttempts } from "./attempts.js";
import { routeEmbeddings, type RoutingExtensions } from "./route.js";
import { reserveEmbeddings, reserveSpentAttempt } from "./budget.js";
import { callOptions, stripExtensions } from "./chat.js";
import type { RequestContext, Runtime } from "./context.js";
import { admitAndReserve, admitEmbeddings } from "./limits.js";

export function parseEmbeddingsRequest(raw: Record<string, unknown>): EmbeddingsRequest {
  const parsed = embeddingsRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error);
    throw new GatewayError("invalid_request", `invalid embeddings request: ${message}`, { param });
  }
  return stripExtensions(parsed.data);
}

export async function runEmbeddings(rt: Runtime, ctx: RequestContext, req: EmbeddingsRequest, ext: RoutingExtensions): Promise<EmbeddingsResponse> {
  if (ctx.principal) authorizeModel(ctx.principal, req.model);
  const route = routeEmbeddings(rt, ctx, req.model, ext, Math.ceil(embeddingsTokenBound(req.input) / 4));
  if (rt.config.pricingRequired) refuseUnpriced(rt.pricing, req.model, route.deployments);
  await admitAndReserve(
    () => admitEmbeddings(rt, ctx, req),
    () => reserveEmbeddings(rt, ctx, req, route.deployments),
  );
  const { value, info } = await withAttempts(
    rt,
    ctx,
    route.steps,
    async (info) => {
      if (!info.provider.embeddings || !info.provider.capabilities.embeddings) {
        throw new GatewayError("invalid_request", `provider '${info.deployment.provider}' does not offer embeddings`, { param: "model" });
      }
      const body = await info.provider.embeddings({ ...req, model: info.deployment.model }, callOptions(ctx, info));
      ctx.externalMs += performance.now() - info.startedAt;
      return body;
    },
    (info, err) => {
      const usage = cutInFlight(err) ? { ...NO_USAGE, promptTokens: embeddingsTokenBound(req.input), estimated: true } : NO_USAGE;
      const cost = recordAttempt(rt, ctx, info, req.model, { status: err.status, error: err, usage, streamed: false });
      if (err.retryable) return reserveSpentAttempt(rt, ctx, cost.totalMicros);
    },
    route.tokens,
  );
  endAttempt(rt, info, true);
  const reported = value.usage?.prompt_tokens;
  const promptTokens = reported ?? (await countEmbeddingsTokens(req.input));
  recordAttempt(rt, ctx, info, req.model, { status: 200, usage: { ...NO_USAGE, promptTokens, estimated: reported === undefined }, streamed: false });
  return value;
}

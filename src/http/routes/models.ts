/** GET /v1/models and /v1/models/{id}: configured aliases, then each configured provider's catalog models. */
import { Hono } from "hono";
import { catalogModels } from "../../catalog/models.js";
import { GatewayError } from "../../core/errors.js";
import type { Runtime } from "../../pipeline/context.js";
import { providerDefinition } from "../../providers/registry.js";
import { splitModelName } from "../../routing/resolve.js";
import type { Principal } from "../../policy/auth.js";

interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  mode?: string;
  context_window?: number;
  max_output_tokens?: number;
  capabilities?: unknown;
  deployments?: string[];
}

const CREATED = 1735689600; // 2025-01-01: models have no meaningful creation time here

export function listModels(rt: Runtime): ModelObject[] {
  const out: ModelObject[] = [];
  for (const g of rt.resolver.aliases()) {
    out.push({ id: g.name, object: "model", created: CREATED, owned_by: "switchboard", deployments: g.deployments.map((d) => d.model) });
  }
  for (const [id, settings] of Object.entries(rt.config.providers)) {
    const def = providerDefinition(settings.type);
    for (const m of catalogModels(settings.type)) {
      out.push({
        id: `${id}:${m.id}`,
        object: "model",
        created: CREATED,
        owned_by: id,
        mode: m.mode,
        context_window: m.contextWindow,
        max_output_tokens: m.maxOutputTokens,
        capabilities: def?.capabilities,
      });
    }
  }
  return out;
}

/** Models the principal may use: a key with `allowed_models` sees only those. */
function visibleModels(rt: Runtime, p: Principal | undefined): ModelObject[] {
  const all = listModels(rt);
  const allowed = p?.key?.allowedModels;
  return allowed ? all.filter((m) => allowed.allows(m.id)) : all;
}

export function modelRoutes(rt: Runtime): Hono<{ Variables: { principal: Principal } }> {
  const app = new Hono<{ Variables: { principal: Principal } }>();
  app.get("/v1/models", (c) => c.json({ object: "list", data: visibleModels(rt, c.get("principal")), next_cursor: null }));
  app.get("/v1/models/:id{.+}", (c) => {
    const id = decodeURIComponent(c.req.param("id"));
    const models = visibleModels(rt, c.get("principal"));
    const split = splitModelName(id);
    const normalised = split ? `${split.provider}:${split.model}` : id;
    const found = models.find((m) => m.id === id || m.id === normalised);
    if (found) return c.json(found);
    if (split && rt.config.providers[split.provider] && !c.get("principal")?.key?.allowedModels) {
      return c.json({ id: normalised, object: "model", created: CREATED, owned_by: split.provider });
    }
    throw new GatewayError("model_not_found", `model '${id}' not found`, { param: "model" });
  });
  return app;
}

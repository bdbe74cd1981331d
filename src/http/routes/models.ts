/**
 * GET /v1/models and /v1/models/{id}: configured aliases, then each configured provider's models:
 * the catalog's, or, for an OpenAI-compatible server at its own base URL, the models the server
 * lists itself (kept for a minute; the catalog's, marked, when the server cannot be listed).
 */
import { Hono } from "hono";
import { catalogModels, findCatalogModel } from "../../catalog/models.js";
import { GatewayError } from "../../core/errors.js";
import type { Runtime } from "../../pipeline/context.js";
import { ServerModelLists, type ServerModels } from "../../providers/model-list.js";
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
  /** Where a server-listed provider's entry came from; absent for aliases and catalog-listed providers. */
  switchboard?: { source: "upstream" } | { source: "catalog"; error: string };
}

const CREATED = 1735689600; // 2025-01-01: models have no meaningful creation time here

interface Listing {
  models: ModelObject[];
  /** One line per server-listed provider that could not be listed. */
  warnings: string[];
  /** Providers whose entries are the server's own list (an id missing from it is unknown). */
  serverListed: Set<string>;
}

/**
 * The aliases and the models of every provider, or (`only`) of one provider (`{ provider: null }`:
 * none), so retrieving one model never waits on another provider's server.
 */
export async function listModels(rt: Runtime, lists: ServerModelLists, only?: { provider: string | null }): Promise<Listing> {
  const out: Listing = { models: [], warnings: [], serverListed: new Set() };
  for (const g of rt.resolver.aliases()) {
    out.models.push({ id: g.name, object: "model", created: CREATED, owned_by: "switchboard", deployments: g.deployments.map((d) => d.model) });
  }
  const ids = Object.keys(rt.config.providers).filter((id) => !only || only.provider === id);
  const server = await Promise.all(ids.map((id) => serverModels(rt, lists, id)));
  ids.forEach((id, i) => {
    const settings = rt.config.providers[id];
    const capabilities = providerDefinition(settings.type)?.capabilities;
    const listed = server[i];
    if (listed?.source === "upstream") {
      out.serverListed.add(id);
      for (const m of listed.models) {
        const known = findCatalogModel(settings.type, m.id);
        out.models.push({
          id: `${id}:${m.id}`,
          object: "model",
          created: m.created ?? CREATED,
          owned_by: id,
          mode: known?.mode,
          context_window: m.contextWindow ?? known?.contextWindow,
          max_output_tokens: known?.maxOutputTokens,
          capabilities,
          switchboard: { source: "upstream" },
        });
      }
      return;
    }
    if (listed) out.warnings.push(fallbackWarning(id, listed));
    for (const m of catalogModels(settings.type)) {
      out.models.push({
        id: `${id}:${m.id}`,
        object: "model",
        created: CREATED,
        owned_by: id,
        mode: m.mode,
        context_window: m.contextWindow,
        max_output_tokens: m.maxOutputTokens,
        capabilities,
        ...(listed ? { switchboard: { source: "catalog" as const, error: listed.error } } : {}),
      });
    }
  });
  return out;
}

async function serverModels(rt: Runtime, lists: ServerModelLists, id: string): Promise<ServerModels | null> {
  const provider = rt.providers.get(id);
  return provider ? lists.get(provider) : null;
}

function fallbackWarning(id: string, listed: Extract<ServerModels, { source: "catalog" }>): string {
  // A header value: printable ASCII only, bounded.
  const why = listed.error.replace(/[^\x20-\x7e]/g, "?").slice(0, 300);
  return `provider '${id}': could not list the server's models (${why}); its catalog models are listed instead`;
}

/** Models the principal may use: a key with `allowed_models` sees only those. */
async function visibleModels(rt: Runtime, lists: ServerModelLists, p: Principal | undefined, only?: { provider: string | null }): Promise<Listing> {
  const listing = await listModels(rt, lists, only);
  const allowed = p?.key?.allowedModels;
  if (allowed) listing.models = listing.models.filter((m) => allowed.allows(m.id));
  return listing;
}

export function modelRoutes(rt: Runtime, lists = new ServerModelLists()): Hono<{ Variables: { principal: Principal } }> {
  const app = new Hono<{ Variables: { principal: Principal } }>();
  app.get("/v1/models", async (c) => {
    const listing = await visibleModels(rt, lists, c.get("principal"));
    if (listing.warnings.length) c.header("x-switchboard-warnings", listing.warnings.join("; "));
    return c.json({ object: "list", data: listing.models, next_cursor: null });
  });
  app.get("/v1/models/:id{.+}", async (c) => {
    const id = decodeURIComponent(c.req.param("id"));
    const split = splitModelName(id);
    const normalised = split ? `${split.provider}:${split.model}` : id;
    const listing = await visibleModels(rt, lists, c.get("principal"), { provider: split?.provider ?? null });
    const found = listing.models.find((m) => m.id === id || m.id === normalised);
    if (found) return c.json(found);
    // Any model of a configured provider may be requested; a server's own list is complete, though.
    if (split && rt.config.providers[split.provider] && !listing.serverListed.has(split.provider) && !c.get("principal")?.key?.allowedModels) {
      return c.json({ id: normalised, object: "model", created: CREATED, owned_by: split.provider });
    }
    throw new GatewayError("model_not_found", `model '${id}' not found`, { param: "model" });
  });
  return app;
}

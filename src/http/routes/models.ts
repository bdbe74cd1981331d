/**
 * GET /v1/models and /v1/models/{id}: configured aliases, then each configured provider's models:
 * the catalog's, or, for an OpenAI-compatible server at its own base URL, the models the server
 * lists itself (kept for a minute; the catalog's, marked, when the server cannot be listed).
 *
 * Every provider model carries the price the gateway bills it at (the PriceResolver's answer:
 * /v1/pricing over config over catalog, with its source) or null when unpriced, and what the
 * capability catalog knows it can do, or null when it does not know the model. An alias carries
 * neither (its deployments may differ); it names its deployments instead.
 */
import { Hono } from "hono";
import { catalogModels, findCatalogModel } from "../../catalog/models.js";
import { GatewayError } from "../../core/errors.js";
import type { Runtime } from "../../pipeline/context.js";
import { ServerModelLists, type ServerModels } from "../../providers/model-list.js";
import { capabilitiesOf } from "../../catalog/capabilities.js";
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
  /** Absent on aliases only. */
  pricing?: ModelPricing | null;
  /** Absent on aliases only. */
  capabilities?: ModelCapabilities | null;
  deployments?: string[];
  /** Where a server-listed provider's entry came from; absent for aliases and catalog-listed providers. */
  switchboard?: { source: "upstream" } | { source: "catalog"; error: string };
}

/** USD per million tokens, as the gateway bills the model, and where that price was set. */
interface ModelPricing {
  input: number;
  output: number;
  cached_input?: number;
  source: "api" | "config" | "catalog";
}

interface ModelCapabilities {
  tools: boolean;
  vision: boolean;
  json_mode: boolean;
  reasoning: boolean;
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
          pricing: pricingOf(rt, id, m.id),
          capabilities: capabilitiesJson(settings.type, m.id),
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
        pricing: pricingOf(rt, id, m.id),
        capabilities: capabilitiesJson(settings.type, m.id),
        ...(listed ? { switchboard: { source: "catalog" as const, error: listed.error } } : {}),
      });
    }
  });
  return out;
}

/** The price that applies to a provider's model, or null when none does. */
function pricingOf(rt: Runtime, providerId: string, model: string): ModelPricing | null {
  const resolved = rt.pricing.lookup(providerId, model);
  if (!resolved) return null;
  const { input, output, cachedInput } = resolved.price;
  return cachedInput === undefined ? { input, output, source: resolved.source } : { input, output, cached_input: cachedInput, source: resolved.source };
}

/** What the capability catalog knows of a provider type's model, or null when it does not know the model. */
function capabilitiesJson(providerType: string, model: string): ModelCapabilities | null {
  const c = capabilitiesOf(providerType, model);
  return c ? { tools: c.tools, vision: c.vision, json_mode: c.jsonMode, reasoning: c.reasoning } : null;
}

/** A model of a configured provider that no list names (any model may be requested): what is known of it. */
function unlistedModel(rt: Runtime, providerId: string, model: string): ModelObject {
  const type = rt.config.providers[providerId].type;
  const known = findCatalogModel(type, model);
  const out: ModelObject = { id: `${providerId}:${model}`, object: "model", created: CREATED, owned_by: providerId };
  if (known?.contextWindow !== undefined) out.context_window = known.contextWindow;
  if (known?.maxOutputTokens !== undefined) out.max_output_tokens = known.maxOutputTokens;
  out.pricing = pricingOf(rt, providerId, model);
  out.capabilities = capabilitiesJson(type, model);
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
      return c.json(unlistedModel(rt, split.provider, split.model));
    }
    throw new GatewayError("model_not_found", `model '${id}' not found`, { param: "model" });
  });
  return app;
}

/**
 * `listModels`: the models a provider serves, asked of the provider itself where it has a models
 * endpoint — OpenAI and every OpenAI-compatible type `GET {base_url}/models`, Anthropic
 * `GET /v1/models`, Gemini `GET /v1beta/models` — through the same transport, credentials, proxy
 * and error mapping as a completion. Otherwise (no such endpoint, no key, or the call fails) the
 * catalog's models, and the reason goes to `onWarning`. Every entry says where it came from.
 *
 * Bounds: one page of each list (1000 models, the most Anthropic and Gemini give per page; an
 * OpenAI-compatible server lists all at once), at most MODEL_LIST_MAX_BYTES read, 10 seconds
 * unless `timeouts` says otherwise.
 */
import { catalogModels, findCatalogModel } from "../catalog/models.js";
import { GatewayError } from "../core/errors.js";
import { anthropicEndpoint, anthropicHeaders, anthropicWire, ANTHROPIC_DEFAULT_BASE_URL } from "../providers/anthropic/index.js";
import { GEMINI_BASE_URL, geminiWire } from "../providers/gemini/index.js";
import { createHttpProvider, httpOptions } from "../providers/http.js";
import { MODEL_LIST_MAX_BYTES } from "../providers/model-list.js";
import { bearerAuth, openAIWire } from "../providers/openai/index.js";
import { MAX_LISTED_MODELS, MAX_MODEL_ID_LENGTH, modelsResponse as openAIModels } from "../providers/openai/models.js";
import { OPENAI_COMPATIBLE_PRESETS } from "../providers/openai-compatible/presets.js";
import { knownProviderTypes } from "../providers/registry.js";
import type { Timeouts, UpstreamModel, UpstreamRequest, WireAdapter } from "../providers/types.js";
import { MissingApiKeyError } from "./errors.js";
import { definitionFor, resolveProvider, type ProviderOptions, type ResolvedProvider } from "./providers.js";

export interface ModelInfo {
  /** `provider:model`, as `completion` takes it. */
  id: string;
  /** The provider as named in the call (its type when every type's catalog is listed). */
  provider: string;
  /** Absent when neither the provider's list nor the catalog says. */
  mode?: "chat" | "embedding";
  contextWindow?: number;
  maxOutputTokens?: number;
  /** `provider`: the provider's own models endpoint listed it; `catalog`: the built-in catalog did. */
  source: "provider" | "catalog";
}

/** Provider options (as for `createProvider`), and for the call itself a signal and where warnings go. */
export type ListModelsOptions = ProviderOptions & {
  signal?: AbortSignal;
  /** Told why a provider's own list could not be had, when its catalog is listed instead. */
  onWarning?: (message: string) => void;
};

/** How long a list may take unless `timeouts` says otherwise. */
export const LIST_MODELS_TIMEOUT_MS = 10_000;
/** Most models asked for on one page of Anthropic's and Gemini's lists (their maximum). */
const PAGE_SIZE = 1000;

/** A listed model with what the provider said about it beyond the OpenAI fields. */
interface ListedModel extends UpstreamModel {
  mode?: "chat" | "embedding";
  maxOutputTokens?: number;
}

/** The models endpoint of a provider type: its wire (for its errors), base URL, auth and list format. */
interface ModelsEndpoint {
  wire: WireAdapter;
  baseUrl: string;
  auth: Record<string, string>;
  request: UpstreamRequest;
  parse: (body: unknown) => ListedModel[];
}

/**
 * The models of one provider (its own list where it has one), or, without a provider, the catalog
 * of every provider type (no network). An unknown provider is an UnsupportedProviderError.
 */
export async function listModels(provider?: string, options: ListModelsOptions = {}): Promise<ModelInfo[]> {
  if (provider === undefined) return knownProviderTypes().flatMap((type) => fromCatalog(type, type));
  const { signal, onWarning, ...providerOptions } = options;
  const def = definitionFor(provider, providerOptions.type);
  let resolved: ResolvedProvider;
  try {
    resolved = resolveProvider(provider, providerOptions);
  } catch (e) {
    // Without a key the provider cannot be asked; its catalog still says what it serves.
    if (!(e instanceof MissingApiKeyError)) throw e;
    onWarning?.(`provider '${provider}': ${e.message}; its catalog's models are listed instead`);
    return fromCatalog(provider, def.type);
  }
  const endpoint = modelsEndpoint(resolved);
  if (!endpoint) return fromCatalog(provider, def.type);
  try {
    const listed = await fetchModels(resolved, endpoint, { signal, timeouts: providerOptions.timeouts });
    return listed.map((m) => fromProvider(provider, def.type, m));
  } catch (e) {
    onWarning?.(`provider '${provider}': could not list its models (${(e as Error).message}); its catalog's models are listed instead`);
    return fromCatalog(provider, def.type);
  }
}

function fromCatalog(provider: string, type: string): ModelInfo[] {
  return catalogModels(type).map((m) => ({ id: `${provider}:${m.id}`, provider, mode: m.mode, contextWindow: m.contextWindow, maxOutputTokens: m.maxOutputTokens, source: "catalog" as const }));
}

/** A listed model, with the catalog's details where the provider did not give them. */
function fromProvider(provider: string, type: string, m: ListedModel): ModelInfo {
  const known = findCatalogModel(type, m.id);
  const info: ModelInfo = { id: `${provider}:${m.id}`, provider, source: "provider" };
  const mode = m.mode ?? known?.mode;
  const contextWindow = m.contextWindow ?? known?.contextWindow;
  const maxOutputTokens = m.maxOutputTokens ?? known?.maxOutputTokens;
  if (mode) info.mode = mode;
  if (contextWindow !== undefined) info.contextWindow = contextWindow;
  if (maxOutputTokens !== undefined) info.maxOutputTokens = maxOutputTokens;
  return info;
}

async function fetchModels(r: ResolvedProvider, endpoint: ModelsEndpoint, call: { signal?: AbortSignal; timeouts?: Partial<Timeouts> }): Promise<ListedModel[]> {
  const secrets = r.settings.apiKey ? [r.settings.apiKey] : [];
  const wire: WireAdapter = { ...endpoint.wire, modelsRequest: () => endpoint.request, modelsResponse: endpoint.parse };
  const lister = createHttpProvider(wire, httpOptions(r.settings, r.defaults, { baseUrl: endpoint.baseUrl, auth: endpoint.auth, capabilities: r.def.capabilities, secrets }));
  const t = LIST_MODELS_TIMEOUT_MS;
  const timeouts: Timeouts = { connectMs: t, firstTokenMs: t, idleMs: t, totalMs: t, ...call.timeouts };
  try {
    // The entries are the endpoint's parse's, ListedModels with their extra details, handed on as they are.
    return await lister.listModels!({ signal: call.signal, timeouts }, MODEL_LIST_MAX_BYTES);
  } finally {
    // Its connections are this call's alone: none may keep the process alive.
    await lister.close?.();
  }
}

function modelsEndpoint(r: ResolvedProvider): ModelsEndpoint | undefined {
  const s = r.settings;
  const secrets = s.apiKey ? [s.apiKey] : [];
  const get = (path: string): UpstreamRequest => ({ path, method: "GET", headers: { accept: "application/json" } });
  if (r.def.type in OPENAI_COMPATIBLE_PRESETS) {
    const baseUrl = s.baseUrl ?? r.def.defaultBaseUrl;
    if (!baseUrl) return undefined;
    return { wire: openAIWire(s.id, secrets), baseUrl, auth: bearerAuth(s.apiKey), request: get("/models"), parse: openAIModels };
  }
  if (r.def.type === "anthropic") {
    const { baseUrl, path } = anthropicEndpoint(s.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL);
    const modelsPath = `${path.replace(/messages$/, "models")}?limit=${PAGE_SIZE}`;
    return { wire: anthropicWire(s.id, secrets), baseUrl, auth: anthropicHeaders(s.apiKey, s.extra), request: get(modelsPath), parse: anthropicModels };
  }
  if (r.def.type === "gemini") {
    const apiVersion = typeof s.extra.api_version === "string" && s.extra.api_version ? s.extra.api_version : "v1beta";
    return {
      wire: geminiWire(s.id, secrets, { apiVersion }),
      baseUrl: s.baseUrl ?? GEMINI_BASE_URL,
      auth: s.apiKey ? { "x-goog-api-key": s.apiKey } : {},
      request: get(`/${apiVersion}/models?pageSize=${PAGE_SIZE}`),
      parse: geminiModels,
    };
  }
  return undefined;
}

const positive = (n: unknown): number | undefined => (Number.isSafeInteger(n) && (n as number) > 0 ? (n as number) : undefined);
const validId = (id: unknown): id is string => typeof id === "string" && id !== "" && id.length <= MAX_MODEL_ID_LENGTH;

function listOf(body: unknown, key: "data" | "models"): unknown[] {
  const list = body && typeof body === "object" ? (body as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(list)) throw new GatewayError("upstream_error", `upstream returned a model list without a ${key} array`, { retryable: false });
  return list.slice(0, MAX_LISTED_MODELS);
}

/** Anthropic: `{ data: [{ id, created_at, max_input_tokens, max_tokens }], has_more, … }`; every model is a chat model. */
function anthropicModels(body: unknown): ListedModel[] {
  const out: ListedModel[] = [];
  for (const e of listOf(body, "data")) {
    if (!e || typeof e !== "object") continue;
    const { id, created_at, max_input_tokens, max_tokens } = e as Record<string, unknown>;
    if (!validId(id)) continue;
    const m: ListedModel = { id, mode: "chat" };
    const created = typeof created_at === "string" ? Date.parse(created_at) : NaN;
    if (Number.isFinite(created) && created >= 0) m.created = Math.floor(created / 1000);
    const contextWindow = positive(max_input_tokens);
    const maxOutputTokens = positive(max_tokens);
    if (contextWindow) m.contextWindow = contextWindow;
    if (maxOutputTokens) m.maxOutputTokens = maxOutputTokens;
    out.push(m);
  }
  return out;
}

/**
 * Gemini: `{ models: [{ name: "models/…", inputTokenLimit, outputTokenLimit, supportedGenerationMethods }] }`.
 * A model that generates content is a chat model; one that only embeds, an embedding model.
 */
function geminiModels(body: unknown): ListedModel[] {
  const out: ListedModel[] = [];
  for (const e of listOf(body, "models")) {
    if (!e || typeof e !== "object") continue;
    const { name, inputTokenLimit, outputTokenLimit, supportedGenerationMethods } = e as Record<string, unknown>;
    const id = typeof name === "string" ? name.replace(/^models\//, "") : undefined;
    if (!validId(id)) continue;
    const m: ListedModel = { id };
    const methods = Array.isArray(supportedGenerationMethods) ? supportedGenerationMethods : [];
    if (methods.includes("generateContent")) m.mode = "chat";
    else if (methods.includes("embedContent") || methods.includes("batchEmbedContents")) m.mode = "embedding";
    const contextWindow = positive(inputTokenLimit);
    const maxOutputTokens = positive(outputTokenLimit);
    if (contextWindow) m.contextWindow = contextWindow;
    if (maxOutputTokens) m.maxOutputTokens = maxOutputTokens;
    out.push(m);
  }
  return out;
}

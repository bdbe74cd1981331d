/**
 * Known models per provider type, as typed data with their prices. `/v1/models` lists these for
 * every configured provider whose server does not list its own (providers/model-list.ts), and
 * for those when it cannot; `catalog/prices.ts` prices usage with them; `maxOutputTokens` sizes
 * budget reservations for requests without `max_tokens`.
 *
 * Price basis (PRICE_CATALOG_VERSION): the providers' published standard/on-demand list prices in
 * USD per million tokens as of 2026-11-01, taken from public price catalogs that cite those pages —
 * pydantic/genai-prices (snapshot of mid-2026) and models.dev (crawled through 2026-10) — and
 * cross-checked where both list a model (details and exceptions at the top of each data/ file).
 * Batch, flex and priority tiers, per-request fees and cache storage are not modelled.
 */
import type { ModelPrice } from "./prices.js";
import { ANTHROPIC_MODELS } from "./data/anthropic.js";
import { BEDROCK_MODELS } from "./data/bedrock.js";
import { COHERE_MODELS } from "./data/cohere.js";
import { DEEPSEEK_MODELS } from "./data/deepseek.js";
import { chat, embed } from "./data/define.js";
import { GEMINI_MODELS } from "./data/gemini.js";
import { GROQ_MODELS } from "./data/groq.js";
import { CEREBRAS_MODELS, DEEPINFRA_MODELS, FIREWORKS_MODELS, OPENROUTER_MODELS, PERPLEXITY_MODELS, TOGETHER_MODELS } from "./data/hosts.js";
import { MISTRAL_MODELS } from "./data/mistral.js";
import { OPENAI_MODELS } from "./data/openai.js";
import { XAI_MODELS } from "./data/xai.js";

/** Stored with every usage record costed from the built-in catalog (as `catalog:<version>`). */
export const PRICE_CATALOG_VERSION = "2026-11-01";

export interface CatalogModel {
  id: string;
  mode: "chat" | "embedding";
  contextWindow?: number;
  maxOutputTokens?: number;
  /** Most tokens one image in a prompt counts for, when above the gateway's general bound (IMAGE_TOKEN_BOUND). */
  imageTokens?: number;
  /** USD per million tokens; absent when no price is known. */
  price?: ModelPrice;
  /** Other ids the provider accepts for the same model (dated snapshots, `-latest`, …). */
  aliases?: readonly string[];
}

export const MODEL_CATALOG = {
  openai: OPENAI_MODELS,
  anthropic: ANTHROPIC_MODELS,
  gemini: GEMINI_MODELS,
  /** Vertex AI serves the Gemini models under the same ids and prices. */
  vertex: GEMINI_MODELS,
  mistral: MISTRAL_MODELS,
  groq: GROQ_MODELS,
  deepseek: DEEPSEEK_MODELS,
  xai: XAI_MODELS,
  cohere: COHERE_MODELS,
  bedrock: BEDROCK_MODELS,
  together: TOGETHER_MODELS,
  fireworks: FIREWORKS_MODELS,
  openrouter: OPENROUTER_MODELS,
  perplexity: PERPLEXITY_MODELS,
  cerebras: CEREBRAS_MODELS,
  deepinfra: DEEPINFRA_MODELS,
  /**
   * The offline mock provider is priced like a small hosted model (gpt-4o-mini and
   * text-embedding-3-small), so budgets, receipts and spend behave in demos and tests as they
   * will with a real provider. Its other model names (`mock:slow-200`, …) have no price.
   */
  mock: [chat("mock-1", 128_000, 4_096, { input: 0.15, output: 0.6 }), embed("mock-embedding-1", 8_192, 0.02)],
} as const satisfies Record<string, readonly CatalogModel[]>;

export type CatalogProviderType = keyof typeof MODEL_CATALOG;

export function catalogModels(providerType: string): readonly CatalogModel[] {
  return (MODEL_CATALOG as Record<string, readonly CatalogModel[]>)[providerType] ?? [];
}

/**
 * Ways a requested id may differ from the catalog's, tried in order and cumulatively after an
 * exact (id or alias) miss:
 * 1. `models/gemini-2.5-pro` → `gemini-2.5-pro` (Gemini resource names);
 * 2. Bedrock inference profiles `us.|eu.|apac.|jp.|au.|ca.|us-gov.|global.` → the base model id
 *    (a `global.` id that is listed itself matched exactly before this);
 * 3. dated snapshots `gpt-4o-2024-08-06` → `gpt-4o`, `claude-opus-4-1-20250805` → `claude-opus-4-1`;
 * 4. Gemini stable versions `gemini-2.0-flash-001` → `gemini-2.0-flash`.
 * A snapshot priced unlike its alias is listed under its own id (e.g. gpt-4o-2024-05-13).
 */
const FALLBACKS: ReadonlyArray<(id: string) => string> = [
  (id) => id.replace(/^models\//, ""),
  (id) => id.replace(/^(?:us|eu|apac|jp|au|ca|us-gov|global)\./, ""),
  (id) => id.replace(/-(?:\d{4}-\d{2}-\d{2}|20\d{6})$/, ""),
  (id) => id.replace(/-\d{3}$/, ""),
];

const indexes = new Map<string, ReadonlyMap<string, CatalogModel>>();

function indexOf(providerType: string): ReadonlyMap<string, CatalogModel> {
  let index = indexes.get(providerType);
  if (!index) {
    const built = new Map<string, CatalogModel>();
    for (const m of catalogModels(providerType)) {
      for (const id of [m.id, ...(m.aliases ?? [])]) if (!built.has(id)) built.set(id, m);
    }
    index = built;
    indexes.set(providerType, index);
  }
  return index;
}

/** The catalog entry for a model id of a provider type: exact id or alias, then FALLBACKS. */
export function findCatalogModel(providerType: string, model: string): CatalogModel | undefined {
  const index = indexOf(providerType);
  let id = model;
  let hit = index.get(id);
  for (const next of FALLBACKS) {
    if (hit) break;
    const shorter = next(id);
    if (shorter === id) continue;
    id = shorter;
    hit = index.get(id);
  }
  return hit;
}

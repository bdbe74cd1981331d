/**
 * A quality score per catalog chat model, 0..1, for `model: "auto"` (routing/auto.ts): its
 * "quality" part, `priority: "quality"` and `min_quality_score` read it. An operator's
 * `routing.auto.quality` overrides it per model (the pipeline passes the override on the candidate).
 *
 * Source: the Arena (formerly LMArena) text leaderboard, arena.ai/leaderboard/text, as captured on
 * 2026-04-19 (github.com/oolong-tea-2026/arena-ai-leaderboards, data/2026-04-19/text.json, commit
 * a2694df; the top 50 models). Normalization is linear: the best listed score (1505,
 * claude-opus-4-7-thinking) is 1.0 and a fixed floor of 1300 is 0, so
 * quality = (score − 1300) / (1505 − 1300). The floor is fixed, not the lowest listed score, so a
 * later snapshot with more models does not move the scores of these.
 *
 * Each model's score is the leaderboard's entry for the model as its API serves it by default (the
 * plain entry, not a `-thinking` or `-high` variant); Arena's `gemini-3-pro` and `gemini-3-flash`
 * are the `-preview` ids the API serves. The same model behind another provider (Vertex, Bedrock,
 * OpenRouter) gets the same score. A model without a plain entry in that snapshot (newer than it, or
 * outside its top 50) has no score: `qualityOf` answers undefined and the ranking counts it as 0.5.
 */
import { findCatalogModel } from "./models.js";

/** Best score listed in the snapshot (1.0) and the fixed floor (0). */
const ARENA_BEST = 1505;
const ARENA_FLOOR = 1300;

interface ArenaEntry {
  /** Arena text score on 2026-04-19. */
  score: number;
  /** The catalog entries (provider type, catalog id) serving this model. */
  servedAs: ReadonlyArray<readonly [providerType: string, catalogId: string]>;
}

const ARENA_TEXT_2026_04_19: Record<string, ArenaEntry> = {
  "claude-opus-4-7": {
    score: 1498,
    servedAs: [
      ["anthropic", "claude-opus-4-7"],
      ["bedrock", "anthropic.claude-opus-4-7"],
      ["bedrock", "global.anthropic.claude-opus-4-7"],
    ],
  },
  "claude-opus-4-6": {
    score: 1497,
    servedAs: [
      ["anthropic", "claude-opus-4-6"],
      ["bedrock", "anthropic.claude-opus-4-6-v1"],
      ["bedrock", "global.anthropic.claude-opus-4-6-v1"],
    ],
  },
  "gemini-3.1-pro-preview": { score: 1492, servedAs: [["gemini", "gemini-3.1-pro-preview"]] },
  "gemini-3-pro": { score: 1486, servedAs: [["gemini", "gemini-3-pro-preview"]] },
  "gemini-3-flash": { score: 1474, servedAs: [["gemini", "gemini-3-flash-preview"]] },
  "claude-opus-4-5-20251101": {
    score: 1469,
    servedAs: [
      ["anthropic", "claude-opus-4-5"],
      ["bedrock", "anthropic.claude-opus-4-5-20251101-v1:0"],
      ["bedrock", "global.anthropic.claude-opus-4-5-20251101-v1:0"],
    ],
  },
  "gpt-5.4": { score: 1468, servedAs: [["openai", "gpt-5.4"]] },
  "claude-sonnet-4-6": {
    score: 1463,
    servedAs: [
      ["anthropic", "claude-sonnet-4-6"],
      ["bedrock", "anthropic.claude-sonnet-4-6"],
      ["bedrock", "global.anthropic.claude-sonnet-4-6"],
      ["openrouter", "anthropic/claude-sonnet-4.6"],
    ],
  },
  "claude-sonnet-4-5-20250929": {
    score: 1452,
    servedAs: [
      ["anthropic", "claude-sonnet-4-5"],
      ["bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"],
      ["bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"],
      ["openrouter", "anthropic/claude-sonnet-4.5"],
    ],
  },
  "gemini-2.5-pro": { score: 1449, servedAs: [["gemini", "gemini-2.5-pro"]] },
  "claude-opus-4-1-20250805": {
    score: 1447,
    servedAs: [
      ["anthropic", "claude-opus-4-1"],
      ["bedrock", "anthropic.claude-opus-4-1-20250805-v1:0"],
    ],
  },
  "gpt-5.2": { score: 1439, servedAs: [["openai", "gpt-5.2"]] },
  "gpt-5.1": { score: 1439, servedAs: [["openai", "gpt-5.1"]] },
};

/** Provider types that serve another type's models under the same ids. */
const SAME_IDS_AS: Record<string, string> = { vertex: "gemini" };

function buildIndex(): ReadonlyMap<string, ReadonlyMap<string, number>> {
  const index = new Map<string, Map<string, number>>();
  for (const { score, servedAs } of Object.values(ARENA_TEXT_2026_04_19)) {
    const quality = Math.round(((score - ARENA_FLOOR) / (ARENA_BEST - ARENA_FLOOR)) * 1000) / 1000;
    for (const [providerType, catalogId] of servedAs) {
      let models = index.get(providerType);
      if (!models) index.set(providerType, (models = new Map<string, number>()));
      models.set(catalogId, quality);
    }
  }
  for (const [alias, type] of Object.entries(SAME_IDS_AS)) {
    const models = index.get(type);
    if (models) index.set(alias, models);
  }
  return index;
}

const byType = buildIndex();

/** The quality score (0..1) of a provider type's model (catalog id or alias), or undefined when it has none. */
export function qualityOf(providerType: string, model: string): number | undefined {
  const scored = byType.get(providerType);
  if (!scored) return undefined;
  const entry = findCatalogModel(providerType, model);
  return entry ? scored.get(entry.id) : undefined;
}

/**
 * Which OpenAI-compatible provider entries list their models from their own server
 * (`GET {base_url}/models`) on `/v1/models`, instead of the catalog of the preset's models:
 * local servers, whose models are whatever they have loaded, and any preset pointed at a base
 * URL other than its own (a self-hosted or proxied server serves its own set of models).
 */
import type { ProviderSettings } from "../../config/types.js";
import type { OpenAICompatiblePreset } from "./presets.js";

const trimmed = (url: string) => url.replace(/\/+$/, "");

export function listsServerModels(s: ProviderSettings, preset: OpenAICompatiblePreset): boolean {
  if (preset.modelsFromServer) return true;
  return s.baseUrl !== undefined && trimmed(s.baseUrl) !== trimmed(preset.baseUrl);
}

/**
 * OpenAI's model list (`GET /models`), as OpenAI-compatible servers (vLLM, Ollama, LM Studio,
 * llama.cpp, …) serve it: `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}`.
 */
import { GatewayError } from "../../core/errors.js";
import type { UpstreamModel, UpstreamRequest, WireAdapter } from "../types.js";

/** Entries kept from one list; a longer list is cut here (its response is bounded in bytes too). */
export const MAX_LISTED_MODELS = 2000;
/** Longest model id kept; entries with a longer (or empty, or non-string) id are skipped. */
export const MAX_MODEL_ID_LENGTH = 256;

export function modelsRequest(): UpstreamRequest {
  return { path: "/models", method: "GET", headers: { accept: "application/json" } };
}

export function modelsResponse(body: unknown): UpstreamModel[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!body || typeof body !== "object" || !Array.isArray(data)) {
    throw new GatewayError("upstream_error", "upstream returned a model list without a data array", { retryable: false });
  }
  const out: UpstreamModel[] = [];
  const seen = new Set<string>();
  for (const e of data) {
    if (out.length >= MAX_LISTED_MODELS) break;
    if (!e || typeof e !== "object") continue;
    const { id, created, max_model_len } = e as { id?: unknown; created?: unknown; max_model_len?: unknown };
    if (typeof id !== "string" || id === "" || id.length > MAX_MODEL_ID_LENGTH || seen.has(id)) continue;
    seen.add(id);
    const m: UpstreamModel = { id };
    if (Number.isSafeInteger(created) && (created as number) >= 0) m.created = created as number;
    if (Number.isSafeInteger(max_model_len) && (max_model_len as number) > 0) m.contextWindow = max_model_len as number;
    out.push(m);
  }
  return out;
}

/** An OpenAI wire adapter that also lists the server's models (Provider.listModels). */
export function withModelList(wire: WireAdapter): WireAdapter {
  return { ...wire, modelsRequest, modelsResponse };
}

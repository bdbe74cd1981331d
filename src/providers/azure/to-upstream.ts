/**
 * Azure OpenAI speaks OpenAI's request format; only the URL differs. Two URL shapes:
 * - "deployments" (classic): {resource}/openai/deployments/{deployment}/chat/completions?api-version=…
 * - "v1" (base_url ends with /openai/v1): plain OpenAI paths, the deployment name as `model`,
 *   no api-version unless one is configured (e.g. "preview").
 */
import type { ChatRequest, EmbeddingsRequest } from "../../wire/openai.js";
import { chatRequest as openAIChatRequest, embeddingsRequest as openAIEmbeddingsRequest } from "../openai/to-upstream.js";
import type { UpstreamRequest } from "../types.js";

/** Latest GA version of the data-plane inference API (Azure OpenAI REST reference). */
export const DEFAULT_API_VERSION = "2024-10-21";

export interface AzureWireOptions {
  mode: "deployments" | "v1";
  /** `api-version` query value; always set in "deployments" mode, optional in "v1" mode. */
  apiVersion?: string;
  /** Requested model name → deployment name; a model not listed is used as the deployment name. */
  deployments: Record<string, string>;
  /** Ask for `stream_options.include_usage` (API versions before 2024-09-01-preview reject it). */
  streamUsage: boolean;
}

export function deploymentFor(model: string, o: AzureWireOptions): string {
  return Object.hasOwn(o.deployments, model) ? o.deployments[model] : model;
}

function pathFor(operation: "chat/completions" | "embeddings", deployment: string, o: AzureWireOptions): string {
  const query = o.apiVersion ? `?api-version=${encodeURIComponent(o.apiVersion)}` : "";
  if (o.mode === "v1") return `/${operation}${query}`;
  return `/openai/deployments/${encodeURIComponent(deployment)}/${operation}${query}`;
}

export function chatRequest(req: ChatRequest, stream: boolean, o: AzureWireOptions): UpstreamRequest {
  const deployment = deploymentFor(req.model, o);
  const path = pathFor("chat/completions", deployment, o);
  const up = openAIChatRequest(req, stream, { streamUsage: o.streamUsage, chatPath: path, embeddingsPath: "" });
  return { ...up, body: { ...(up.body as ChatRequest), model: deployment } };
}

export function embeddingsRequest(req: EmbeddingsRequest, o: AzureWireOptions): UpstreamRequest {
  const deployment = deploymentFor(req.model, o);
  const path = pathFor("embeddings", deployment, o);
  const up = openAIEmbeddingsRequest(req, { streamUsage: o.streamUsage, chatPath: "", embeddingsPath: path });
  return { ...up, body: { ...(up.body as EmbeddingsRequest), model: deployment } };
}

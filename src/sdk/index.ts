/**
 * Switchboard as a library: one typed interface to every provider, in-process, no server.
 *
 *   import { completion, embedding, responses, listModels, createProvider, tool } from "switchboard";
 *
 * The exports are the API: the functions below, the typed errors (all SwitchboardErrors), and the
 * OpenAI-shaped request and response types.
 */
import { toLibraryError, UnsupportedParameterError } from "./errors.js";
import { completion, embedding, type CompletionParams, type EmbeddingParams, type RequestOptions } from "./completion.js";
import { listModels, type ListModelsOptions, type ModelInfo } from "./models.js";
import { buildProvider, type ProviderMetadata, type ProviderOptions } from "./providers.js";
import { responseEcho, toChatRequest, type ResponsesRequest } from "../wire/responses.js";
import { fromChatCompletion, idsFor, outputText, toResponseEvents, type ResponseObject as WireResponseObject } from "../wire/responses-answer.js";

/** A Response, with `output_text` (the text of its message items) as OpenAI's SDKs add it. */
export type ResponseObject = WireResponseObject & { output_text: string };
import type { ChatCompletion, EmbeddingsResponse } from "../wire/openai.js";
import type { ChatStream } from "./completion.js";

export { completion, embedding, listModels };
export type { ListModelsOptions, ModelInfo };
export { tool, type ExecutableTool, type OpenAITool, type ToolsInput } from "./tools.js";
export * from "./errors.js";
export { messages, type MessagesParams, type MessageStreamEvent } from "./messages.js";
export type { MessagesResponse } from "../wire/anthropic.js";
export { batchProviders, cancelBatch, createBatch, listBatches, retrieveBatch, retrieveBatchResults, BatchInputError, BatchNotReadyError, BatchNotSupportedError } from "./batch.js";
export type { Batch, BatchCallOptions, BatchEndpoint, BatchResult, CreateBatchParams } from "./batch.js";
export type { CompletionParams, EmbeddingParams, RequestOptions, ChatStream, ProviderOptions, ProviderMetadata, ResponsesRequest };
export type { ChatChunk, ChatCompletion, ChatMessage, ChatRequest, EmbeddingsRequest, EmbeddingsResponse, Usage } from "../wire/openai.js";

/** OpenAI's Responses API against any provider (translated over chat completions). */
export function responses(params: ResponsesRequest & RequestOptions & { stream: true }): Promise<AsyncIterable<Record<string, unknown>>>;
export function responses(params: ResponsesRequest & RequestOptions & { stream?: false }): Promise<ResponseObject>;
export async function responses(params: ResponsesRequest & RequestOptions): Promise<ResponseObject | AsyncIterable<Record<string, unknown>>> {
  let chat;
  try {
    const warnings: string[] = [];
    chat = toChatRequest(params, { warnings });
    for (const w of warnings) params.onWarning?.(w);
  } catch (e) {
    throw toLibraryError(e);
  }
  const opts: RequestOptions = {
    apiKey: params.apiKey,
    baseUrl: params.baseUrl,
    provider: params.provider,
    signal: params.signal,
    timeouts: params.timeouts,
    maxRetries: params.maxRetries,
    onWarning: params.onWarning,
  };
  if (chat.stream) {
    const stream = await completion({ ...chat, ...opts, stream: true } as CompletionParams & { stream: true });
    return toResponseEvents(stream, undefined, responseEcho(params, false));
  }
  const c = await completion({ ...chat, ...opts, stream: false } as CompletionParams & { stream: false });
  const r = fromChatCompletion(c, idsFor(c.id), responseEcho(params, false));
  // `output_text` is what OpenAI's SDKs add to a Response: the library returns it too.
  return { ...r, output_text: outputText(r) };
}

export interface LibraryProvider {
  readonly metadata: ProviderMetadata;
  completion(params: CompletionParams & { stream: true }): Promise<ChatStream>;
  completion(params: CompletionParams & { stream?: false | null }): Promise<ChatCompletion>;
  embedding(params: EmbeddingParams): Promise<EmbeddingsResponse>;
  /** The provider's models, from its own models endpoint where it has one (see `listModels`). */
  listModels(options?: Pick<ListModelsOptions, "signal" | "onWarning">): Promise<ModelInfo[]>;
}

/**
 * A provider bound to its settings: `createProvider("anthropic", { apiKey })`. Model names
 * given to it are the provider's own (no prefix).
 */
export function createProvider(id: string, options: ProviderOptions = {}): LibraryProvider {
  const { metadata } = buildProvider(id, options); // validates id and credentials now
  const bind = (model: string) => (model.startsWith(`${id}:`) || model.startsWith(`${id}/`) ? model : `${id}:${model}`);
  return {
    metadata,
    completion: ((params: CompletionParams) => completion({ ...params, model: bind(params.model), provider: { ...options } })) as LibraryProvider["completion"],
    embedding: (params: EmbeddingParams) => {
      if (!metadata.capabilities.embeddings) return Promise.reject(new UnsupportedParameterError("embedding", id, "this provider has no embeddings endpoint"));
      return embedding({ ...params, model: bind(params.model), provider: { ...options } });
    },
    listModels: (call) => listModels(id, { ...options, ...(call?.signal ? { signal: call.signal } : {}), ...(call?.onWarning ? { onWarning: call.onWarning } : {}) }),
  };
}

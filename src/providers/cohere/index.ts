/**
 * Cohere API v2 (https://api.cohere.com, `/v2/chat`, `/v2/embed`, `Authorization: Bearer`).
 *
 * Settings: api_key (or COHERE_API_KEY), base_url (host root, default https://api.cohere.com),
 * embedding_input_type (default "search_document").
 */
import { createHttpProvider } from "../http.js";
import type { ProviderDefinition } from "../registry.js";
import type { Capabilities, ChunkStream, Provider, WireAdapter } from "../types.js";
import type { ChatChunk, EmbeddingsResponse } from "../../wire/openai.js";
import { toGatewayError } from "./errors.js";
import { chatResponse, embeddingsResponse } from "./from-upstream.js";
import { streamEvent } from "./stream.js";
import { chatRequest, embeddingsRequest, type CohereWireOptions } from "./to-upstream.js";

export type { CohereWireOptions };

export const COHERE_BASE_URL = "https://api.cohere.com";
export const COHERE_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: true };

export function cohereWire(provider: string, secrets: string[], o: CohereWireOptions = { embeddingInputType: "search_document" }): WireAdapter {
  return {
    type: "cohere",
    chatRequest: (req, stream) => chatRequest(req, stream),
    chatResponse: (body) => chatResponse(body, provider),
    streamEvent: (ev, state) => streamEvent(ev, state, provider),
    embeddingsRequest: (req) => embeddingsRequest(req, o),
    embeddingsResponse: (body) => embeddingsResponse(body, provider),
    error: (status, body, headers) => toGatewayError(provider, status, body, headers, secrets),
  };
}

/** Float vector → base64 of little-endian float32, as OpenAI's `encoding_format: "base64"`. */
function toBase64(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString("base64");
}

/**
 * Cohere's responses do not name the model, and it only returns float vectors: fill in the
 * requested model, and encode vectors as base64 when the client asked for that.
 */
function withRequestDetails(inner: Provider): Provider {
  return {
    ...inner,
    async chat(req, opts) {
      const r = await inner.chat(req, opts);
      if (!r.model) r.model = req.model;
      return r;
    },
    async chatStream(req, opts): Promise<ChunkStream> {
      const s = await inner.chatStream(req, opts);
      async function* named(): AsyncGenerator<ChatChunk> {
        for await (const c of s) {
          if (!c.model) c.model = req.model;
          yield c;
        }
      }
      const it = named();
      return { [Symbol.asyncIterator]: () => it, cancel: () => s.cancel() };
    },
    async embeddings(req, opts): Promise<EmbeddingsResponse> {
      const r = await inner.embeddings!(req, opts);
      if (!r.model) r.model = req.model;
      if (req.encoding_format === "base64") for (const d of r.data) if (Array.isArray(d.embedding)) d.embedding = toBase64(d.embedding);
      return r;
    },
  };
}

export const cohereDefinition: ProviderDefinition = {
  type: "cohere",
  name: "Cohere",
  capabilities: COHERE_CAPABILITIES,
  requiresKey: true,
  defaultBaseUrl: COHERE_BASE_URL,
  create(s, defaults) {
    const inputType = s.extra.embedding_input_type;
    if (inputType !== undefined && typeof inputType !== "string") throw new Error(`provider '${s.id}' (cohere): embedding_input_type must be a string`);
    const secrets = s.apiKey ? [s.apiKey] : [];
    const inner = createHttpProvider(cohereWire(s.id, secrets, { embeddingInputType: (inputType as string | undefined) ?? "search_document" }), {
      id: s.id,
      baseUrl: s.baseUrl ?? COHERE_BASE_URL,
      headers: { ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}), ...s.headers },
      capabilities: COHERE_CAPABILITIES,
      secrets,
      connectTimeoutMs: s.timeouts?.connectMs ?? defaults.connectTimeoutMs,
    });
    return withRequestDetails(inner);
  },
};

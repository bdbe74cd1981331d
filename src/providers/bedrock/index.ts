/**
 * Amazon Bedrock (Converse / ConverseStream, InvokeModel for embeddings) as a provider.
 *
 * Config (`providers.<id>`): `region` (default us-east-1), `access_key_id`, `secret_access_key`,
 * `session_token` (SigV4), or `api_key` (a Bedrock API key, sent as `Authorization: Bearer`,
 * preferred when given); `base_url` defaults to https://bedrock-runtime.{region}.amazonaws.com.
 */
import { countTokens } from "../../core/tokens.js";
import type { ProviderSettings } from "../../config/types.js";
import type { EmbeddingsRequest, EmbeddingsResponse } from "../../wire/openai.js";
import { createHttpProvider, httpOptions, type ProviderDefaults } from "../http.js";
import type { ProviderDefinition } from "../registry.js";
import type { CallOptions, Capabilities, Provider, WireAdapter } from "../types.js";
import { authFromSettings, authorizer, secretsOf, type BedrockAuth } from "./auth.js";
import { BATCH_SIZE, embeddingFamily, embeddingsRequest, embeddingsResponse, inputTexts } from "./embeddings.js";
import { floatsToBase64 } from "../embeddings.js";
import { errorFromResponse } from "./errors.js";
import { chatResponse } from "./from-upstream.js";
import { DEFAULT_REGION, defaultBaseUrl } from "./native.js";
import { bedrockNativeMessages } from "./native-messages.js";
import { streamEventFor } from "./stream.js";
import { chatRequest } from "./to-upstream.js";

export const BEDROCK_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: true };

/** Concurrent InvokeModel calls for one embeddings request (Titan takes one text per call). */
const EMBED_CONCURRENCY = 8;

export function bedrockWire(provider: string, auth: BedrockAuth): WireAdapter {
  const secrets = secretsOf(auth);
  return {
    type: "bedrock",
    streamFormat: "aws-eventstream",
    chatRequest,
    chatResponse,
    streamEvent: streamEventFor(provider, secrets),
    embeddingsRequest,
    embeddingsResponse,
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, secrets),
    authorize: authorizer(provider, auth),
    native: { messages: bedrockNativeMessages(provider, secrets) },
  };
}

export function createBedrockProvider(s: ProviderSettings, defaults: ProviderDefaults): Provider {
  const auth = authFromSettings(s);
  const http = createHttpProvider(
    bedrockWire(s.id, auth),
    httpOptions(s, defaults, { baseUrl: s.baseUrl ?? defaultBaseUrl(auth.region), capabilities: BEDROCK_CAPABILITIES, secrets: secretsOf(auth) }),
  );
  // The shared HTTP code fills in the model Converse does not name; embeddings go through InvokeModel per family.
  return { ...http, embeddings: (req, opts) => embed(http, req, opts) };
}

/** Cuts the input into per-call batches, runs them (bounded concurrency) and joins the answers. */
async function embed(http: Provider, req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> {
  const texts = inputTexts(req);
  const size = BATCH_SIZE[embeddingFamily(req.model)];
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += size) batches.push(texts.slice(i, i + size));
  const { encoding_format: _floatsFromBedrock, ...call } = req;
  const results = new Array<EmbeddingsResponse>(batches.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < batches.length && !failed) {
      const i = next++;
      const batch = batches[i];
      try {
        results[i] = await http.embeddings!({ ...call, input: size === 1 ? batch[0] : batch }, opts);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(EMBED_CONCURRENCY, batches.length) }, worker));

  const base64 = req.encoding_format === "base64";
  const data: EmbeddingsResponse["data"] = [];
  let tokens = 0;
  for (const [i, r] of results.entries()) {
    for (const d of r.data) {
      const vector = d.embedding as number[];
      data.push({ object: "embedding", index: data.length, embedding: base64 ? floatsToBase64(vector) : vector });
    }
    // Cohere reports no token count: estimate it rather than answer without usage.
    tokens += r.usage ? r.usage.prompt_tokens : await countTokens(batches[i].join("\n"));
  }
  return { object: "list", data, model: req.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** The registry entry for type "bedrock" (credentials from `providers.bedrock` or the AWS_* variables). */
export const bedrockDefinition: ProviderDefinition = {
  type: "bedrock",
  name: "Amazon Bedrock",
  genAiProviderName: "aws.bedrock",
  capabilities: BEDROCK_CAPABILITIES,
  requiresKey: false,
  settings: ["region", "access_key_id", "secret_access_key", "session_token"],
  defaultBaseUrl: defaultBaseUrl(DEFAULT_REGION),
  create: createBedrockProvider,
};

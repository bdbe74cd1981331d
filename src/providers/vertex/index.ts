/**
 * Google Vertex AI: Gemini's generateContent format (translation shared with ../gemini) on
 * `{base}/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent`
 * (and `:streamGenerateContent?alt=sse`, `:predict` for embeddings), authorised with an OAuth
 * access token obtained from service-account credentials (./auth.ts).
 */
import type { ProviderSettings } from "../../config/types.js";
import { errorFromResponse } from "../gemini/errors.js";
import { chatResponse } from "../gemini/from-upstream.js";
import { GEMINI_CAPABILITIES } from "../gemini/index.js";
import { streamEvent } from "../gemini/stream.js";
import { chatBody } from "../gemini/to-upstream.js";
import { createHttpProvider, httpOptions, type ProviderDefaults } from "../http.js";
import type { ProviderDefinition } from "../registry.js";
import type { Capabilities, Provider, WireAdapter } from "../types.js";
import { GoogleTokenSource, loadCredentials } from "./auth.js";
import { embeddingsResponse } from "./from-upstream.js";
import { vertexNativeMessages } from "./native-messages.js";
import { modelPath, predictEmbeddingsBody, vertexBaseUrl, type VertexLocation } from "./to-upstream.js";

export const VERTEX_CAPABILITIES: Capabilities = GEMINI_CAPABILITIES;
export const VERTEX_DEFAULT_REGION = "us-central1";

export function vertexWire(provider: string, loc: VertexLocation, tokens: { get(): Promise<string> }): WireAdapter {
  return {
    type: "vertex",
    chatRequest(req, stream) {
      const warnings: string[] = [];
      const body = chatBody(req, warnings, "vertex");
      const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
      return { path: `${modelPath(loc, req.model)}:${method}`, headers: {}, body, warnings };
    },
    chatResponse,
    streamEvent,
    embeddingsRequest(req) {
      const warnings: string[] = [];
      return { path: `${modelPath(loc, req.model)}:predict`, headers: {}, body: predictEmbeddingsBody(req, warnings), warnings };
    },
    embeddingsResponse,
    error: (status, body, headers) => errorFromResponse(provider, status, body, headers, []),
    async authorize(r) {
      r.headers.authorization = `Bearer ${await tokens.get()}`;
    },
    native: { messages: vertexNativeMessages(provider, loc) },
  };
}

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * Settings (`extra`): project (default: the credentials' project_id), region or location
 * (default us-central1; "global" uses aiplatform.googleapis.com), credentials (service-account
 * JSON, as text or object) or credentials_file (its path), token_url (overrides the
 * credentials' token_uri). base_url replaces the regional host; paths are appended to it.
 */
export function createVertexProvider(s: ProviderSettings, defaults: ProviderDefaults): Provider {
  const creds = loadCredentials(s.extra, s.id);
  const project = text(s.extra.project) ?? text(s.extra.project_id) ?? creds.project_id;
  if (!project) throw new Error(`provider '${s.id}': vertex needs 'project' (or credentials with a project_id)`);
  const region = text(s.extra.region) ?? text(s.extra.location) ?? VERTEX_DEFAULT_REGION;
  const tokens = new GoogleTokenSource(creds, text(s.extra.token_url));
  return createHttpProvider(vertexWire(s.id, { project, region }, tokens), httpOptions(s, defaults, { baseUrl: s.baseUrl ?? vertexBaseUrl(region), capabilities: VERTEX_CAPABILITIES, secrets: [] }));
}

export const vertexDefinition: ProviderDefinition = {
  type: "vertex",
  name: "Google Vertex AI",
  genAiProviderName: "gcp.vertex_ai",
  capabilities: VERTEX_CAPABILITIES,
  requiresKey: false,
  settings: ["project", "project_id", "region", "location", "credentials", "credentials_file", "token_url"],
  create: createVertexProvider,
};

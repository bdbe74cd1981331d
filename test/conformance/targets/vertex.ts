/**
 * Vertex AI as a conformance target: the fake (test/support/fake-vertex.ts) serves Vertex's
 * generateContent paths behind OAuth and Google's token endpoint, which verifies the adapter's
 * RS256 service-account JWT. Stream fixtures are Vertex SSE streams (test/fixtures/vertex/*.sse).
 */
import { readFileSync } from "node:fs";
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { vertexWire } from "../../../src/providers/vertex/index.js";
import { startFakeVertex, VERTEX_PROJECT, VERTEX_REGION } from "../../support/fake-vertex.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget } from "../types.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/vertex/${name}`, import.meta.url)));

export const vertexTarget: ConformanceTarget = {
  type: "vertex",
  model: "gemini-2.5-flash",
  embeddingModel: "text-embedding-005",
  capabilities: { tools: true, vision: true, json: true, embeddings: true, reasoning: true },
  async startFake() {
    const fake = await startFakeVertex();
    return fakeProvider(fake, { type: "vertex", base_url: fake.url, project: VERTEX_PROJECT, region: VERTEX_REGION, credentials: JSON.stringify(fake.credentials), token_url: fake.tokenUrl });
  },
  streamFixtures: [
    {
      name: "text with non-ASCII characters and usage",
      bytes: fixture("text-usage.sse"),
      expect: { text: "Grüße aus Köln ☕", finish: "stop", usage: { prompt_tokens: 5, completion_tokens: 6 } },
    },
    {
      name: "two parallel function calls",
      bytes: fixture("tool-calls.sse"),
      expect: {
        text: "",
        toolCalls: [
          { name: "get_weather", arguments: { city: "Paris" } },
          { name: "get_time", arguments: { zone: "Europe/Paris" } },
        ],
        finish: "tool_calls",
        usage: { prompt_tokens: 61, completion_tokens: 12 },
      },
    },
  ],
  decodeStream: (chunks) =>
    decodeChunks(vertexWire("vertex", { project: VERTEX_PROJECT, region: VERTEX_REGION }, { get: () => Promise.resolve("unused") }), chunks, { clientWantsUsage: true, data: {} }),
};

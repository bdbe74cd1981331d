/**
 * Google's Gemini API as a conformance target: the fake (test/support/fake-gemini.ts) speaks
 * generateContent / streamGenerateContent?alt=sse / batchEmbedContents and validates requests
 * like the real server. Stream fixtures are Gemini SSE streams as the API sends them
 * (test/fixtures/gemini/*.sse: CRLF-separated `data:` events, no terminal event).
 */
import { readFileSync } from "node:fs";
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { geminiWire } from "../../../src/providers/gemini/index.js";
import { startFakeGemini } from "../../support/fake-gemini.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget } from "../types.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/gemini/${name}`, import.meta.url)));
const API_KEY = "AIza-conformance-gemini-key";

export const geminiTarget: ConformanceTarget = {
  type: "gemini",
  model: "gemini-2.5-flash",
  embeddingModel: "gemini-embedding-001",
  capabilities: { tools: true, vision: true, json: true, embeddings: true, reasoning: true },
  async startFake() {
    const fake = await startFakeGemini({ apiKey: API_KEY });
    return fakeProvider(fake, { type: "gemini", base_url: fake.url, api_key: API_KEY });
  },
  streamFixtures: [
    {
      name: "text with non-ASCII characters and usage",
      bytes: fixture("text-usage.sse"),
      expect: { text: "Héllo wörld ✓ 你好", finish: "stop", usage: { prompt_tokens: 7, completion_tokens: 4 } },
    },
    {
      name: "function call with thought signature",
      bytes: fixture("tool-call.sse"),
      expect: { text: "", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls", usage: { prompt_tokens: 52, completion_tokens: 61 } },
    },
    {
      name: "thought summary then answer",
      bytes: fixture("thinking.sse"),
      expect: { text: "Bonjour à tous", finish: "stop", usage: { prompt_tokens: 9, completion_tokens: 492 } },
    },
  ],
  decodeStream: (chunks) => decodeChunks(geminiWire("gemini", [], { apiVersion: "v1beta" }), chunks, { clientWantsUsage: true, data: {} }),
};

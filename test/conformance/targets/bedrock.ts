/**
 * Amazon Bedrock (Converse / ConverseStream, Titan embeddings) as a conformance target. The fake
 * verifies SigV4 signatures made with these credentials (region eu-central-1, a session token),
 * so every suite request also proves the signing.
 */
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { bedrockWire } from "../../../src/providers/bedrock/index.js";
import { encodeEvent, startFakeBedrock } from "../../support/fake-bedrock.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget } from "../types.js";

/** ConverseStream frames as Bedrock sends them (each payload carries Bedrock's `p` padding field). */
function frames(events: Array<[string, Record<string, unknown>]>): Uint8Array {
  const parts = events.map(([name, payload]) => encodeEvent(name, { ...payload, p: "abcdefghij" }));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const bedrockTarget: ConformanceTarget = {
  type: "bedrock",
  model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
  embeddingModel: "amazon.titan-embed-text-v2:0",
  capabilities: { tools: true, vision: true, json: true, embeddings: true, reasoning: true },
  async startFake() {
    const fake = await startFakeBedrock({ sessionToken: "conformance-bedrock-key-session-FwoGZXIvYXdzEJr" });
    return fakeProvider(fake, {
      type: "bedrock",
      base_url: fake.url,
      region: fake.options.region,
      access_key_id: fake.options.accessKeyId,
      secret_access_key: fake.options.secretAccessKey,
      session_token: fake.options.sessionToken,
    });
  },
  streamFixtures: [
    {
      name: "text with usage (metadata after messageStop)",
      bytes: frames([
        ["messageStart", { role: "assistant" }],
        ["contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Héllo" } }],
        ["contentBlockDelta", { contentBlockIndex: 0, delta: { text: " wörld ✓" } }],
        ["contentBlockStop", { contentBlockIndex: 0 }],
        ["messageStop", { stopReason: "end_turn" }],
        ["metadata", { usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 }, metrics: { latencyMs: 310 } }],
      ]),
      expect: { text: "Héllo wörld ✓", finish: "stop", usage: { prompt_tokens: 7, completion_tokens: 3 } },
    },
    {
      name: "tool call in pieces",
      bytes: frames([
        ["messageStart", { role: "assistant" }],
        ["contentBlockStart", { contentBlockIndex: 0, start: { toolUse: { toolUseId: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "get_weather" } } }],
        ["contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: '{"city":' } } }],
        ["contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: '"Paris"}' } } }],
        ["contentBlockStop", { contentBlockIndex: 0 }],
        ["messageStop", { stopReason: "tool_use" }],
        ["metadata", { usage: { inputTokens: 20, outputTokens: 8, totalTokens: 28 }, metrics: { latencyMs: 500 } }],
      ]),
      expect: { text: "", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls", usage: { prompt_tokens: 20, completion_tokens: 8 } },
    },
    {
      name: "reasoning, text and cached prompt tokens",
      bytes: frames([
        ["messageStart", { role: "assistant" }],
        ["contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "Thinking… 思考" } } }],
        ["contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "RXVsZXI=" } } }],
        ["contentBlockStop", { contentBlockIndex: 0 }],
        ["contentBlockDelta", { contentBlockIndex: 1, delta: { text: "42 — ça va" } }],
        ["contentBlockStop", { contentBlockIndex: 1 }],
        ["messageStop", { stopReason: "max_tokens" }],
        ["metadata", { usage: { inputTokens: 5, outputTokens: 9, totalTokens: 114, cacheReadInputTokens: 100, cacheWriteInputTokens: 0 }, metrics: { latencyMs: 90 } }],
      ]),
      expect: { text: "42 — ça va", finish: "length", usage: { prompt_tokens: 105, completion_tokens: 9 } },
    },
  ],
  decodeStream: (chunks) => decodeChunks(bedrockWire("bedrock", { region: "us-east-1" }), chunks, { clientWantsUsage: true, data: {} }),
};

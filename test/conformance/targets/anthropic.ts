/**
 * Anthropic Messages API as a conformance target: its own request shape, named SSE events,
 * usage split into uncached / cache-read / cache-write input, and `{"type":"error"}` bodies.
 * Stream fixtures are Anthropic's documented event streams (test/fixtures/anthropic/*.sse).
 */
import { readFileSync } from "node:fs";
import { anthropicWire } from "../../../src/providers/anthropic/index.js";
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { startFakeAnthropic } from "../../support/fake-anthropic.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget } from "../types.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/anthropic/${name}`, import.meta.url)));

export const anthropicTarget: ConformanceTarget = {
  type: "anthropic",
  model: "claude-sonnet-4-5",
  capabilities: { tools: true, vision: true, json: true, embeddings: false, reasoning: true },
  async startFake() {
    const fake = await startFakeAnthropic({ apiKey: "sk-ant-conformance-anthropic-key" });
    return fakeProvider(fake, { type: "anthropic", base_url: fake.url, api_key: fake.apiKey });
  },
  streamFixtures: [
    {
      name: "text with non-ASCII characters and usage",
      bytes: fixture("text-non-ascii.sse"),
      expect: { text: "Héllo wörld ✓ 你好", finish: "stop", usage: { prompt_tokens: 25, completion_tokens: 15 } },
    },
    {
      name: "text then a tool call with input_json_delta pieces",
      bytes: fixture("tool-use.sse"),
      expect: {
        text: "Okay, let's check the weather for San Francisco, CA:",
        toolCalls: [{ name: "get_weather", arguments: { location: "San Francisco, CA", unit: "fahrenheit" } }],
        finish: "tool_calls",
        usage: { prompt_tokens: 472, completion_tokens: 89 },
      },
    },
    {
      name: "extended thinking with a signature, prompt partly cached",
      bytes: fixture("thinking-cached.sse"),
      expect: { text: "27 * 453 = 12,231", finish: "stop", usage: { prompt_tokens: 100, completion_tokens: 94 } },
    },
  ],
  decodeStream: (chunks) => decodeChunks(anthropicWire("anthropic", []), chunks, { clientWantsUsage: true, data: {} }),
};

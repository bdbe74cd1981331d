/** OpenAI as a conformance target: the reference every other adapter is compared with. */
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { openAIWire } from "../../../src/providers/openai/index.js";
import { startFakeOpenAI, type Behavior } from "../../support/fake-openai.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget, Scenario } from "../types.js";

function toBehavior(s: Scenario): Behavior {
  if (s.error) return { status: s.error.status, error: { message: s.error.message } };
  return {
    text: s.text ?? (s.toolCalls ? undefined : "Hello from the fake"),
    toolCalls: s.toolCalls,
    finishReason: s.finish,
    splitBytes: s.splitBytes,
    usage: s.usage && {
      prompt_tokens: s.usage.input,
      completion_tokens: s.usage.output,
      ...(s.usage.cachedInput !== undefined ? { prompt_tokens_details: { cached_tokens: s.usage.cachedInput, audio_tokens: 0 } } : {}),
      ...(s.usage.reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: s.usage.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } } : {}),
    },
  };
}

const enc = new TextEncoder();
const sse = (events: unknown[]) => enc.encode(events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join(""));
const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4o",
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra,
});

export const openaiTarget: ConformanceTarget = {
  type: "openai",
  model: "gpt-4o",
  embeddingModel: "text-embedding-3-small",
  capabilities: { tools: true, vision: true, json: true, embeddings: true, reasoning: true },
  async startFake() {
    const fake = await startFakeOpenAI();
    return fakeProvider(fake, { type: "openai", base_url: fake.url, api_key: "sk-conformance-openai-key" }, toBehavior);
  },
  streamFixtures: [
    {
      name: "text with usage chunk",
      bytes: sse([
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "Héllo" }),
        chunk({ content: " wörld ✓" }),
        chunk({}, "stop"),
        { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "gpt-4o", choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } },
        "[DONE]",
      ]),
      expect: { text: "Héllo wörld ✓", finish: "stop", usage: { prompt_tokens: 7, completion_tokens: 3 } },
    },
    {
      name: "tool call in pieces",
      bytes: sse([
        chunk({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({}, "tool_calls"),
        "[DONE]",
      ]),
      expect: { text: "", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls" },
    },
  ],
  decodeStream: (chunks) => decodeChunks(openAIWire("openai", []), chunks, { clientWantsUsage: true, data: {} }),
};

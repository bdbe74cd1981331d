/** Azure OpenAI as a conformance target: OpenAI's wire format on Azure's URLs, auth and errors. */
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { azureWire } from "../../../src/providers/azure/index.js";
import { startFakeAzure } from "../../support/fake-azure.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget } from "../types.js";

const enc = new TextEncoder();
const sse = (events: unknown[]) => enc.encode(events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join(""));
const safe = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};
// Azure's first chunk only carries the prompt's content-filter results.
const promptFilter = { choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [{ prompt_index: 0, content_filter_results: safe }] };
const chunk = (delta: object, finish: string | null = null) => ({
  choices: [{ content_filter_results: finish ? {} : safe, delta, finish_reason: finish, index: 0, logprobs: null }],
  created: 1727000000,
  id: "chatcmpl-AAzure1",
  model: "gpt-4o-2024-08-06",
  object: "chat.completion.chunk",
  system_fingerprint: "fp_5154047bf2",
});

export const azureTarget: ConformanceTarget = {
  type: "azure",
  model: "gpt-4o",
  embeddingModel: "text-embedding-3-small",
  capabilities: { tools: true, vision: true, json: true, embeddings: true, reasoning: true },
  async startFake() {
    const fake = await startFakeAzure({ apiKey: "conformance-azure-key" });
    return fakeProvider(fake, { type: "azure", base_url: fake.url, api_key: "conformance-azure-key" });
  },
  streamFixtures: [
    {
      name: "text with usage chunk",
      bytes: sse([
        promptFilter,
        chunk({ content: "", refusal: null, role: "assistant" }),
        chunk({ content: "Héllo" }),
        chunk({ content: " wörld ✓" }),
        chunk({}, "stop"),
        {
          choices: [],
          created: 1727000000,
          id: "chatcmpl-AAzure1",
          model: "gpt-4o-2024-08-06",
          object: "chat.completion.chunk",
          system_fingerprint: "fp_5154047bf2",
          usage: { completion_tokens: 3, prompt_tokens: 7, total_tokens: 10, prompt_tokens_details: { cached_tokens: 0 } },
        },
        "[DONE]",
      ]),
      expect: { text: "Héllo wörld ✓", finish: "stop", usage: { prompt_tokens: 7, completion_tokens: 3 } },
    },
    {
      name: "tool call in pieces",
      bytes: sse([
        promptFilter,
        chunk({ content: null, refusal: null, role: "assistant", tool_calls: [{ function: { arguments: "", name: "get_weather" }, id: "call_az1", index: 0, type: "function" }] }),
        chunk({ tool_calls: [{ function: { arguments: '{"city":' }, index: 0 }] }),
        chunk({ tool_calls: [{ function: { arguments: '"Paris"}' }, index: 0 }] }),
        chunk({}, "tool_calls"),
        "[DONE]",
      ]),
      expect: { text: "", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls" },
    },
  ],
  decodeStream: (chunks) => decodeChunks(azureWire("azure", [], { mode: "deployments", apiVersion: "2024-10-21", deployments: {}, streamUsage: true }), chunks, { clientWantsUsage: true, data: {} }),
};

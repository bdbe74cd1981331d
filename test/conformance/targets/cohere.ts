/** Cohere API v2 as a conformance target: native /v2/chat and /v2/embed through the adapter. */
import { decodeChunks } from "../../../src/providers/chunk-stream.js";
import { cohereWire } from "../../../src/providers/cohere/index.js";
import { startFakeCohere } from "../../support/fake-cohere.js";
import { fakeProvider } from "../fake-provider.js";
import type { ConformanceTarget } from "../types.js";

const enc = new TextEncoder();
/** Cohere's v2 stream: each event as `event: <type>` + `data: <json>`, then `data: [DONE]`. */
const sse = (events: Array<{ type: string; [k: string]: unknown }>) => enc.encode(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n");
const start = (id: string) => ({ id, type: "message-start", delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } } });
const text = (t: string) => ({ type: "content-delta", index: 0, delta: { message: { content: { text: t } } } });
const plan = (t: string) => ({ type: "tool-plan-delta", delta: { message: { tool_plan: t } } });
const args = (a: string) => ({ type: "tool-call-delta", index: 0, delta: { message: { tool_calls: { function: { arguments: a } } } } });

export const cohereTarget: ConformanceTarget = {
  type: "cohere",
  model: "command-a-03-2025",
  embeddingModel: "embed-v4.0",
  capabilities: { tools: true, vision: true, json: true, embeddings: true, reasoning: true },
  async startFake() {
    const fake = await startFakeCohere({ apiKey: "conformance-cohere-key" });
    return fakeProvider(fake, { type: "cohere", base_url: fake.url, api_key: "conformance-cohere-key" });
  },
  streamFixtures: [
    {
      name: "text with usage",
      bytes: sse([
        start("321d178c-2c12-44d3-ae42-2f5510f6b1cc"),
        { type: "content-start", index: 0, delta: { message: { content: { type: "text", text: "" } } } },
        text("Héllo"),
        text(" wörld"),
        text(" ✓"),
        { type: "content-end", index: 0 },
        {
          type: "message-end",
          delta: { finish_reason: "COMPLETE", usage: { billed_units: { input_tokens: 12, output_tokens: 3 }, tokens: { input_tokens: 507, output_tokens: 3 }, cached_tokens: 448 } },
        },
      ]),
      expect: { text: "Héllo wörld ✓", finish: "stop", usage: { prompt_tokens: 507, completion_tokens: 3 } },
    },
    {
      name: "tool call after a tool plan",
      bytes: sse([
        start("2941521a-b87a-45f6-9b0d-235fd66c3025"),
        plan("I"),
        plan(" will"),
        plan(" check"),
        plan(" the weather."),
        { type: "tool-call-start", index: 0, delta: { message: { tool_calls: { id: "get_weather_e8p4pn45zt0t", type: "function", function: { name: "get_weather", arguments: "" } } } } },
        args('{"'),
        args("city"),
        args('": "'),
        args('Paris"}'),
        { type: "tool-call-end", index: 0 },
        {
          type: "message-end",
          delta: { finish_reason: "TOOL_CALL", usage: { billed_units: { input_tokens: 119, output_tokens: 44 }, tokens: { input_tokens: 1549, output_tokens: 95 }, cached_tokens: 1504 } },
        },
      ]),
      expect: { text: "I will check the weather.", toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }], finish: "tool_calls", usage: { prompt_tokens: 1549, completion_tokens: 95 } },
    },
  ],
  decodeStream: (chunks) => decodeChunks(cohereWire("cohere", []), chunks, { clientWantsUsage: true, data: {} }),
};

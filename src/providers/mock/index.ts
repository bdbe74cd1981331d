/**
 * The always-available `mock` provider: deterministic text, streaming, tool calls, embeddings
 * and usage, with no keys and no network. Model names may ask for behaviour:
 * `mock:error-503` fails with that upstream status, `mock:slow-200` waits 200 ms first.
 */
import type { CancelSignal } from "../../core/cancel.js";
import { GatewayError } from "../../core/errors.js";
import { countTokens, estimatePromptTokens } from "../../core/tokens.js";
import type { ChatChunk, ChatCompletion, ChatRequest, EmbeddingsRequest, EmbeddingsResponse, Usage } from "../../wire/openai.js";
import { completeEmbeddings } from "../embeddings.js";
import { upstreamError } from "../errors.js";
import type { CallOptions, Capabilities, ChunkStream, Provider } from "../types.js";
import { chosenTool, mockEmbedding, mockToolCall, replyText, streamPieces } from "./responses.js";

export const MOCK_CAPABILITIES: Capabilities = { chat: true, stream: true, tools: true, vision: true, json: true, embeddings: true, reasoning: false };

let seq = 0;

export function createMockProvider(id = "mock"): Provider {
  async function prepare(req: ChatRequest, opts: CallOptions) {
    const model = req.model;
    const slow = /^slow-(\d+)$/.exec(model);
    if (slow) await sleep(Number(slow[1]), opts.signal);
    const err = /^error-(\d{3})$/.exec(model);
    if (err) throw upstreamError(id, Number(err[1]), `mock error ${err[1]}`, {});
    const tool = chosenTool(req);
    const text = tool ? "" : replyText(req);
    const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? undefined;
    const usage: Usage = { prompt_tokens: await estimatePromptTokens(req.messages, req.tools), completion_tokens: 0, total_tokens: 0 };
    const toolCall = tool ? mockToolCall(tool, ++seq) : null;
    usage.completion_tokens = await countTokens(text || JSON.stringify(toolCall));
    let finish = tool ? "tool_calls" : "stop";
    let out = text;
    if (maxTokens !== undefined && !tool && usage.completion_tokens > maxTokens) {
      const words = streamPieces(text).slice(0, maxTokens);
      out = words.join("");
      usage.completion_tokens = await countTokens(out);
      finish = "length";
    }
    // `n` choices, each the same deterministic answer (a tool call gets an id of its own), billed n times.
    const n = req.n ?? 1;
    const toolCalls = Array.from({ length: n }, (_, i) => (i === 0 || !toolCall ? toolCall : mockToolCall(tool!, ++seq)));
    usage.completion_tokens *= n;
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    return { id: `chatcmpl-mock${++seq}`, created: Math.floor(Date.now() / 1000), text: out, toolCalls, finish, usage };
  }

  return {
    id,
    type: "mock",
    capabilities: MOCK_CAPABILITIES,

    async chat(req, opts): Promise<ChatCompletion> {
      const r = await prepare(req, opts);
      return {
        id: r.id,
        object: "chat.completion",
        created: r.created,
        model: req.model,
        choices: r.toolCalls.map((call, index) => ({
          index,
          message: { role: "assistant" as const, content: call ? null : r.text, ...(call ? { tool_calls: [call] } : {}), refusal: null },
          finish_reason: r.finish,
          logprobs: null,
        })),
        usage: r.usage,
      };
    },

    async chatStream(req, opts): Promise<ChunkStream> {
      const r = await prepare(req, opts);
      const base = { id: r.id, object: "chat.completion.chunk" as const, created: r.created, model: req.model };
      const chunks: ChatChunk[] = [];
      r.toolCalls.forEach((call, index) => {
        chunks.push({ ...base, choices: [{ index, delta: { role: "assistant", content: "" }, finish_reason: null }] });
        if (call) {
          chunks.push({ ...base, choices: [{ index, delta: { tool_calls: [{ index: 0, ...call }] }, finish_reason: null }] });
        } else {
          for (const piece of streamPieces(r.text)) chunks.push({ ...base, choices: [{ index, delta: { content: piece }, finish_reason: null }] });
        }
        chunks.push({ ...base, choices: [{ index, delta: {}, finish_reason: r.finish }] });
      });
      chunks.push({ ...base, choices: [], usage: r.usage });
      let cancelled = false;
      // eslint-disable-next-line @typescript-eslint/require-await -- the chunks are at hand, but a provider stream is an async iterator
      async function* iterate() {
        for (const c of chunks) {
          if (cancelled || opts.signal?.aborted) throw new GatewayError("client_disconnected", "client closed the request");
          yield c;
        }
      }
      const it = iterate();
      return { [Symbol.asyncIterator]: () => it, cancel: () => void (cancelled = true) };
    },

    async embeddings(req: EmbeddingsRequest, _opts): Promise<EmbeddingsResponse> {
      const inputs = typeof req.input === "string" ? [req.input] : (req.input as unknown[]).map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
      const dims = req.dimensions ?? 64;
      let tokens = 0;
      for (const t of inputs) tokens += await countTokens(t);
      const response: EmbeddingsResponse = {
        object: "list",
        data: inputs.map((t, index) => ({ object: "embedding", index, embedding: mockEmbedding(t, dims) })),
        model: req.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
      // `encoding_format: "base64"` (the OpenAI SDK's default) as every provider answers it.
      return completeEmbeddings(response, req);
    },
  };
}

function sleep(ms: number, signal?: CancelSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(new GatewayError("client_disconnected", "client closed the request"));
      },
      { once: true },
    );
  });
}

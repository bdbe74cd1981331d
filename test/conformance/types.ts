/**
 * The conformance contract every provider adapter meets. Each provider contributes one
 * `ConformanceTarget` (test/conformance/targets/<provider>.ts): a fake server that speaks the
 * provider's documented wire format for a `Scenario`, and recorded stream fixtures. The same
 * suite (conformance.test.ts) then runs every target through the real gateway with the
 * official OpenAI SDK, and through the adapter's stream parser split at every byte.
 */

/** What the fake upstream should answer, in provider-neutral terms. */
export interface Scenario {
  /** Assistant text (default "Hello from the fake"). */
  text?: string;
  /** Tool calls the assistant makes instead of / besides text. `arguments` is a JSON object. */
  toolCalls?: Array<{ id: string; name: string; arguments: Record<string, unknown> }>;
  /** Reasoning / thinking text, for providers that expose it. */
  reasoning?: string;
  /** Token counts as the provider reports them (mapped by the adapter to OpenAI's usage). */
  usage?: { input: number; output: number; cachedInput?: number; reasoning?: number };
  /** Why generation stopped, in OpenAI's vocabulary; the fake sends the provider's native equivalent. */
  finish?: "stop" | "length" | "tool_calls" | "content_filter";
  /** Answer with an error instead: the provider's own error body for this status. */
  error?: { status: number; message: string };
  /** Send the stream one byte at a time (multi-byte characters split). */
  splitBytes?: boolean;
}

export interface RecordedUpstreamCall {
  method: string;
  /** Path including the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (raw string if not JSON). */
  body: any;
}

export interface FakeProvider {
  /** Raw config entry for `providers.<id>` pointing at this fake (type, base_url, credentials...). */
  providerConfig: Record<string, unknown>;
  calls: RecordedUpstreamCall[];
  /** Scenarios are consumed one per chat/embeddings request; when none is queued the default answers. */
  enqueue(s: Scenario): void;
  reset(): void;
  close(): Promise<void>;
}

export interface StreamFixture {
  name: string;
  /** The exact bytes the provider sends for a streamed response (as documented). */
  bytes: Uint8Array;
  /** What the canonical (OpenAI-shaped) stream must add up to. */
  expect: {
    text: string;
    toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
    finish: string;
    usage?: { prompt_tokens: number; completion_tokens: number };
  };
}

export interface ConformanceTarget {
  /** Registry type, e.g. "anthropic". */
  type: string;
  /** An upstream model name to request, e.g. "claude-sonnet-4-5". */
  model: string;
  capabilities: { tools: boolean; vision: boolean; json: boolean; embeddings: boolean; reasoning: boolean };
  /** An embeddings model, when `capabilities.embeddings`. */
  embeddingModel?: string;
  startFake(): Promise<FakeProvider>;
  streamFixtures: StreamFixture[];
  /**
   * Builds the adapter's stream decoding for the byte-split test: returns a function that turns
   * a whole byte stream (as an async iterable of chunks) into canonical chunks.
   */
  decodeStream(chunks: AsyncIterable<Uint8Array>): AsyncIterable<import("../../src/wire/openai.js").ChatChunk>;
}

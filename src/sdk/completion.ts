/** `completion` and `embedding`: one typed call to any provider, in-process. */
import { GatewayError } from "../core/errors.js";
import type { CallOptions, Provider, Timeouts } from "../providers/types.js";
import {
  chatRequestSchema,
  describeIssues,
  embeddingsRequestSchema,
  type ChatChunk,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
} from "../wire/openai.js";
import { InvalidRequestError, toLibraryError, UnsupportedParameterError } from "./errors.js";
import { buildProvider, splitModel, type ProviderOptions } from "./providers.js";
import { normaliseTools, runTool, type ToolsInput } from "./tools.js";

export interface RequestOptions {
  /** Provider settings for this call (apiKey, baseUrl, …); otherwise the provider's env var is used. */
  apiKey?: string;
  baseUrl?: string;
  /**
   * The provider: its name (`"openai"`, with the model its own name: `model: "gpt-4o-mini"`), or
   * settings for the provider the model names (apiKey, baseUrl, type, …, as for createProvider).
   */
  provider?: string | ProviderOptions;
  signal?: AbortSignal;
  timeouts?: Partial<Timeouts>;
  /** Retries for retryable failures before the first byte (default 2). */
  maxRetries?: number;
  /** With executable tools: how many model turns may run tools before returning (default 5). */
  maxSteps?: number;
  /** Called with each parameter the provider cannot honour as given. */
  onWarning?: (message: string) => void;
}

type WithoutTools = { [K in keyof ChatRequest as K extends "tools" ? never : K]: ChatRequest[K] };
export type CompletionParams = WithoutTools & { tools?: ToolsInput } & RequestOptions;
export type ChatStream = AsyncIterable<ChatChunk>;

const OPTION_KEYS = ["apiKey", "baseUrl", "provider", "signal", "timeouts", "maxRetries", "maxSteps", "onWarning"] as const;

function split<T extends Record<string, unknown>>(params: T): { body: Record<string, unknown>; opts: RequestOptions } {
  const body: Record<string, unknown> = { ...params };
  const opts: Record<string, unknown> = {};
  for (const k of OPTION_KEYS) {
    if (k in body) opts[k] = body[k];
    delete body[k];
  }
  return { body, opts: opts };
}

export function resolveTarget(model: string, opts: RequestOptions) {
  const { named, settings } = providerOption(opts.provider);
  const { provider: id, model: upstreamModel } = splitModel(model, named);
  const built = buildProvider(id, { ...settings, ...(opts.apiKey ? { apiKey: opts.apiKey } : {}), ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) });
  const timeouts: Timeouts = { ...built.timeouts, ...opts.timeouts };
  const call: CallOptions = { signal: opts.signal, timeouts, warn: opts.onWarning };
  return { provider: built.provider, upstreamModel, call };
}

/** `provider` as a name or as settings; anything else is the caller's mistake. */
function providerOption(p: RequestOptions["provider"]): { named?: string; settings?: ProviderOptions } {
  if (p === undefined || p === null) return {};
  if (typeof p === "string") return { named: p };
  if (typeof p === "object" && !Array.isArray(p)) return { settings: p };
  throw new InvalidRequestError("provider must be a provider name or an object of provider settings", "provider");
}

export async function withRetries<T>(maxRetries: number, run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (e) {
      const retryable = e instanceof GatewayError && e.retryable;
      if (!retryable || attempt >= maxRetries) throw toLibraryError(e);
      const wait = e.retryAfterSeconds !== undefined ? e.retryAfterSeconds * 1000 : Math.min(2000, 100 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, Math.min(wait, 10_000)));
    }
  }
}

export function completion(params: CompletionParams & { stream: true }): Promise<ChatStream>;
export function completion(params: CompletionParams & { stream?: false | null }): Promise<ChatCompletion>;
export function completion(params: CompletionParams): Promise<ChatCompletion | ChatStream>;
export async function completion(params: CompletionParams): Promise<ChatCompletion | ChatStream> {
  const { body, opts } = split(params as unknown as Record<string, unknown>);
  const { wire, executors } = normaliseTools(params.tools);
  if (wire) body.tools = wire;
  else delete body.tools;
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) throw toLibraryError(new GatewayError("invalid_request", `invalid completion request: ${describeIssues(parsed.error).message}`));
  const { provider, upstreamModel, call } = resolveTarget(parsed.data.model, opts);
  const req: ChatRequest = { ...parsed.data, model: upstreamModel };
  const maxRetries = opts.maxRetries ?? 2;

  if (req.stream) {
    if (!provider.capabilities.stream) throw new UnsupportedParameterError("stream", provider.id);
    const stream = await withRetries(maxRetries, () => provider.chatStream(req, call));
    return errorsMapped(stream);
  }
  if (executors.size === 0) return withRetries(maxRetries, () => provider.chat(req, call));
  return runToolLoop(provider, req, call, executors, maxRetries, opts.maxSteps ?? 5);
}

export async function* errorsMapped<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (e) {
    throw toLibraryError(e);
  }
}

/** Runs executable tools the model calls and sends their results back, up to `maxSteps` turns. */
async function runToolLoop(
  provider: Provider,
  req: ChatRequest,
  call: CallOptions,
  executors: ReturnType<typeof normaliseTools>["executors"],
  maxRetries: number,
  maxSteps: number,
): Promise<ChatCompletion> {
  const messages: ChatMessage[] = [...req.messages];
  for (let step = 1; ; step++) {
    const res = await withRetries(maxRetries, () => provider.chat({ ...req, messages }, call));
    const msg = res.choices[0]?.message;
    const calls = msg?.tool_calls ?? [];
    if (!calls.length || step >= maxSteps || !calls.every((c) => executors.get(c.function.name)?.execute)) return res;
    messages.push({ role: "assistant", content: msg?.content ?? null, tool_calls: calls as ChatMessage["tool_calls"] });
    for (const c of calls) {
      messages.push({ role: "tool", tool_call_id: c.id, content: await runTool(executors.get(c.function.name)!, c.function.arguments) });
    }
  }
}

export type EmbeddingParams = EmbeddingsRequest & RequestOptions;

export async function embedding(params: EmbeddingParams): Promise<EmbeddingsResponse> {
  const { body, opts } = split(params as unknown as Record<string, unknown>);
  const parsed = embeddingsRequestSchema.safeParse(body);
  if (!parsed.success) throw toLibraryError(new GatewayError("invalid_request", `invalid embedding request: ${describeIssues(parsed.error).message}`));
  const { provider, upstreamModel, call } = resolveTarget(parsed.data.model, opts);
  if (!provider.embeddings || !provider.capabilities.embeddings) throw new UnsupportedParameterError("embedding", provider.id, "this provider has no embeddings endpoint");
  const embed = provider.embeddings.bind(provider);
  return withRetries(opts.maxRetries ?? 2, () => embed({ ...parsed.data, model: upstreamModel }, call));
}

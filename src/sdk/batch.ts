/**
 * Batches through a provider's own batch API (OpenAI's Batch API, Anthropic's Message
 * Batches): `createBatch` from a local JSONL file in OpenAI's batch input format,
 * `retrieveBatch`, `cancelBatch`, `listBatches`, and `retrieveBatchResults`, whose results are
 * canonical (OpenAI-shaped) responses with their usage, whatever the provider. A provider
 * without such an API raises BatchNotSupportedError, which names the ones that have it.
 */
import type { BatchEndpoint, NativeBatchApi, NativeBatchResult, NativeBatchState } from "../providers/batch.js";
import { PROVIDER_REGISTRY } from "../providers/registry.js";
import type { CallOptions, Timeouts } from "../providers/types.js";
import { readBatchInput } from "./batch-input.js";
import { InvalidRequestError, SwitchboardError, toLibraryError } from "./errors.js";
import { buildProvider, type ProviderOptions } from "./providers.js";

export { BatchInputError, MAX_BATCH_INPUT_BYTES, MAX_BATCH_LINES } from "./batch-input.js";
export type { BatchEndpoint };

/** The provider has no batch API of its own in Switchboard. */
export class BatchNotSupportedError extends SwitchboardError {
  constructor(
    readonly provider: string,
    readonly supported: readonly string[],
  ) {
    super(`provider '${provider}' has no batch API; batches run on: ${supported.join(", ")}`);
  }
}

/** The batch has not finished yet: its results cannot be read. `status` is where it stands. */
export class BatchNotReadyError extends SwitchboardError {
  constructor(
    readonly batchId: string,
    readonly status: Batch["status"],
  ) {
    super(`batch ${batchId} is ${status}: its results can be read once it has completed, been cancelled or expired`);
  }
}

/** The provider types whose providers have a batch API. */
export function batchProviders(): string[] {
  return [...PROVIDER_REGISTRY.values()].filter((d) => d.nativeBatch).map((d) => d.type);
}

export interface BatchCallOptions {
  /** The provider's name ("openai", "anthropic"; another name with `providerOptions.type`). */
  provider: string;
  apiKey?: string;
  baseUrl?: string;
  /** Other provider settings, as for createProvider (headers, anthropicVersion, …). */
  providerOptions?: ProviderOptions;
  signal?: AbortSignal;
  timeouts?: Partial<Timeouts>;
  /** Called with each thing the provider cannot honour as given (e.g. metadata on Anthropic). */
  onWarning?: (message: string) => void;
}

export interface CreateBatchParams extends BatchCallOptions {
  /** A local JSONL file in OpenAI's batch input format. */
  inputFilePath: string;
  /** The endpoint every line addresses. */
  endpoint: BatchEndpoint;
  /** Only "24h" (the default): the window both OpenAI and Anthropic give a batch. */
  completionWindow?: string;
  /** Up to 16 string pairs (OpenAI keeps them; Anthropic has none, and says so through onWarning). */
  metadata?: Record<string, string>;
}

/** A batch, OpenAI-shaped whatever the provider. */
export interface Batch {
  id: string;
  object: "batch";
  provider: string;
  endpoint: BatchEndpoint | null;
  status: "in_progress" | "completed" | "failed" | "expired" | "cancelling" | "cancelled";
  request_counts: { total: number; completed: number; failed: number };
  /** Unix seconds. */
  created_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelled_at: number | null;
  errors: { object: "list"; data: Array<{ message: string }> } | null;
  metadata: Record<string, string> | null;
}

/** One result: the canonical response with its usage, or the request's error (status 0: it never ran). */
export type BatchResult = NativeBatchResult;

const STATUS: Record<NativeBatchState["status"], Batch["status"]> = {
  in_progress: "in_progress",
  ended: "completed",
  failed: "failed",
  expired: "expired",
  cancelling: "cancelling",
  cancelled: "cancelled",
};

function toBatch(s: NativeBatchState, provider: string): Batch {
  const status = STATUS[s.status];
  const at = (st: Batch["status"]) => (status === st ? (s.endedAt ?? null) : null);
  return {
    id: s.id,
    object: "batch",
    provider,
    endpoint: s.endpoint ?? null,
    status,
    request_counts: { ...s.counts },
    created_at: s.createdAt ?? null,
    completed_at: at("completed"),
    failed_at: at("failed"),
    expired_at: at("expired"),
    cancelled_at: at("cancelled"),
    errors: s.error ? { object: "list", data: [{ message: s.error }] } : null,
    metadata: s.metadata ?? null,
  };
}

/** The provider's batch API and the call options, or BatchNotSupportedError. */
function batchApi(o: BatchCallOptions): { api: NativeBatchApi; call: CallOptions; close: () => Promise<void> } {
  if (typeof o.provider !== "string" || !o.provider) throw new InvalidRequestError("provider must be a provider name", "provider");
  const settings: ProviderOptions = { ...o.providerOptions, ...(o.apiKey ? { apiKey: o.apiKey } : {}), ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) };
  const { provider, timeouts } = buildProvider(o.provider, settings);
  if (!provider.batch) {
    void provider.close?.();
    throw new BatchNotSupportedError(o.provider, batchProviders());
  }
  return {
    api: provider.batch,
    call: { signal: o.signal, timeouts: { ...timeouts, ...o.timeouts }, warn: o.onWarning },
    close: () => provider.close?.() ?? Promise.resolve(),
  };
}

async function run<T>(o: BatchCallOptions, f: (api: NativeBatchApi, call: CallOptions) => Promise<T>): Promise<T> {
  const { api, call, close } = batchApi(o);
  try {
    return await f(api, call);
  } catch (e) {
    throw toLibraryError(e);
  } finally {
    await close();
  }
}

function batchId(id: unknown): string {
  if (typeof id !== "string" || !id) throw new InvalidRequestError("batchId must be a non-empty string", "batchId");
  return id;
}

/** Uploads the requests of a local JSONL file and starts a batch on them; the file is checked whole first. */
export async function createBatch(params: CreateBatchParams): Promise<Batch> {
  const window = params.completionWindow ?? "24h";
  if (window !== "24h") throw new InvalidRequestError(`completionWindow "${window}" is not available: batches complete within "24h"`, "completionWindow");
  if (params.metadata !== undefined) {
    const entries = Object.entries(params.metadata ?? {});
    if (entries.length > 16 || entries.some(([k, v]) => typeof v !== "string" || k.length > 64 || v.length > 512)) {
      throw new InvalidRequestError("metadata holds at most 16 string pairs, keys up to 64 characters, values up to 512", "metadata");
    }
  }
  // An unsupported provider or endpoint is refused before the file is read, a bad file before anything is sent.
  return run(params, async (api, call) => {
    if (!api.endpoints.includes(params.endpoint)) {
      throw new InvalidRequestError(`provider '${params.provider}' batches ${api.endpoints.join(", ")}, not ${String(params.endpoint)}`, "endpoint");
    }
    const lines = await readBatchInput(params.inputFilePath, params.endpoint);
    return toBatch(await api.submit(lines, { ...call, ...(params.metadata ? { metadata: params.metadata } : {}) }), params.provider);
  });
}

export async function retrieveBatch(params: BatchCallOptions & { batchId: string }): Promise<Batch> {
  const id = batchId(params.batchId);
  return run(params, async (api, call) => toBatch(await api.retrieve(id, call), params.provider));
}

export async function cancelBatch(params: BatchCallOptions & { batchId: string }): Promise<Batch> {
  const id = batchId(params.batchId);
  return run(params, async (api, call) => toBatch(await api.cancel(id, call), params.provider));
}

/** Batches, newest first: `limit` of them (the provider's default page when absent), after the batch `after`. */
export async function listBatches(params: BatchCallOptions & { limit?: number; after?: string }): Promise<Batch[]> {
  if (params.limit !== undefined && (!Number.isInteger(params.limit) || params.limit < 1 || params.limit > 100)) {
    throw new InvalidRequestError("limit must be an integer from 1 to 100", "limit");
  }
  return run(params, async (api, call) => {
    if (!api.list) throw new BatchNotSupportedError(params.provider, batchProviders());
    const list = await api.list({ ...call, ...(params.limit !== undefined ? { limit: params.limit } : {}), ...(params.after ? { after: params.after } : {}) });
    return list.map((s) => toBatch(s, params.provider));
  });
}

/**
 * The results of a finished batch, streamed: `for await (const r of await retrieveBatchResults(…))`.
 * Each is `{custom_id, ok: true, response}` (a chat completion or embeddings response, with usage)
 * or `{custom_id, ok: false, status, error}`. A batch not finished yet raises BatchNotReadyError.
 */
export async function retrieveBatchResults(params: BatchCallOptions & { batchId: string }): Promise<AsyncIterable<BatchResult>> {
  const id = batchId(params.batchId);
  const b = await retrieveBatch(params);
  if (b.status === "in_progress" || b.status === "cancelling") throw new BatchNotReadyError(id, b.status);
  return {
    async *[Symbol.asyncIterator]() {
      const { api, call, close } = batchApi(params);
      try {
        yield* api.results(id, call);
      } catch (e) {
        throw toLibraryError(e);
      } finally {
        await close();
      }
    },
  };
}

/**
 * The models an OpenAI-compatible server lists itself (Provider.listModels), kept for a short
 * while per provider so `/v1/models` does not call the server every time. A fetch is bounded
 * in time and size; when it fails, the answer says so and `/v1/models` shows the catalog's
 * models for that provider instead, marked as such. Concurrent requests share one fetch.
 * Memory is bounded: one list per configured provider, each bounded in entries and bytes.
 */
import { GatewayError } from "../core/errors.js";
import type { Provider, Timeouts, UpstreamModel } from "./types.js";

/** How long a server's list is reused. */
export const MODEL_LIST_TTL_MS = 60_000;
/** How long a failed fetch is remembered before the server is asked again. */
export const MODEL_LIST_FAILURE_TTL_MS = 10_000;
/** Longest wait for a server's list, connection included. */
export const MODEL_LIST_TIMEOUT_MS = 2_000;
/** Largest list response read. */
export const MODEL_LIST_MAX_BYTES = 2 * 1024 * 1024;

export type ServerModels =
  | { source: "upstream"; models: UpstreamModel[] }
  /** The server could not be listed: `error` says why. */
  | { source: "catalog"; error: string };

export interface ServerModelListOptions {
  ttlMs?: number;
  failureTtlMs?: number;
  timeoutMs?: number;
  maxBytes?: number;
  /** Milliseconds, for the cache's expiry (tests pass a fake clock). */
  now?: () => number;
}

interface Entry {
  value: ServerModels;
  expiresAt: number;
}

export class ServerModelLists {
  private readonly entries = new WeakMap<Provider, Entry>();
  private readonly inflight = new WeakMap<Provider, Promise<ServerModels>>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly timeouts: Timeouts;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor(o: ServerModelListOptions = {}) {
    this.ttlMs = o.ttlMs ?? MODEL_LIST_TTL_MS;
    this.failureTtlMs = o.failureTtlMs ?? MODEL_LIST_FAILURE_TTL_MS;
    const t = o.timeoutMs ?? MODEL_LIST_TIMEOUT_MS;
    this.timeouts = { connectMs: t, firstTokenMs: t, idleMs: t, totalMs: t };
    this.maxBytes = o.maxBytes ?? MODEL_LIST_MAX_BYTES;
    this.now = o.now ?? Date.now;
  }

  /** The server's models, or why they could not be had; null for a provider listed from the catalog. */
  get(provider: Provider): Promise<ServerModels> | null {
    if (!provider.listModels) return null;
    const cached = this.entries.get(provider);
    if (cached && cached.expiresAt > this.now()) return Promise.resolve(cached.value);
    let pending = this.inflight.get(provider);
    if (!pending) {
      pending = this.fetch(provider);
      this.inflight.set(provider, pending);
    }
    return pending;
  }

  private async fetch(provider: Provider): Promise<ServerModels> {
    let value: ServerModels;
    try {
      value = { source: "upstream", models: await provider.listModels!({ timeouts: this.timeouts }, this.maxBytes) };
    } catch (e) {
      value = { source: "catalog", error: describe(e) };
    }
    this.entries.set(provider, { value, expiresAt: this.now() + (value.source === "upstream" ? this.ttlMs : this.failureTtlMs) });
    this.inflight.delete(provider);
    return value;
  }
}

function describe(e: unknown): string {
  if (e instanceof GatewayError) {
    const status = e.upstreamStatus;
    return status ? `the server answered HTTP ${status}: ${e.message}` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

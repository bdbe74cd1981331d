/** What one inference request carries through the pipeline. */
import type { IncomingHttpHeaders } from "node:http";
import type { SwitchboardConfig } from "../config/types.js";
import type { Principal } from "../policy/auth.js";
import type { Authenticator } from "../policy/auth.js";
import type { Provider } from "../providers/types.js";
import type { ModelResolver } from "../routing/resolve.js";
import type { UsageSink } from "../usage/types.js";
import type { InvalidationBus } from "../policy/invalidation.js";
import type { Store } from "../store/db.js";

/** Long-lived services the pipeline uses; built once at start-up. */
export interface Runtime {
  config: SwitchboardConfig;
  providers: ReadonlyMap<string, Provider>;
  resolver: ModelResolver;
  auth: Authenticator;
  usage: UsageSink;
  /** Every change to keys, users and teams is announced here. */
  bus: InvalidationBus;
  store: Store;
}

export interface RequestContext {
  requestId: string;
  endpoint: "chat" | "embeddings";
  /** performance.now() when the request arrived. */
  receivedAt: number;
  headers: IncomingHttpHeaders;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
  principal?: Principal;
  /** Upstream calls made so far. */
  attempts: number;
  /** Milliseconds spent waiting on upstreams or in retry back-off: not gateway overhead. */
  externalMs: number;
  /** Provider and upstream model of the last attempt. */
  provider?: string;
  model?: string;
  /** Response headers gathered along the way. */
  responseHeaders: Record<string, string>;
  warnings: string[];
}

export function overheadMs(ctx: RequestContext, now = performance.now()): number {
  return Math.max(0, now - ctx.receivedAt - ctx.externalMs);
}

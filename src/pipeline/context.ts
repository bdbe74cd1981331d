/** What one inference request carries through the pipeline. */
import type { IncomingHttpHeaders } from "node:http";
import type { CancelSignal } from "../core/cancel.js";
import type { SwitchboardConfig } from "../config/types.js";
import type { Principal } from "../policy/auth.js";
import type { Authenticator } from "../policy/auth.js";
import type { Provider } from "../providers/types.js";
import type { ModelResolver } from "../routing/resolve.js";
import type { UsageSink } from "../usage/types.js";
import type { InvalidationBus } from "../policy/invalidation.js";
import type { Store } from "../store/db.js";
import type { PriceResolver } from "../pricing/resolver.js";
import type { BudgetService } from "../budgets/service.js";
import type { Assignment, Reservation } from "../budgets/book.js";
import type { Admission, Limiter } from "../limits/limiter.js";
import type { DeploymentHealth } from "../routing/health.js";
import type { Router } from "../routing/strategies.js";
import type { Observer } from "../observability/observer.js";
import type { Observation } from "../observability/types.js";
import type { Logger } from "../observability/log.js";
import type { RefusalSampler } from "../usage/refusals.js";
import type { ContentCapture } from "../usage/content.js";

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
  pricing: PriceResolver;
  budgets: BudgetService;
  limiter: Limiter;
  /** Each deployment's circuit and live figures (in this process). */
  health: DeploymentHealth;
  /** Orders a model's deployments by its strategy, and counts their own rpm/tpm. */
  router: Router;
  /** Metrics and traces: where attempts start and end and requests end (none when both are off). */
  observe?: Observer;
  /** The gateway's log (JSON lines, secrets redacted): one access line per request, warnings, errors. */
  log: Logger;
  /** Which refused requests (401/402/403/429) are logged one by one, and the count of the others. */
  refusals: RefusalSampler;
}

export interface RequestContext {
  /** The gateway's own id: the ledger's identity and the receipt's id. Never the client's. */
  requestId: string;
  /** The client's own x-request-id, when acceptable: echoed back and kept on the usage rows. */
  clientRequestId: string | null;
  /** The API the request came in on: the ledger's `endpoint` (count_tokens runs as "messages" and is never recorded). */
  endpoint: "chat" | "embeddings" | "messages" | "responses";
  /** performance.now() when the request arrived. */
  receivedAt: number;
  headers: IncomingHttpHeaders;
  /** Aborted when the client disconnects. */
  signal: CancelSignal;
  principal?: Principal;
  /** Upstream calls made so far. */
  attempts: number;
  /** An attempt reached an upstream (answered, failed there, or cut after it was sent). */
  reached?: boolean;
  /** Milliseconds spent waiting on upstreams or in retry back-off: not gateway overhead. */
  externalMs: number;
  /** Provider and upstream model of the last attempt. */
  provider?: string;
  model?: string;
  /** Response headers gathered along the way. */
  responseHeaders: Record<string, string>;
  warnings: string[];
  /** Sum of the cost of every attempt so far, micro-USD. */
  costMicros: number;
  /** The error message of every failed attempt so far, for the receipt. */
  attemptErrors: Array<{ attempt: number; error_message: string }>;
  /** How the model was resolved, for the receipt. */
  routing?: Record<string, unknown>;
  /** The client's x-switchboard-timeout-ms: lowers the total upstream timeout, never raises it. */
  totalTimeoutMs?: number;
  /** Budget assignments that apply, and this request's reservation on them. */
  budgets?: Assignment[];
  reservation?: Reservation;
  /** This request's count against its rate and concurrency limits. */
  limits?: Admission;
  /** Prompt and completion tokens of every attempt so far. */
  tokens: number;
  /** What metrics and traces keep of this request (set by their hooks). */
  observation?: Observation;
  /** The same, apart (for the access line). */
  promptTokens?: number;
  completionTokens?: number;
  /** The model as the client asked for it, once known; the last recorded attempt's status, error code and time to first token. */
  requestedModel?: string;
  lastStatus?: number;
  lastErrorCode?: string | null;
  ttftMs?: number | null;
  /** The request's tags (`x-switchboard-tags`) and metadata (the body's `metadata`), recorded with its rows. */
  tags?: string[];
  metadata?: Record<string, string>;
  /** With `logging.store_content`: the prompt and completion, stored with the rows. */
  content?: ContentCapture;
}

export function overheadMs(ctx: RequestContext, now = performance.now()): number {
  return Math.max(0, now - ctx.receivedAt - ctx.externalMs);
}

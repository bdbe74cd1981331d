/** What every management handler works with: its dependencies, the Hono env, and who is acting. */
import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import type { Kysely } from "kysely";
import type { BudgetBook } from "../budgets/book.js";
import type { InvalidationBus } from "../policy/invalidation.js";
import type { Database } from "../store/schema.js";

export interface ManagementDeps {
  db: Kysely<Database>;
  bus: InvalidationBus;
  /** Constant-time check of the master key (the inference Authenticator's `isMasterKey`). */
  isMasterKey(key: string): boolean;
  /**
   * The gateway's budget engine (a `BudgetService`), for live spend and reset times in budget
   * objects. Absent (CLI tools, tests): spend is summed from the ledger instead.
   */
  budgets?: { readonly book: Pick<BudgetBook, "get">; reloaded?(): Promise<void> };
  /** The gateway's prices, whose reload a price change waits for. */
  pricing?: { reloaded(): Promise<void> };
  /** The deployments the gateway routes to, with their circuits and live figures (`GET /v1/providers`). */
  deployments?: () => DeploymentStatus[];
  /** The clock of dashboard sessions and sign-in bounds (tests move it); default the system clock. */
  clock?: () => Date;
}

/** One deployment in `GET /v1/providers`. */
export interface DeploymentStatus {
  deployment: string;
  provider: string;
  model: string;
  state: "closed" | "open" | "half-open";
  in_flight: number;
  requests: number;
  errors: number;
  error_rate: number;
  ttft_ms: { p50: number | null; p95: number | null };
  total_ms: { p50: number | null; p95: number | null };
  ewma_ttft_ms: number | null;
  opened_at: string | null;
}

export type ManagementEnv = {
  /** Present when served by @hono/node-server; absent under `app.request()` in tests. */
  Bindings: Partial<HttpBindings>;
  Variables: { requestId: string; actor: string };
};

/** Who did it, from where, in which request: what every audit row records. */
export interface Actor {
  actor: string;
  sourceIp: string | null;
  requestId: string;
}

export function actorOf(c: Context<ManagementEnv>): Actor {
  return { actor: c.get("actor"), sourceIp: sourceIp(c), requestId: c.get("requestId") };
}

/** The socket's remote address (IPv4-mapped IPv6 shown as IPv4); null when there is no socket. */
export function sourceIp(c: Context<ManagementEnv>): string | null {
  const env = c.env as Partial<HttpBindings> | undefined;
  const addr = env?.incoming?.socket?.remoteAddress;
  if (!addr) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return mapped ? mapped[1] : addr;
}

/**
 * The composition root: starts a gateway from its config, in order: the data directory's lock,
 * the listening socket, the master key, the store and its migrations, the usage ledger, the
 * providers, the key and price caches, the budget book, and then the HTTP service. Stops it in
 * the reverse order after a bounded drain.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { SwitchboardConfig } from "../config/types.js";
import { notInEffectWarning } from "../config/not-in-effect.js";
import { Authenticator } from "../policy/auth.js";
import { UserCache } from "../policy/user-cache.js";
import { LocalInvalidationBus } from "../policy/invalidation.js";
import { RedisInvalidationBus } from "../policy/redis-invalidation.js";
import { KeyCache } from "../policy/key-cache.js";
import { resolveMasterKey } from "../policy/master-key.js";
import type { Runtime } from "../pipeline/context.js";
import { providerDefinition } from "../providers/registry.js";
import type { Provider } from "../providers/types.js";
import { ModelResolver } from "../routing/resolve.js";
import { DeploymentHealth } from "../routing/health.js";
import { Router } from "../routing/strategies.js";
import { startHealthChecks } from "../pipeline/health-checks.js";
import { deleteResponsesBefore } from "../store/repos/responses.js";
import { RetentionJob } from "./retention.js";
import { openStore, type Store } from "../store/db.js";
import { databaseStartError } from "../store/connect-errors.js";
import { acquireDataDirLock } from "../store/data-dir-lock.js";
import { assertSchemaNotNewer, migrate } from "../store/migrate.js";
import { openUsageLedger, type UsageLedger } from "../usage/durable.js";
import { PriceResolver } from "../pricing/resolver.js";
import { BudgetService } from "../budgets/service.js";
import { BUDGET_OPS, SharedBudgets } from "../budgets/shared.js";
import { ANSWER_TIMEOUT_MS, RedisLink } from "../redis/link.js";
import { LocalLimiter, type Limiter } from "../limits/limiter.js";
import { RedisLimiter } from "../limits/redis-limiter.js";
import { LIMIT_OPS } from "../limits/redis-ops.js";
import { startObservability } from "../observability/setup.js";
import { configuredDeployments } from "../pipeline/route.js";
import { configSecrets, createGatewayLog, type GatewayLog } from "../observability/log.js";
import { RefusalSampler } from "../usage/refusals.js";
import { deleteContentBefore } from "../usage/query.js";
import { loadApiPrices } from "../pricing/store.js";
import { bindServer } from "../http/listen.js";
import { serveHttp } from "../http/server.js";
import { BatchRunner } from "../batches/runner.js";
import { NativeBatches } from "../batches/native.js";
import { BatchService } from "../batches/service.js";
import { StartupScope } from "./startup-scope.js";
import { configWarnings } from "./warnings.js";
import { routeProblems } from "./route-problems.js";

export interface StartOptions {
  /** Apply pending migrations on start (default true). */
  migrate?: boolean;
  /**
   * Where start-up messages and warnings go as plain lines (default: the gateway's log, at level
   * warn). Given without `logStream`, the gateway's JSON log (access lines…) is not written.
   */
  log?: (line: string) => void;
  /** Where the gateway's JSON log lines go (default: standard error, written asynchronously). */
  logStream?: { write(s: string): unknown };
  /** Longest time to wait for in-flight requests on close (default 10 s). */
  drainMs?: number;
  /** Cancels the start: what was started is undone and `startGateway` rejects with `StartCancelled`. */
  signal?: AbortSignal;
}

export interface RunningGateway {
  url: string;
  port: number;
  masterKey: string;
  /** The gateway's log (JSON lines at `logging.level`, secrets redacted). */
  log: GatewayLog;
  store: Store;
  usage: UsageLedger;
  runtime: Runtime;
  server: Server;
  /** Inference requests being served now (streams included). */
  inFlight(): number;
  /** How long close() waits for in-flight requests before cutting them. */
  drainMs: number;
  /** Stops accepting, waits (bounded) for in-flight requests and streams, flushes usage, closes the store. */
  close(): Promise<void>;
}

/**
 * Starts a gateway. In order: the data directory's lock, the listening socket (a taken port ends
 * the start before anything is written), the master key, the store, and the rest. A failed or
 * cancelled start undoes what it started; its error is one line (a `StartupError` where known).
 */
export async function startGateway(config: SwitchboardConfig, opts: StartOptions = {}): Promise<RunningGateway> {
  // Refused before anything starts: a name that leads nowhere would fail every request reaching it.
  const unroutable = routeProblems(config);
  if (unroutable.length) throw new Error(`the routing configuration names models that lead nowhere:\n${unroutable.join("\n")}`);
  const scope = new StartupScope(opts.signal);
  try {
    return await startInScope(config, opts, scope);
  } catch (e) {
    await scope.unwind();
    throw e;
  }
}

async function startInScope(config: SwitchboardConfig, opts: StartOptions, scope: StartupScope): Promise<RunningGateway> {
  const gatewayLog = createGatewayLog({
    level: config.logging.level,
    secrets: configSecrets(config),
    ...(opts.logStream ? { stream: opts.logStream } : opts.log ? { stream: { write: () => true } } : {}),
  });
  scope.defer(() => gatewayLog.flush());
  const given = opts.log;
  const log = given ? (line: string) => given(gatewayLog.scrub(line)) : (line: string) => gatewayLog.logger.warn(line);
  const notInEffect = notInEffectWarning(config.notInEffect);
  if (notInEffect !== undefined) log(notInEffect);
  // The data directory holds the embedded store, the usage spool and the master key: one gateway at a time.
  const lock = await scope.step(acquireDataDirLock(config.dataDir), (l) => l.release());
  scope.defer(() => lock.release());
  const bound = await scope.step(bindServer(config.server), (b) => b.close());
  scope.defer(() => bound.close());
  const master = resolveMasterKey(config.masterKey, config.dataDir);
  gatewayLog.addSecret(master.key);
  if (master.generated) {
    // Shown once, to the operator, deliberately outside the log (where it would be redacted).
    const shown = `Generated a master key (saved to ${master.path}, mode 0600). It is shown only this once:\n\n    ${master.key}\n`;
    if (opts.log) opts.log(shown);
    else process.stderr.write(shown + "\n");
  }

  const store = await scope.step(openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onError: (e) => log(`database: ${e.message}`), onNotice: log }), (s) => s.close());
  scope.defer(() => store.close());
  try {
    await scope.step(assertSchemaNotNewer(store));
    if (opts.migrate !== false) await scope.step(migrate(store));
  } catch (e) {
    throw config.databaseUrl ? databaseStartError(e, config.databaseUrl) : e; // the store is closed by the unwind, bounded
  }
  const usage = await scope.step(
    openUsageLedger({
      db: store.db,
      dataDir: config.dataDir,
      batchSize: config.usage.batchSize,
      flushIntervalMs: config.usage.flushIntervalMs,
      maxQueue: config.usage.maxQueue,
      fsync: config.usage.fsync,
      onError: (err, info) => log(`usage ledger: ${usageProblem(info)}: ${(err as Error).message}`),
    }),
    (u) => u.close(),
  );
  scope.defer(() => usage.close());

  const providers = new Map<string, Provider>();
  scope.defer(() => Promise.all([...providers.values()].map((p) => (p.close ? p.close() : Promise.resolve()))));
  for (const [id, settings] of Object.entries(config.providers)) {
    const def = providerDefinition(settings.type);
    if (!def) throw new Error(`provider '${id}': unknown type '${settings.type}'`);
    providers.set(id, def.create(settings, { connectTimeoutMs: config.routing.timeouts.connectMs, upstream: config.upstream }));
  }

  // With Redis, changes made through any instance reach this one's caches (keys, users, prices, budgets).
  const bus = config.redisUrl ? new RedisInvalidationBus(config.redisUrl, log) : new LocalInvalidationBus();
  if (bus instanceof RedisInvalidationBus) {
    scope.defer(() => bus.close());
    await scope.step(bus.start()); // before the caches load: a change made meanwhile is not missed
  }
  const keys = new KeyCache(store.db, bus);
  scope.defer(() => keys.close());
  await scope.step(keys.preload());
  const pricing = new PriceResolver(config.pricing, (id) => config.providers[id]?.type);
  pricing.setApiPrices(await scope.step(loadApiPrices(store.db)));
  for (const line of configWarnings(config, pricing)) log(line);
  bus.subscribe((e) => {
    if (e.kind === "prices") pricing.reloadApiPrices(() => loadApiPrices(store.db)).catch((err) => log(`pricing: reload failed: ${(err as Error).message}`));
  });
  // Budget spend is summed from the ledger: first write what a previous run left in the spool.
  await scope.step(usage.flush().catch((e) => log(`usage ledger: replay before start failed: ${(e as Error).message}`)));
  const budgets = new BudgetService(store.db, bus, log);
  scope.defer(() => {
    budgets.close();
    return budgets.idle();
  });
  await scope.step(budgets.load());
  // With Redis, every instance counts rate limits and spends budgets in one place (one link,
  // whose calls of one event-loop turn leave together); otherwise this process does.
  let limiter: Limiter = new LocalLimiter();
  let link: RedisLink | undefined;
  if (config.redisUrl) {
    const failure = config.limits.redisFailure;
    const describeFallback = () =>
      failure === "open"
        ? `counting rate limits and budgets in this process, each shared among the ${limiter instanceof RedisLimiter ? limiter.instanceCount : 1} instance(s) last seen`
        : "refusing limited and budgeted requests with 503 (limits.redis_failure: closed)";
    const l = (link = new RedisLink(config.redisUrl, [LIMIT_OPS, BUDGET_OPS], { log, describeFallback }));
    scope.defer(() => l.close());
    await scope.step(l.start());
    budgets.shared = new SharedBudgets(l, store.db, budgets.book, { failure, instances: () => (limiter instanceof RedisLimiter ? limiter.instanceCount : 1) });
    const s = new RedisLimiter(l, { failure, leaseMs: config.routing.timeouts.totalMs + 30_000, instanceId: randomUUID() });
    scope.defer(() => s.close());
    await scope.step(s.start());
    limiter = s;
  }
  const runtime: Runtime = {
    config,
    providers,
    resolver: new ModelResolver(
      config.models,
      (id) => providers.has(id),
      Object.values(config.providers).map((p) => ({ id: p.id, type: p.type })),
      config.routing.defaultStrategy,
    ),
    auth: new Authenticator(master.key, keys, new UserCache(store.db, bus)),
    usage,
    bus,
    store,
    pricing,
    budgets,
    limiter,
    health: new DeploymentHealth(config.routing.circuitBreaker),
    router: new Router(),
    log: gatewayLog.logger,
    refusals: new RefusalSampler((counts, total) =>
      gatewayLog.logger.warn({ refused: Object.fromEntries(counts) }, `refused requests: ${total} in the last second past the ${"per-second"} bound were counted, not logged one by one`),
    ),
  };
  const stopHealthChecks = startHealthChecks(runtime);
  scope.defer(() => stopHealthChecks());
  const retention = new RetentionJob(
    [
      { name: "stored responses", purge: (cutoff) => deleteResponsesBefore(store.db, cutoff) },
      { name: "stored request content", purge: (cutoff) => deleteContentBefore(store.db, cutoff) },
    ],
    { days: config.logging.retentionDays, log },
  );
  retention.start();
  scope.defer(() => retention.stop());

  const drainMs = opts.drainMs ?? 10_000;
  // Metrics and traces: the request path counts through runtime.observe; /metrics reads the rest when scraped.
  const deployments = [...configuredDeployments(runtime)].sort();
  const observability = await scope.step(
    startObservability(config, {
      ledger: usage,
      models: [...config.models.map((g) => g.name), ...deployments, "auto"],
      ...(link ? { redisDegraded: () => link.degraded } : {}),
      circuits: { deployments, state: (key) => runtime.health.state(key) },
      budgets: () => runtime.budgets.book.assignments(),
    }),
    (o) => o.close(),
  );
  scope.defer(() => observability.close());
  if (observability.observe) runtime.observe = observability.observe;
  // Batches: created through /v1/batches, run in the background (one instance per batch, by lease).
  const batchRunner = new BatchRunner(runtime, log);
  const nativeBatches = new NativeBatches(runtime);
  batchRunner.native = nativeBatches.handle;
  scope.defer(() => batchRunner.close());
  const http = serveHttp(runtime, bound, {
    batches: new BatchService(runtime, batchRunner, nativeBatches),
    metrics: observability.metrics,
    readiness: limiter instanceof RedisLimiter ? { redis: () => redisReadiness(limiter) } : {},
  });

  batchRunner.start();

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      stopHealthChecks();
      await batchRunner.close();
      await retention.stop();
      await http.drain(drainMs);
      await observability.close();
      await usage.close();
      keys.close();
      budgets.close();
      await budgets.idle();
      await Promise.all([...providers.values()].map((p) => (p.close ? p.close() : Promise.resolve())));
      if (bus instanceof RedisInvalidationBus) bus.close();
      await Promise.all([budgets.shared?.owed.drain(2 * ANSWER_TIMEOUT_MS), limiter instanceof RedisLimiter ? limiter.owed.drain(2 * ANSWER_TIMEOUT_MS) : undefined]);
      limiter.close?.();
      link?.close();
      await store.close();
      await lock.release();
      runtime.refusals.flush();
      await gatewayLog.flush();
    })());

  return { url: bound.url, port: bound.port, masterKey: master.key, log: gatewayLog, store, usage, runtime, server: http.server, inFlight: () => http.inFlight(), drainMs, close };
}

function usageProblem(info: { rows: number; permanent: boolean; where: "database" | "spool" | "replay" }): string {
  if (info.where === "database") return `write of ${info.rows} rows failed${info.permanent ? " permanently (dropped)" : ", will retry"}`;
  if (info.where === "spool") return info.permanent ? "spool write failed, row dropped" : "spool write failed, row kept in memory only";
  return "spool replay failed";
}

/**
 * Redis in /readyz: with `limits.redis_failure: closed` a Redis that does not answer makes the
 * instance not ready (limited requests would get 503); with `open` it stays ready, degraded.
 */
function redisReadiness(limiter: RedisLimiter): Promise<Record<string, unknown>> {
  const s = limiter.status();
  if (s.state !== "connected" && s.failure_policy === "closed") return Promise.reject(new Error("Redis does not answer (limits.redis_failure: closed)"));
  return Promise.resolve(s);
}

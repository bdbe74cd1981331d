/**
 * Batches run by their provider's own batch API (OpenAI's Batch API, Anthropic's Message
 * Batches) at the provider's batch price. A batch goes native when every line's model routes
 * (first deployment of its route, as the pipeline picks it) to one provider whose `batch` API
 * takes the batch's endpoint. Its whole estimate is reserved on the key's budgets when it is
 * submitted (402 when it does not fit); the runner's lease holder polls the provider; once the
 * provider's batch is over, each result is written as its line's result with its ledger row at
 * the batch price, in one transaction and only while the line is pending (written once, even
 * after a restart); the reservation is then settled to what was written.
 */
import { GatewayError, toGatewayError } from "../core/errors.js";
import { costOf } from "../catalog/prices.js";
import type { Principal } from "../policy/auth.js";
import { fromReported, NO_USAGE } from "../pipeline/account.js";
import { timeoutsFor } from "../pipeline/attempts.js";
import { reserveChat, reserveEmbeddings, settleBudget } from "../pipeline/budget.js";
import { parseChatRequest } from "../pipeline/chat.js";
import type { RequestContext, Runtime } from "../pipeline/context.js";
import { parseEmbeddingsRequest } from "../pipeline/embeddings.js";
import type { BatchLine, NativeBatchApi, NativeBatchResult, NativeBatchState } from "../providers/batch.js";
import type { CallOptions } from "../providers/types.js";
import { sql } from "../store/kysely.js";
import { failPendingLines, pendingLines, type BatchRow } from "../store/repos/batches.js";
import { insertUsageRecords } from "../usage/ledger.js";
import { ZERO_COST, type UsageRecord } from "../usage/types.js";
import { failUnrun, finishBatch } from "./finish.js";
import type { InputLine } from "./input.js";
import { lineContext, lineRequestId } from "./line.js";
import { answeredLine, failedLine, unrunLine } from "./objects.js";

/** The lease owner of a native batch between two polls. */
const NATIVE_WAIT = "native-poll";

/** What the batch row's `native` column holds. */
export interface NativeRef {
  provider: string;
  id: string;
  /** The gateway asked the provider to cancel. */
  cancelSent?: boolean;
}

/** A batch ready to go native: its provider and its lines with the upstream model. */
export interface NativePlan {
  provider: string;
  api: NativeBatchApi;
  lines: BatchLine[];
  /** Per line: the requested model and the deployment's model. */
  models: Array<{ requested: string; upstream: string }>;
}

/** The native plan of a batch's lines, or null when it runs through the gateway. */
export function nativePlan(rt: Runtime, endpoint: "/v1/chat/completions" | "/v1/embeddings", lines: readonly InputLine[]): NativePlan | null {
  let provider: string | undefined;
  let api: NativeBatchApi | undefined;
  const out: BatchLine[] = [];
  const models: NativePlan["models"] = [];
  for (const l of lines) {
    const model = l.body.model as string;
    if (model === "auto") return null;
    let d;
    try {
      d = rt.resolver.resolve(model).deployments[0];
    } catch {
      return null;
    }
    if (!d || (provider !== undefined && d.provider !== provider)) return null;
    if (provider === undefined) {
      api = rt.providers.get(d.provider)?.batch;
      if (!api || !api.endpoints.includes(endpoint)) return null;
      provider = d.provider;
    }
    out.push({ custom_id: l.custom_id, url: endpoint, body: { ...l.body, model: d.model } as unknown as BatchLine["body"] });
    models.push({ requested: model, upstream: d.model });
  }
  return provider && api ? { provider, api, lines: out, models } : null;
}

/** Reservations of native batches submitted by this instance, by batch id then custom_id. */
export class NativeBatches {
  private readonly held = new Map<string, Map<string, RequestContext>>();

  constructor(private readonly rt: Runtime) {}

  /** Lines are reserved at the price they are billed at (see `write`): the provider's batch price. */
  private readonly batchPrice = (provider: string, model: string) => this.rt.pricing.batchLookup(provider, model);

  /**
   * Reserves every line's estimate on the principal's budgets (the pipeline's reservation); one
   * that does not fit gives back the others and refuses the batch (402 budget_exceeded).
   */
  async reserve(batchId: string, p: Principal, plan: NativePlan): Promise<Map<string, RequestContext>> {
    const ctxs = new Map<string, RequestContext>();
    try {
      for (const [i, l] of plan.lines.entries()) {
        const ctx = lineContext(lineRequestId(batchId, i + 1, 1), l.url === "/v1/embeddings" ? "embeddings" : "chat");
        ctx.principal = p;
        ctxs.set(l.custom_id, ctx);
        const d = { provider: plan.provider, model: plan.models[i].upstream, weight: 1, rpm: null, tpm: null };
        if (l.url === "/v1/embeddings") await reserveEmbeddings(this.rt, ctx, parseEmbeddingsRequest(structuredClone(l.body)), [d], this.batchPrice);
        else await reserveChat(this.rt, ctx, parseChatRequest(structuredClone(l.body)), [d], this.batchPrice);
      }
    } catch (e) {
      for (const ctx of ctxs.values()) settleBudget(this.rt, ctx);
      throw e;
    }
    return ctxs;
  }

  hold(batchId: string, ctxs: Map<string, RequestContext>): void {
    this.held.set(batchId, ctxs);
  }

  /**
   * The reservation of a native batch whose reservation this instance does not hold: each
   * pending line's estimate, as at submission. A line that no longer fits (the budget was spent
   * meanwhile) is not reserved: its spend is counted as its result is written.
   */
  private async reserveAgain(b: BatchRow, ref: NativeRef): Promise<Map<string, RequestContext>> {
    const ctxs = new Map<string, RequestContext>();
    if (b.key_hash === null) return ctxs;
    let p: Principal;
    try {
      p = await this.rt.auth.authenticateHash(b.key_hash);
      const known = this.rt.budgets.ensureKnown(p);
      if (known) await known;
    } catch {
      return ctxs; // a revoked key: its lines' spend is still counted as their results are written
    }
    const kind = b.endpoint === "/v1/embeddings" ? "embeddings" : "chat";
    for (let after = 0; ;) {
      const page = await pendingLines(this.rt.store.db, b.id, after, 500);
      if (!page.length) break;
      for (const l of page) {
        after = l.idx;
        const ctx = lineContext(lineRequestId(b.id, l.idx, 1), kind);
        ctx.principal = p;
        const body = { ...l.body, model: this.upstreamModel(String(l.body.model)) };
        const d = { provider: ref.provider, model: body.model, weight: 1, rpm: null, tpm: null };
        try {
          if (kind === "embeddings") await reserveEmbeddings(this.rt, ctx, parseEmbeddingsRequest(body), [d], this.batchPrice);
          else await reserveChat(this.rt, ctx, parseChatRequest(body), [d], this.batchPrice);
          ctxs.set(l.custom_id, ctx);
        } catch (e) {
          settleBudget(this.rt, ctx);
          this.rt.log.warn({ batch: b.id, custom_id: l.custom_id, err: (e as Error).message }, "batches: a native line's estimate could not be reserved again after a restart");
        }
      }
    }
    return ctxs;
  }

  /** Gives back what a batch reserved (its submission failed). */
  release(ctxs: Map<string, RequestContext>): void {
    for (const ctx of ctxs.values()) settleBudget(this.rt, ctx);
  }

  callOptions(provider: string): CallOptions {
    return { timeouts: timeoutsFor(this.rt, lineContext("native", "chat"), provider) };
  }

  /** The runner's handler: polls a native batch until it is over and writes its results. False for a batch run by the gateway. */
  readonly handle = async (b: BatchRow, live: () => boolean): Promise<boolean> => {
    const ref = b.native as unknown as NativeRef | null;
    if (!ref) return false;
    const api = this.rt.providers.get(ref.provider)?.batch;
    const db = this.rt.store.db;
    if (!api) {
      await failPendingLines(db, b.id, (idx, customId) =>
        failedLine(b.id, idx, customId, lineRequestId(b.id, idx, 1), new GatewayError("upstream_error", `provider '${ref.provider}' no longer has a batch API`)),
      );
      await finishBatch(db, b, "completed");
      return true;
    }
    const opts = this.callOptions(ref.provider);
    if (!live()) return true;
    // Submitted before a restart (or by another instance): its pending lines' estimate is reserved
    // again here, so the budget cannot be spent elsewhere while the provider runs them.
    if (!this.held.has(b.id)) this.held.set(b.id, await this.reserveAgain(b, ref));
    const row = await db.selectFrom("batches").select(["status", "native"]).where("id", "=", b.id).executeTakeFirst();
    if (!row || !["in_progress", "finalizing", "cancelling"].includes(row.status)) return true;
    const now = (row.native as unknown as NativeRef | null) ?? ref;
    if (row.status === "cancelling" && !now.cancelSent) {
      await api.cancel(ref.id, opts);
      await db
        .updateTable("batches")
        .set({ native: JSON.stringify({ ...now, cancelSent: true }) })
        .where("id", "=", b.id)
        .execute();
    }
    const state = await api.retrieve(ref.id, opts);
    if (["ended", "cancelled", "expired", "failed"].includes(state.status)) {
      await this.collect(b, ref, api, opts, state);
      return true;
    }
    // Not over yet: no instance holds the batch until the next poll (a lease with no owner that
    // expires then), so native batches waiting on their provider never take the runner's slots.
    await db
      .updateTable("batches")
      .set({ lease_owner: NATIVE_WAIT, lease_until: sql<Date>`now() + ${this.rt.config.batches.pollIntervalMs} * interval '1 millisecond'` })
      .where("id", "=", b.id)
      .execute();
    return true;
  };

  private async collect(b: BatchRow, ref: NativeRef, api: NativeBatchApi, opts: CallOptions, state: NativeBatchState): Promise<void> {
    const db = this.rt.store.db;
    const held = this.held.get(b.id);
    if (state.status !== "failed") {
      for await (const r of api.results(ref.id, opts)) await this.write(b, ref, r, held);
    }
    if (state.status === "failed") {
      const err = new GatewayError("upstream_error", `the provider's batch failed: ${state.error ?? "no reason given"}`);
      await failPendingLines(db, b.id, (idx, customId) => failedLine(b.id, idx, customId, lineRequestId(b.id, idx, 1), err));
    }
    const cur = await db.selectFrom("batches").select("status").where("id", "=", b.id).executeTakeFirst();
    const final = state.status === "cancelled" || cur?.status === "cancelling" ? "cancelled" : state.status === "expired" ? "expired" : "completed";
    if (final !== "completed") await failUnrun(db, b, final === "cancelled" ? "batch_cancelled" : "batch_expired");
    await finishBatch(db, b, final);
    if (held) this.release(held); // lines with no result: nothing spent
    this.held.delete(b.id);
  }

  /**
   * Spend of a result whose reservation this instance does not hold (the batch was submitted
   * before a restart, or by another instance): counted on the key's budgets as it is written.
   */
  private async spend(b: BatchRow, micros: number): Promise<void> {
    if (b.key_hash === null) return;
    try {
      const p = await this.rt.auth.authenticateHash(b.key_hash);
      const known = this.rt.budgets.ensureKnown(p);
      if (known) await known;
      const list = this.rt.budgets.book.applicable(p);
      if (!list.length) return;
      const r = await this.rt.budgets.reserve(list, 0);
      this.rt.budgets.settle(r, micros);
    } catch (e) {
      this.rt.log.warn({ batch: b.id, err: (e as Error).message }, "batches: a native result's spend could not be counted on its budgets (it is in the ledger)");
    }
  }

  /** The model a line was sent upstream as: its route's first deployment's, as at submission. */
  private upstreamModel(requested: string): string {
    try {
      return this.rt.resolver.resolve(requested).deployments[0]?.model ?? requested;
    } catch {
      return requested;
    }
  }

  /** One result: its line's result and its ledger row at the batch price, in one transaction, once. */
  private async write(b: BatchRow, ref: NativeRef, r: NativeBatchResult, held: Map<string, RequestContext> | undefined): Promise<void> {
    const db = this.rt.store.db;
    const line = await db.selectFrom("batch_lines").select(["idx", "body", "state"]).where("batch_id", "=", b.id).where("custom_id", "=", r.custom_id).executeTakeFirst();
    if (!line || line.state !== "pending") return;
    const requestId = lineRequestId(b.id, line.idx, 1);
    const requested = String(line.body.model);
    const usage = r.ok && r.response.usage ? fromReported(r.response.usage as Parameters<typeof fromReported>[0]) : NO_USAGE;
    const model = this.upstreamModel(requested);
    const price = this.rt.pricing.batchLookup(ref.provider, model);
    const c = price ? costOf(price.price, usage) : undefined;
    const cost = c
      ? { inputMicros: c.inputMicros, cachedMicros: c.cachedInputMicros, cacheWriteMicros: c.cacheWriteMicros, outputMicros: c.outputMicros + c.reasoningMicros, totalMicros: c.totalMicros }
      : ZERO_COST;
    const ctx = held?.get(r.custom_id);
    const principal = ctx?.principal;
    let text: string;
    let state: "done" | "failed";
    if (r.ok) {
      text = answeredLine(b.id, line.idx, r.custom_id, 200, requestId, r.response);
      state = "done";
    } else if (r.status === 0) {
      text = unrunLine(b.id, line.idx, r.custom_id, r.error.code === "batch_expired" ? "batch_expired" : "batch_cancelled");
      state = "failed";
    } else {
      const err = toGatewayError(new GatewayError(r.status === 429 ? "rate_limit_exceeded" : r.status >= 500 ? "upstream_error" : "invalid_request", r.error.message));
      text = failedLine(b.id, line.idx, r.custom_id, requestId, err);
      state = "failed";
    }
    const ran = r.ok || r.status !== 0;
    const rows: UsageRecord[] = ran
      ? [
          {
            requestId,
            attempt: 1,
            createdAt: new Date(),
            requestedModel: requested,
            provider: ref.provider,
            model,
            endpoint: b.endpoint === "/v1/embeddings" ? "embeddings" : "chat",
            status: r.ok ? 200 : r.status,
            errorCode: r.ok ? null : (r.error.code ?? r.error.type ?? "upstream_error"),
            promptTokens: usage.promptTokens,
            completionTokens: usage.completionTokens,
            totalTokens: usage.promptTokens + usage.completionTokens,
            usageEstimated: false,
            streamed: false,
            ttftMs: null,
            totalMs: 0,
            overheadMs: 0,
            keyId: b.key_id,
            userId: principal?.userId ?? null,
            teamId: principal?.teamId ?? null,
            cachedTokens: usage.cachedTokens,
            cacheWriteTokens: usage.cacheWriteTokens,
            reasoningTokens: usage.reasoningTokens,
            cost,
            priceVersion: price?.version ?? null,
            receipt: { batch: { id: b.id, custom_id: r.custom_id, native: { provider: ref.provider, id: ref.id } } },
          },
        ]
      : [];
    let kept = false;
    try {
      kept = await db.transaction().execute(async (trx) => {
        const u = await trx
          .updateTable("batch_lines")
          .set({ state, result: text, runs: 1, updated_at: new Date() })
          .where("batch_id", "=", b.id)
          .where("idx", "=", line.idx)
          .where("state", "=", "pending")
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) === 0) return false;
        if (rows.length) await insertUsageRecords(trx, rows);
        await trx
          .updateTable("batches")
          .set(state === "done" ? { completed: sql<number>`completed + 1` } : { failed: sql<number>`failed + 1` })
          .where("id", "=", b.id)
          .execute();
        return true;
      });
    } finally {
      if (ctx) {
        ctx.costMicros = kept ? cost.totalMicros : 0;
        settleBudget(this.rt, ctx);
        held!.delete(r.custom_id);
      }
    }
    if (!ctx && kept && cost.totalMicros > 0) await this.spend(b, cost.totalMicros);
  }
}

/**
 * Runs gateway-run batches: each instance looks for open batches every `batches.poll_interval_ms`
 * (and at once when one is created here), takes one by its lease row (`claimBatch`: free or
 * expired leases only, `FOR UPDATE SKIP LOCKED`), renews the lease while it runs it, and runs its
 * pending lines at most `batches.concurrency` at a time across all its batches. A line's result
 * and its ledger rows are written in one transaction, conditional on the line still being
 * pending at the run it started from: a line is never billed twice, even when a stalled
 * instance's lease was taken over and both ran it.
 */
import { randomUUID } from "node:crypto";
import { Cancellation } from "../core/cancel.js";
import type { GatewayError } from "../core/errors.js";
import type { Runtime } from "../pipeline/context.js";
import { settleBudget } from "../pipeline/budget.js";
import { finishLimits } from "../pipeline/limits.js";
import { claimBatch, failPendingLines, pendingLines, releaseLease, renewLease, type BatchLineRow, type BatchRow } from "../store/repos/batches.js";
import { sql } from "../store/kysely.js";
import { insertUsageRecords } from "../usage/ledger.js";
import { failUnrun, finishBatch } from "./finish.js";
import { runLine, type LineRun } from "./line.js";
import { failedLine } from "./objects.js";
import { Slots, sleep } from "./slots.js";

/** How a running batch stands, as this instance knows it. */
interface Running {
  row: BatchRow;
  /** Cancelled through this instance, or seen cancelling at a commit. */
  cancelling: boolean;
  /** The lease went to another instance. */
  lost: boolean;
  /** The end of the completion window (ms), as last read. */
  expiresAt: number;
  /** The batch's key no longer authenticates: once the lines in flight end, the rest fail with this line's error. */
  stop?: { error: GatewayError; requestId: string };
}

/** Something other than a batch's own lines: a batch handled natively by its provider (native.ts). */
export type NativeHandler = (b: BatchRow, isLive: () => boolean) => Promise<boolean>;

export class BatchRunner {
  readonly owner = randomUUID();
  private readonly slots: Slots;
  private readonly running = new Map<string, Running>();
  private readonly signal = new Cancellation();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private closed = false;
  /** Set by the gateway: the poller of native batches (native.ts); returns true when it took the batch. */
  native: NativeHandler | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly log: (line: string) => void,
  ) {
    this.slots = new Slots(rt.config.batches.concurrency);
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.rt.config.batches.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for batches to run now (a batch was just created here). */
  kick(): void {
    if (this.closed || this.ticking) return;
    this.ticking = this.claimAll()
      .catch((e) => this.log(`batches: looking for batches failed: ${(e as Error).message}`))
      .finally(() => (this.ticking = null));
  }

  /** A batch cancelled through this instance: no new line of it starts here. */
  cancelled(id: string): void {
    const r = this.running.get(id);
    if (r) r.cancelling = true;
    this.kick();
  }

  /** Stops claiming and starting lines; waits up to `ms` for lines in flight, then cuts them (they stay pending, unbilled). */
  async close(ms = 5000): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const runs = [...this.running.values()].map((r) => r.row.id);
    const idle = Promise.all([this.ticking, ...this.inFlight]).then(() => true);
    if (!(await Promise.race([idle, sleep(ms).then(() => false)]))) this.signal.cancel(new Error("the gateway is shutting down"));
    await Promise.allSettled(this.inFlight);
    await Promise.allSettled(runs.map((id) => releaseLease(this.rt.store.db, id, this.owner)));
  }

  private readonly inFlight = new Set<Promise<void>>();

  private async claimAll(): Promise<void> {
    const { leaseMs, concurrency } = this.rt.config.batches;
    while (!this.closed && this.running.size < concurrency) {
      const b = await claimBatch(this.rt.store.db, this.owner, leaseMs, [...this.running.keys()]);
      if (!b) return;
      const r: Running = { row: b, cancelling: b.status === "cancelling", lost: false, expiresAt: b.expires_at.getTime() };
      this.running.set(b.id, r);
      const p = this.runBatch(r)
        .catch((e) => this.log(`batches: batch ${b.id}: ${(e as Error).message}`))
        .finally(() => {
          this.running.delete(b.id);
          this.inFlight.delete(p);
        });
      this.inFlight.add(p);
    }
  }

  private async runBatch(r: Running): Promise<void> {
    const db = this.rt.store.db;
    const { leaseMs } = this.rt.config.batches;
    const renew = setInterval(() => {
      renewLease(db, r.row.id, this.owner, leaseMs).then(
        (ok) => void (ok || (r.lost = true)),
        () => {},
      );
    }, leaseMs / 3);
    const live = () => !this.closed && !r.lost;
    try {
      if (this.native && (await this.native(r.row, live))) return;
      const lines = new Set<Promise<void>>();
      let last = -1;
      while (live()) {
        const now = await db.selectFrom("batches").select(["status", "expires_at"]).where("id", "=", r.row.id).executeTakeFirst();
        if (!now || !["in_progress", "finalizing", "cancelling"].includes(now.status)) return;
        if (now.status === "cancelling") r.cancelling = true;
        r.expiresAt = now.expires_at.getTime();
        const expired = r.expiresAt <= Date.now();
        if (r.cancelling || expired || r.stop || now.status === "finalizing") {
          await Promise.allSettled(lines);
          if (!live()) return;
          if (r.cancelling || expired) await failUnrun(db, r.row, r.cancelling ? "batch_cancelled" : "batch_expired");
          else if (r.stop) await failStopped(db, r.row.id, r.stop);
          await finishBatch(db, r.row, r.cancelling ? "cancelled" : expired ? "expired" : "completed");
          return;
        }
        const page = await pendingLines(db, r.row.id, last, Math.max(16, 2 * this.rt.config.batches.concurrency));
        if (page.length === 0) {
          if (lines.size) {
            await Promise.race(lines);
            continue;
          }
          if (last >= 0) {
            last = -1; // a second look from the start: a line whose write failed is pending again
            continue;
          }
          await finishBatch(db, r.row, "completed");
          return;
        }
        for (const line of page) {
          await this.slots.acquire();
          if (!live() || r.cancelling || r.stop || r.expiresAt <= Date.now()) {
            this.slots.release();
            break;
          }
          last = line.idx;
          const p = this.runWhole(r, line).finally(() => {
            this.slots.release();
            lines.delete(p);
          });
          lines.add(p);
        }
      }
      await Promise.allSettled(lines);
    } finally {
      clearInterval(renew);
      if (!r.lost) await releaseLease(db, r.row.id, this.owner).catch(() => {});
    }
  }

  /** One line to its end: run, and again while a rate limit refuses it (after its Retry-After). */
  private async runWhole(r: Running, line: BatchLineRow): Promise<void> {
    let runs = line.runs;
    try {
      while (!this.closed && !r.lost) {
        const run = await runLine(
          this.rt,
          { batchId: r.row.id, endpoint: r.row.endpoint, keyHash: r.row.key_hash, idx: line.idx, customId: line.custom_id, body: line.body, run: runs + 1 },
          this.signal,
        );
        if (this.signal.aborted) return release(this.rt, run, false); // cut by the shutdown: stays pending, billed by its next run
        const kept = await this.commit(r, line, runs, run);
        runs++;
        if (!kept || run.outcome.kind !== "retry") return;
        await sleep(run.outcome.afterMs);
        // Ended meanwhile: the line stays pending, and the batch's end fails it as cancelled, expired or stopped.
        if (r.cancelling || r.stop || r.expiresAt <= Date.now()) return;
      }
    } catch (e) {
      this.log(`batches: line ${line.idx} of ${r.row.id}: ${(e as Error).message}`);
      await sleep(this.rt.config.batches.pollIntervalMs);
    }
  }

  /**
   * Writes the run's ledger rows with its outcome in one transaction, if the line is still where
   * this run found it; then settles the run's reservation to what was written (nothing if not).
   */
  private async commit(r: Running, line: BatchLineRow, runs: number, run: LineRun): Promise<boolean> {
    const db = this.rt.store.db;
    const o = run.outcome;
    let kept = false;
    try {
      kept = await db.transaction().execute(async (trx) => {
        if (run.rows.length) await insertUsageRecords(trx, run.rows);
        const state = o.kind === "finished" ? o.state : o.kind === "stop" ? "failed" : "pending";
        const result = o.kind === "finished" ? o.text : o.kind === "stop" ? failedLine(r.row.id, line.idx, line.custom_id, run.requestId, o.error) : null;
        const u = await trx
          .updateTable("batch_lines")
          .set({ state, result, runs: runs + 1, updated_at: new Date() })
          .where("batch_id", "=", line.batch_id)
          .where("idx", "=", line.idx)
          .where("state", "=", "pending")
          .where("runs", "=", runs)
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) === 0) throw new Superseded();
        if (state === "pending") return true;
        const b = await trx
          .updateTable("batches")
          .set(state === "done" ? { completed: sql<number>`completed + 1` } : { failed: sql<number>`failed + 1` })
          .where("id", "=", line.batch_id)
          .returning(["status", "expires_at"])
          .executeTakeFirst();
        if (b?.status === "cancelling") r.cancelling = true;
        if (b) r.expiresAt = b.expires_at.getTime();
        return true;
      });
    } catch (e) {
      if (!(e instanceof Superseded)) {
        release(this.rt, run, false);
        throw e;
      }
    }
    release(this.rt, run, kept);
    if (kept && o.kind === "stop") r.stop = { error: o.error, requestId: run.requestId };
    return kept;
  }
}

class Superseded extends Error {}

/** The key no longer authenticates: the lines not run yet fail as the line that found it did. */
function failStopped(db: Runtime["store"]["db"], batchId: string, stop: NonNullable<Running["stop"]>): Promise<number> {
  return failPendingLines(db, batchId, (idx, customId) => failedLine(batchId, idx, customId, stop.requestId, stop.error));
}

/** Settles the run's reservation to what its written rows cost (nothing when none were written) and ends its limits' count. */
function release(rt: Runtime, run: LineRun, written: boolean): void {
  if (!written) run.ctx.costMicros = 0;
  settleBudget(rt, run.ctx);
  finishLimits(rt, run.ctx);
}

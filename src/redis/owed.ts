/**
 * What an instance counted on its own while Redis did not answer (`limits.redis_failure: open`),
 * owed to Redis: a Redis that stopped answering without losing its data (paused, overloaded, cut
 * off by the network) would otherwise come back without those counts, and every instance would
 * count from a figure short of them. The counts are summed per Redis key and lead the batches
 * (ahead of the requests judged in them) until Redis answers for them: while Redis does not answer
 * in time, each sum is sent once (that attempt runs when Redis reads again, ahead of what follows
 * it); once it answers, again until counted. Each sum is sent under a mark key of its own that
 * the operation sets once (`SET NX`, kept a day), so a sum sent again after an unanswered attempt
 * that Redis ran later counts once. Each sum names the data it is owed to (the link's `epoch`),
 * so an operation can tell a Redis that has lost that data since (budgets drop such a sum: what
 * replaced the data is seeded from the ledger, which has it). A batch that cannot leave does not
 * carry them (`carry: false`): their owner sends them again, and the link's room for carried ends
 * of requests stays theirs.
 */
import { randomUUID } from "node:crypto";
import type { RedisLink } from "./link.js";

/** Unanswered sums are sent again after this long (or as soon as Redis is heard answering again). */
const RETRY_MS = 1000;
/** How long Redis keeps the mark of a sum it counted (well beyond any retry). */
export const OWED_MARK_MS = 86_400_000;

interface Sum<C> {
  key: string;
  context: C;
  /** The data Redis held when these were counted alone (`EPOCH_KEY`; "" if this instance never learnt it). */
  epoch: string;
  /** Counted since the sum being sent was fixed. */
  pending: number[];
  /** A sum fixed under its mark key, sent until Redis answers for it. */
  sending?: { mark: string; amounts: number[]; inFlight: boolean; whileDegraded: boolean };
}

/**
 * Sums owed to Redis, per key. `send` runs the operation that adds `amounts` to `key` once per
 * `mark` (through `link.call` with `carry: false`, so it rides the batch being sent).
 */
export class OwedCounts<C> {
  private readonly sums = new Map<string, Sum<C>>();
  private readonly prefix = `switchboard:owed:${randomUUID()}:`;
  private marks = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly send: (key: string, context: C, mark: string, amounts: readonly number[], epoch: string) => Promise<unknown>,
  ) {
    link.beforeSend(() => {
      if (this.sums.size) this.sendAll();
    });
    link.onChange((degraded) => {
      if (!degraded && this.sums.size) link.wake();
    });
  }

  /** Sums not yet counted in Redis (for tests and shutdown). */
  get size(): number {
    return this.sums.size;
  }

  /** Owes `amounts` (added element by element) on `key`, to the data Redis holds as far as this instance knows. */
  add(key: string, context: C, amounts: readonly number[]): void {
    const epoch = this.link.epoch ?? "";
    const id = `${epoch} ${key}`;
    let s = this.sums.get(id);
    if (!s) this.sums.set(id, (s = { key, context, epoch, pending: amounts.map(() => 0) }));
    else s.context = context;
    amounts.forEach((v, i) => (s.pending[i] += v));
    if (this.link.ready) this.link.wake();
  }

  /** Resolves once every sum is counted in Redis, or after at most `ms` (at shutdown). */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.sums.size && Date.now() < deadline && this.link.ready) {
      this.link.wake();
      await new Promise((r) => setTimeout(r, 10));
    }
    clearTimeout(this.retry);
  }

  private sendAll(): void {
    if (!this.link.ready) return;
    for (const [id, s] of this.sums) {
      if (!s.sending && s.pending.some((v) => v !== 0)) {
        s.sending = { mark: `${this.prefix}${++this.marks}`, amounts: s.pending, inFlight: false, whileDegraded: false };
        s.pending = s.pending.map(() => 0);
      }
      const sending = s.sending;
      if (!sending) {
        this.sums.delete(id);
        continue;
      }
      // Once while Redis does not answer in time: sending it again meanwhile would only fill a
      // socket Redis is not reading.
      if (sending.inFlight || (this.link.degraded && sending.whileDegraded)) continue;
      sending.inFlight = true;
      sending.whileDegraded = this.link.degraded;
      this.send(s.key, s.context, sending.mark, sending.amounts, s.epoch).then(
        () => {
          s.sending = undefined;
          if (s.pending.every((v) => v === 0)) this.sums.delete(id);
          else this.link.wake();
        },
        () => {
          sending.inFlight = false;
          // Once Redis answers again the link's change wakes this; otherwise (an operation that failed) in a while.
          if (!this.link.degraded) this.retryLater();
        },
      );
    }
  }

  private retryLater(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.sums.size) this.link.wake();
    }, RETRY_MS);
    this.retry.unref();
  }
}

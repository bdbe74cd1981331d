/**
 * How the fake providers "run" a batch (fake-openai-batch.ts, fake-anthropic-batch.ts): after
 * `startAfterMs` the lines are answered one by one, in order, `lineDelayMs` apart, each by the
 * fake's usual answer for that request. A cancel stops it between lines (the lines not run end
 * "cancelled"); `expireAfterLines` ends it as expired after that many lines. Deterministic: the
 * same lines and options give the same outcomes in the same order.
 */

export interface FakeBatchOptions {
  /** Wait before the first line runs (the batch is still validating / queued meanwhile). Default 0. */
  startAfterMs?: number;
  /** Wait before each line. Default 0. */
  lineDelayMs?: number;
  /** Lines answered with this HTTP error instead of the usual answer, by custom_id. */
  lineErrors?: Record<string, { status: number; message?: string }>;
  /** The batch expires once this many lines have run (the others end "expired"). */
  expireAfterLines?: number;
}

export type Outcome<R> =
  { custom_id: string; kind: "answered"; answer: R } | { custom_id: string; kind: "error"; status: number; message: string } | { custom_id: string; kind: "cancelled" | "expired" };

export class FakeBatchRun<L extends { custom_id: string }, R> {
  state: "queued" | "running" | "cancelling" | "ended" = "queued";
  endedBy: "completed" | "cancelled" | "expired" | null = null;
  readonly outcomes: Outcome<R>[] = [];
  readonly startedAt = Math.floor(Date.now() / 1000);
  runningAt: number | null = null;
  endedAt: number | null = null;
  cancelledAt: number | null = null;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly lines: L[],
    private readonly answer: (line: L) => R,
    private readonly o: FakeBatchOptions = {},
  ) {
    void this.run();
  }

  /** Asks the run to stop; it ends "cancelled" at the next line boundary. */
  cancel(): void {
    if (this.state === "ended" || this.state === "cancelling") return;
    this.state = "cancelling";
    this.cancelledAt = Math.floor(Date.now() / 1000);
    this.wake?.();
  }

  /** Stops the timers for good (the fake is closing). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  get counts(): { done: number; succeeded: number; errored: number; cancelled: number; expired: number } {
    const c = { done: this.outcomes.length, succeeded: 0, errored: 0, cancelled: 0, expired: 0 };
    for (const o of this.outcomes) {
      if (o.kind === "answered") c.succeeded++;
      else if (o.kind === "error") c.errored++;
      else if (o.kind === "cancelled") c.cancelled++;
      else c.expired++;
    }
    return c;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.timer) clearTimeout(this.timer);
        this.wake = null;
        resolve();
      };
      this.timer = setTimeout(() => this.wake?.(), ms);
      this.timer.unref();
    });
  }

  private async run(): Promise<void> {
    await this.sleep(this.o.startAfterMs ?? 0);
    if (this.stopped) return;
    if (this.state === "queued") {
      this.state = "running";
      this.runningAt = Math.floor(Date.now() / 1000);
    }
    for (const line of this.lines) {
      if (this.state === "running") await this.sleep(this.o.lineDelayMs ?? 0);
      if (this.stopped) return;
      if (this.state === "cancelling") this.outcomes.push({ custom_id: line.custom_id, kind: "cancelled" });
      else if (this.o.expireAfterLines !== undefined && this.outcomes.length >= this.o.expireAfterLines) this.outcomes.push({ custom_id: line.custom_id, kind: "expired" });
      else {
        const e = this.o.lineErrors?.[line.custom_id];
        if (e) this.outcomes.push({ custom_id: line.custom_id, kind: "error", status: e.status, message: e.message ?? `Fake line error ${e.status}` });
        else this.outcomes.push({ custom_id: line.custom_id, kind: "answered", answer: this.answer(line) });
      }
    }
    this.endedBy = this.state === "cancelling" ? "cancelled" : this.outcomes.some((o) => o.kind === "expired") ? "expired" : "completed";
    this.state = "ended";
    this.endedAt = Math.floor(Date.now() / 1000);
  }
}

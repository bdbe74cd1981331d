/**
 * Retention (`logging.retention_days`, default 30): a background job deletes what the gateway
 * keeps for a limited time once it is older than that many days: stored Responses API answers
 * (`responses`) and stored request content (`request_content`), one task each. It runs shortly
 * after start-up and then every hour; each run deletes by `created_at` against the clock it is
 * given (tests pass their own "now").
 */
export interface RetentionTask {
  /** What is deleted, for the log line. */
  name: string;
  /** Deletes the rows created before `cutoff`; how many. */
  purge(cutoff: Date): Promise<number>;
}

export interface RetentionOptions {
  days: number;
  now?: () => number;
  /** Between runs; default one hour. */
  intervalMs?: number;
  /** The first run, after start(); default 10 s (not on the start-up path). */
  firstRunMs?: number;
  log?: (line: string) => void;
}

const DAY_MS = 86_400_000;

export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly tasks: readonly RetentionTask[],
    private readonly opts: RetentionOptions,
  ) {}

  /** The moment before which rows are deleted. */
  cutoff(): Date {
    return new Date((this.opts.now ?? Date.now)() - this.opts.days * DAY_MS);
  }

  /** One run over every task; a task that fails is logged and the others still run. */
  async runOnce(): Promise<Record<string, number>> {
    const cutoff = this.cutoff();
    const deleted: Record<string, number> = {};
    for (const t of this.tasks) {
      try {
        deleted[t.name] = await t.purge(cutoff);
        if (deleted[t.name] > 0) this.opts.log?.(`retention: deleted ${deleted[t.name]} ${t.name} older than ${this.opts.days} days`);
      } catch (e) {
        this.opts.log?.(`retention: deleting old ${t.name} failed: ${(e as Error).message}`);
      }
    }
    return deleted;
  }

  start(): void {
    const schedule = (ms: number) => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.runOnce().finally(() => schedule(this.opts.intervalMs ?? 3_600_000));
      }, ms);
      this.timer.unref();
    };
    schedule(this.opts.firstRunMs ?? 10_000);
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

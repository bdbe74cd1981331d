/**
 * A start-up that can be given up: each resource started registers how to undo it, each awaited
 * step ends early when the start is cancelled (a signal), and a failed or cancelled start undoes
 * what it started, in reverse order, each undo bounded in time.
 */
import { StartupError } from "../store/data-dir.js";

/** The start was cancelled (by SIGTERM or SIGINT). */
export class StartCancelled extends StartupError {
  constructor() {
    super("start-up cancelled");
  }
}

/** At most this long for each undo (a database that does not answer must not hold the exit). */
const UNDO_MS = 2000;

export class StartupScope {
  private readonly undos: Array<() => unknown> = [];
  private readonly cancelled: Promise<never> | null;

  constructor(private readonly signal?: AbortSignal) {
    this.cancelled = signal
      ? new Promise<never>((_, reject) => {
          if (signal.aborted) reject(new StartCancelled());
          else signal.addEventListener("abort", () => reject(new StartCancelled()), { once: true });
        })
      : null;
    this.cancelled?.catch(() => {}); // observed by step(); never an unhandled rejection
  }

  /** Registers how to undo something started; run by `unwind()` in reverse order. */
  defer(undo: () => unknown): void {
    this.undos.push(undo);
  }

  /**
   * Awaits `work` unless the start is cancelled first; then what `work` yields later is undone
   * with `undo` (and its failure ignored).
   */
  async step<T>(work: Promise<T>, undo?: (value: T) => unknown): Promise<T> {
    if (this.signal?.aborted) {
      work.then(
        (v) => undo?.(v),
        () => {},
      );
      throw new StartCancelled();
    }
    if (!this.cancelled) return work;
    let lost = false;
    try {
      return await Promise.race([work, this.cancelled]);
    } catch (e) {
      if (e instanceof StartCancelled) lost = true;
      throw e;
    } finally {
      if (lost)
        work.then(
          (v) => undo?.(v),
          () => {},
        );
    }
  }

  /** Undoes everything registered, newest first; never rejects. */
  async unwind(): Promise<void> {
    for (const undo of this.undos.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.resolve()
          .then(undo)
          .catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, UNDO_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
  }
}

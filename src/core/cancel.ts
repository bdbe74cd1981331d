/**
 * A cancellation signal that costs almost nothing when it never fires — the common case for
 * requests. It has the part of AbortSignal's interface the gateway uses, so a real AbortSignal
 * (library callers) works wherever a CancelSignal is expected.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export class Cancellation implements CancelSignal {
  aborted = false;
  /** Set when cancelled (AbortSignal has it too; undici reports it as the request's error). */
  reason: Error | undefined;
  private listeners: Array<() => void> | null = null;

  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const l = this.listeners;
    if (!l) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  cancel(reason?: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new Error("cancelled");
    const l = this.listeners;
    this.listeners = null;
    if (l) for (const fn of l) fn();
  }
}

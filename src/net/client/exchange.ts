/**
 * One upstream HTTP exchange, as the client's handler (./client.ts): the status when the
 * response starts, then the body either whole (`text()`) or as the reads queued so far
 * (`take()`, and `readable()` to wait for more), with backpressure. The body held at once is
 * bounded: a body read whole that is longer than `maxBodyBytes` fails the exchange
 * (UPSTREAM_RESPONSE_TOO_LARGE) and closes its connection; a body read chunk by chunk never
 * has more than ~64 KiB waiting here (its events are bounded by the stream readers).
 *
 * No Node `Readable` is involved (a stream, its state and several event-loop hops per call):
 * the gateway only ever reads a body whole or chunk by chunk, which this does with a list.
 */
import type { CancelSignal } from "../../core/cancel.js";
import type { ExchangeHandler } from "./transport.js";
import { ClientError, type UpstreamHead } from "./http1.js";

/** Bytes queued before the upstream socket is paused while a stream consumer catches up. */
const HIGH_WATER_BYTES = 64 * 1024;

type ResponseHeaders = Record<string, string | string[] | undefined>;

export class UpstreamExchange implements ExchangeHandler {
  statusCode = 0;
  /** Resolves once the status line and headers have arrived; rejects if the exchange fails before. */
  readonly response: Promise<UpstreamExchange>;

  private head: UpstreamHead | null = null;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  /** `ended` and `failure` exclude each other: whichever comes first wins. */
  private ended = false;
  private failure: Error | null = null;
  private buffering = false;
  private abortFn: ((err: Error) => void) | null = null;
  private resumeFn: (() => void) | null = null;
  private paused = false;
  private waiter: (() => void) | null = null;
  private settle!: { resolve: (x: UpstreamExchange) => void; reject: (e: Error) => void };

  /** `maxBodyBytes`: the most body bytes held at once (a whole body read with text()). */
  constructor(
    private readonly signal: CancelSignal & { reason?: Error },
    private readonly maxBodyBytes = Number.MAX_SAFE_INTEGER,
  ) {
    this.response = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    signal.addEventListener("abort", () => this.abort(signal.reason));
  }

  /** The response headers (parsed on first use: most calls never read them). */
  get headers(): ResponseHeaders {
    return this.head?.headers ?? {};
  }

  /** True once the whole body has arrived (or the exchange failed). */
  get finished(): boolean {
    return this.ended || this.failure !== null;
  }

  /** The whole body as UTF-8 text (a leading byte-order mark dropped). */
  async text(): Promise<string> {
    this.buffering = true;
    if (this.queuedBytes > this.maxBodyBytes) {
      // What arrived before text() was called is already too long (even if complete).
      const err = this.tooLarge();
      if (this.ended) throw err;
    }
    this.resume();
    while (!this.ended) {
      if (this.failure) throw this.failure;
      await this.wait();
    }
    const q = this.queue;
    const s = q.length === 1 ? q[0].toString("utf8") : Buffer.concat(q, this.queuedBytes).toString("utf8");
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }

  /** The body chunks that have arrived and not been taken yet, or null if none has. */
  take(): Buffer[] | null {
    if (this.queue.length === 0) return null;
    const q = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.resume();
    return q;
  }

  /** The whole body has arrived (and nothing went wrong). */
  get complete(): boolean {
    return this.ended;
  }

  /** Resolves when more of the body can be taken or it is complete; rejects with the exchange's failure. */
  async readable(): Promise<void> {
    for (;;) {
      if (this.queue.length || this.ended) return;
      if (this.failure) throw this.failure;
      await this.wait();
    }
  }

  /** Stops the exchange (no-op once it has finished); the connection is closed, not reused. */
  abort(reason?: Error): void {
    if (this.finished) return;
    const err = reason ?? new Error("upstream exchange aborted");
    this.queue = [];
    this.queuedBytes = 0;
    if (this.abortFn) this.abortFn(err);
    else this.fail(err);
  }

  // --- the client's handler interface

  onConnect(abort: (err: Error) => void): void {
    if (this.failure || this.signal.aborted) abort(this.failure ?? this.signal.reason ?? new Error("cancelled"));
    else this.abortFn = abort;
  }

  onHeaders(head: UpstreamHead, resume: () => void): void {
    this.statusCode = head.statusCode;
    this.head = head;
    this.resumeFn = resume;
    this.settle.resolve(this);
  }

  onData(chunk: Buffer): boolean {
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.buffering && this.queuedBytes > this.maxBodyBytes) {
      this.tooLarge();
      return false;
    }
    this.wake();
    if (this.buffering || this.queuedBytes < HIGH_WATER_BYTES) return true;
    this.paused = true;
    return false;
  }

  onComplete(): void {
    if (this.failure) return;
    this.ended = true;
    this.wake();
  }

  onError(err: Error): void {
    this.fail(err);
  }

  // --- internals

  /** Fails the exchange (and closes its connection) for a body past the bound; the error. */
  private tooLarge(): ClientError {
    const err = new ClientError("UPSTREAM_RESPONSE_TOO_LARGE", `upstream response body exceeds ${this.maxBodyBytes} bytes`);
    this.abort(err);
    return err;
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.failure = err;
    if (this.statusCode === 0) this.settle.reject(err); // the response has not started
    this.wake();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeFn?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private wake(): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w();
    }
  }
}

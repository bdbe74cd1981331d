/**
 * Native pass-through calls (`Provider.native`): a client's request in an API the provider speaks
 * itself (see docs/architecture.md, "Native pass-through") sent upstream as the adapter's
 * NativeWire builds it, over the same transport, timers, cancellation and bounds as every other
 * call (./http.ts). The answer's body text is kept as it came, for relaying byte for byte; a
 * stream's events are handed out as they come, parsed by the adapter only for usage and errors.
 */
import { GatewayError } from "../core/errors.js";
import type { UpstreamExchange } from "../net/client/exchange.js";
import { AwsEventReader } from "./streams/aws-eventstream.js";
import { SseReader, type WireEvent } from "./streams/sse.js";
import type { CallOptions, NativeAnswer, NativeApi, NativeCalls, NativeEvent, NativeRequest, NativeStream, NativeStreamState, NativeWire, UpstreamRequest, WireAdapter } from "./types.js";

/** What ./http.ts gives a native call: its timers and cancellation (CallControl). */
export interface CallHandle {
  firstToken(): void;
  done(): void;
  cancel(): void;
  translate(e: unknown): GatewayError;
}

export interface NativeTransport<C extends CallHandle> {
  id: string;
  newCall(opts: CallOptions, streaming: boolean): C;
  send(up: UpstreamRequest, opts: CallOptions, call: C): Promise<UpstreamExchange>;
  maxEventBytes: number;
}

/** `Provider.native` for an adapter that declares native APIs. */
export function nativeCalls<C extends CallHandle>(adapter: WireAdapter, t: NativeTransport<C>): NativeCalls {
  const wires = adapter.native ?? {};
  const wireOf = (api: NativeApi, model: string): NativeWire => {
    const w = wires[api];
    if (!w || !w.accepts(model)) throw new GatewayError("invalid_request", `provider ${t.id} does not serve ${model} natively`, { param: "model" });
    return w;
  };
  const errorOf = (w: NativeWire, status: number, text: string, headers: Record<string, string | string[] | undefined>) =>
    w.error ? w.error(status, text, headers) : adapter.error(status, text, headers);

  return {
    speaks: (api, model) => wires[api]?.accepts(model) === true,

    async call(api: NativeApi, req: NativeRequest, opts: CallOptions): Promise<NativeAnswer> {
      const w = wireOf(api, req.model);
      const call = t.newCall(opts, false);
      try {
        const res = await t.send(w.request({ ...req, stream: false }), opts, call);
        const text = await res.text();
        if (res.statusCode >= 300) throw errorOf(w, res.statusCode, text, res.headers);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new GatewayError("upstream_error", `${t.id} returned a response that is not JSON`, { retryable: false });
        }
        return { text, body, usage: w.usage(body) };
      } catch (e) {
        throw call.translate(e);
      } finally {
        call.done();
      }
    },

    async stream(api: NativeApi, req: NativeRequest, opts: CallOptions): Promise<NativeStream> {
      const w = wireOf(api, req.model);
      const call = t.newCall(opts, true);
      let res: UpstreamExchange;
      try {
        res = await t.send(w.request({ ...req, stream: true }), opts, call);
        if (res.statusCode >= 300) throw errorOf(w, res.statusCode, await res.text(), res.headers);
      } catch (e) {
        call.done();
        throw call.translate(e);
      }
      const format = w.streamFormat ?? adapter.streamFormat;
      const reader = format === "aws-eventstream" ? new AwsEventReader(t.maxEventBytes) : new SseReader(t.maxEventBytes);
      const it = new NativeEvents(res, reader, w, call);
      return { state: it.state, [Symbol.asyncIterator]: () => it, cancel: () => call.cancel() };
    },
  };
}

const DONE: IteratorResult<NativeEvent> = Object.freeze({ done: true, value: undefined });

/**
 * The events of one native stream, decoded a body read at a time. Whatever way it ends (the
 * last event, a failure, or the consumer stopping early) it releases the call once. A stream
 * that ends before the adapter saw its end fails as `upstream_error` (after the events before).
 */
class NativeEvents implements AsyncIterator<NativeEvent> {
  readonly state: NativeStreamState = { data: {} };
  private ready: NativeEvent[] = [];
  private index = 0;
  private finished = false;
  private ended = false;
  private pending: GatewayError | null = null;

  constructor(
    private readonly res: UpstreamExchange,
    private readonly reader: SseReader | AwsEventReader,
    private readonly wire: NativeWire,
    private readonly call: CallHandle,
  ) {}

  async next(): Promise<IteratorResult<NativeEvent>> {
    try {
      for (;;) {
        if (this.index < this.ready.length) return { done: false, value: this.ready[this.index++] };
        if (this.finished) {
          const e = this.pending;
          this.pending = null;
          if (e) throw e;
          return DONE;
        }
        const bytes = this.res.take();
        if (bytes) {
          this.fill(bytes.flatMap((b) => this.reader.push(b)));
          if (this.ready.length) this.call.firstToken();
        } else if (this.res.complete) {
          this.fill(this.reader.end());
          this.release();
          if (!this.ended && !this.wire.streamComplete(this.state)) this.pending = new GatewayError("upstream_error", "upstream stream ended before it was complete", { retryable: false });
        } else {
          await this.res.readable(); // throws the exchange's failure
        }
      }
    } catch (e) {
      this.release();
      this.ready = [];
      throw this.call.translate(e);
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a throw in release() reaches the caller as a rejection, as the iterator protocol expects
  async return(): Promise<IteratorResult<NativeEvent>> {
    this.release();
    this.ready = [];
    return DONE;
  }

  /** Decodes the events read; an error event's GatewayError is thrown after the events before it. */
  private fill(events: WireEvent[]): void {
    this.ready = [];
    this.index = 0;
    if (this.ended) return; // later events are read to the end of the body, not relayed
    for (const ev of events) {
      let out: NativeEvent | null | "done";
      try {
        out = this.wire.streamEvent(ev, this.state);
      } catch (e) {
        this.pending = e instanceof GatewayError ? e : new GatewayError("upstream_error", String((e as Error)?.message ?? e), { retryable: false });
        this.ended = true;
        this.release();
        return;
      }
      if (out === "done") {
        this.ended = true;
        return;
      }
      if (out) this.ready.push(out);
    }
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    this.call.done();
    this.res.abort();
  }
}

/**
 * Upstream stream bodies (SSE or AWS event stream) turned into canonical chunks: the decoder,
 * and the ChunkStream a streamed chat call hands out, which owns the call's timers.
 */
import { GatewayError } from "../core/errors.js";
import type { UpstreamExchange } from "../net/client/exchange.js";
import type { ChatChunk } from "../wire/openai.js";
import { RAW_JSON } from "../wire/raw.js";
import type { CallControl } from "./http.js";
import { AwsEventReader } from "./streams/aws-eventstream.js";
import { DEFAULT_MAX_EVENT_BYTES, SseReader, type WireEvent } from "./streams/sse.js";
import type { ChunkStream, StreamState, WireAdapter } from "./types.js";

/**
 * Turns an upstream stream body (SSE or AWS event stream) into canonical chunks, synchronously
 * per piece of bytes — no async layer per event. `complete` tells whether the stream ended
 * properly (a terminal event, or a finished choice).
 */
export class ChunkDecoder {
  private readonly reader: SseReader | AwsEventReader;
  private done = false;
  private sawFinish = false;

  /** `maxEventBytes`: the longest event (or line) held while waiting for its end; longer fails the stream. */
  constructor(
    private readonly adapter: WireAdapter,
    private readonly state: StreamState,
    maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
  ) {
    this.reader = adapter.streamFormat === "aws-eventstream" ? new AwsEventReader(maxEventBytes) : new SseReader(maxEventBytes);
  }

  push(bytes: Uint8Array): ChatChunk[] {
    return this.decode(this.reader.push(bytes));
  }

  /** The last chunks, once the body has ended. */
  end(): ChatChunk[] {
    return this.decode(this.reader.end());
  }

  get complete(): boolean {
    return this.done || this.sawFinish;
  }

  private decode(events: WireEvent[]): ChatChunk[] {
    if (this.done || events.length === 0) return NONE;
    const out: ChatChunk[] = [];
    for (const ev of events) {
      const chunks = this.adapter.streamEvent(ev, this.state);
      if (chunks === "done") {
        // Later events are ignored, but the body is still read to its end so the connection is reused.
        this.done = true;
        break;
      }
      for (const c of chunks) {
        if (c.choices[0]?.finish_reason) this.sawFinish = true;
        out.push(c);
      }
    }
    return out;
  }
}

const NONE: ChatChunk[] = [];

/** A whole body decoded with ChunkDecoder, as an async generator (its return value: `complete`). */
export async function* decodeChunks(adapter: WireAdapter, body: AsyncIterable<Uint8Array>, state: StreamState): AsyncGenerator<ChatChunk, boolean> {
  const d = new ChunkDecoder(adapter, state);
  for await (const bytes of body) yield* d.push(bytes);
  yield* d.end();
  return d.complete;
}

/** Some providers (Gemini, Cohere, Bedrock) do not name the model in their chunks. */
function named(c: ChatChunk, model: string): ChatChunk {
  if (!c.model) {
    c.model = model;
    RAW_JSON.delete(c);
  }
  return c;
}

/** Reads the upstream stream body and yields canonical chunks, owning the call's timers. */
export function makeChunkStream(res: UpstreamExchange, decoder: ChunkDecoder, call: CallControl, model: string): ChunkStream {
  const it = new UpstreamChunks(res, decoder, call, model);
  return {
    [Symbol.asyncIterator]: () => it,
    cancel: () => call.cancel(), // the call's cancellation aborts the exchange
  };
}

const DONE: IteratorResult<ChatChunk> = Object.freeze({ done: true, value: undefined });

/**
 * The chunks of one upstream stream, decoded a body read at a time and handed out one by one.
 * A plain iterator rather than an async generator: a chunk already decoded is returned without
 * resuming a generator, and a read is awaited only when none is left. Whatever way it ends
 * (the last chunk, a failure, or the consumer stopping early) it releases the call once.
 */
class UpstreamChunks implements AsyncIterator<ChatChunk> {
  private ready: ChatChunk[] = NONE;
  private index = 0;
  private finished = false;
  /** Thrown once the chunks decoded before it have been handed out. */
  private pending: GatewayError | null = null;

  constructor(
    private readonly res: UpstreamExchange,
    private readonly decoder: ChunkDecoder,
    private readonly call: CallControl,
    private readonly model: string,
  ) {}

  async next(): Promise<IteratorResult<ChatChunk>> {
    try {
      for (;;) {
        if (this.index < this.ready.length) return { done: false, value: named(this.ready[this.index++], this.model) };
        if (this.finished) {
          const e = this.pending;
          this.pending = null;
          if (e) throw e;
          return DONE;
        }
        const bytes = this.res.take();
        if (bytes) {
          this.ready = bytes.length === 1 ? this.decoder.push(bytes[0]) : bytes.flatMap((b) => this.decoder.push(b));
          this.index = 0;
          if (this.ready.length) this.call.firstToken();
        } else if (this.res.complete) {
          this.ready = this.decoder.end();
          this.index = 0;
          this.release();
          if (!this.decoder.complete) this.pending = new GatewayError("upstream_error", "upstream stream ended before it was complete", { retryable: false });
        } else {
          await this.res.readable(); // throws the exchange's failure
        }
      }
    } catch (e) {
      this.release();
      this.ready = NONE;
      throw this.call.translate(e);
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that a throw in release() reaches the caller as a rejection, as the iterator protocol expects
  async return(): Promise<IteratorResult<ChatChunk>> {
    this.release();
    this.ready = NONE;
    return DONE;
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    this.call.done();
    this.res.abort();
  }
}

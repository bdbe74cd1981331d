/**
 * AWS's binary event-stream framing (Bedrock ConverseStream): length-prefixed messages with
 * headers and a CRC. Each message becomes one event named by its `:event-type` (or
 * `:exception-type`, prefixed `exception:`), with the JSON payload as data.
 */
import type * as Codec from "@smithy/eventstream-codec";
import type * as Utf8 from "@smithy/util-utf8";
import { lazyPackage } from "../../core/lazy.js";
import { DEFAULT_MAX_EVENT_BYTES, eventTooLarge, type WireEvent } from "./sse.js";

const utf8 = lazyPackage<typeof Utf8>("@smithy/util-utf8");
/** The codec, made (and its packages loaded) by the first Bedrock stream, not by every gateway. */
let made: Codec.EventStreamCodec | undefined;
const codec = () => (made ??= new (lazyPackage<typeof Codec>("@smithy/eventstream-codec")().EventStreamCodec)(utf8().toUtf8, utf8().fromUtf8));

/**
 * Push bytes in, get the complete messages they finish out. A message announcing more than
 * `maxEventBytes` fails the call as soon as its length prefix arrives, so no more than that
 * (and one read) is ever held.
 */
export class AwsEventReader {
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxEventBytes = DEFAULT_MAX_EVENT_BYTES) {}

  push(chunk: Uint8Array): WireEvent[] {
    this.buffer = concat(this.buffer, chunk);
    const out: WireEvent[] = [];
    while (this.buffer.length >= 4) {
      const total = new DataView(this.buffer.buffer, this.buffer.byteOffset, 4).getUint32(0, false);
      if (total > this.maxEventBytes) {
        this.buffer = new Uint8Array(0);
        throw eventTooLarge(this.maxEventBytes);
      }
      if (this.buffer.length < total) break;
      const message = codec().decode(this.buffer.subarray(0, total));
      this.buffer = this.buffer.subarray(total);
      const h = message.headers;
      const type = String(h[":event-type"]?.value ?? "");
      const exception = h[":exception-type"]?.value;
      const name = exception ? `exception:${String(exception)}` : h[":message-type"]?.value === "error" ? `error:${String(h[":error-code"]?.value ?? "")}` : type;
      out.push({ event: name, data: utf8().toUtf8(message.body) });
    }
    return out;
  }

  end(): WireEvent[] {
    if (this.buffer.length) throw new Error("upstream event stream ended inside a message");
    return [];
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * AWS's binary event-stream framing (Bedrock ConverseStream): length-prefixed messages with
 * headers and a CRC. Each message becomes one event named by its `:event-type` (or
 * `:exception-type`, prefixed `exception:`), with the JSON payload as data.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { WireEvent } from "./sse.js";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export async function* awsEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<WireEvent> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    buffer = concat(buffer, chunk);
    while (buffer.length >= 4) {
      const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, false);
      if (buffer.length < total) break;
      const message = codec.decode(buffer.subarray(0, total));
      buffer = buffer.subarray(total);
      const h = message.headers;
      const type = String(h[":event-type"]?.value ?? "");
      const exception = h[":exception-type"]?.value;
      const name = exception ? `exception:${String(exception)}` : h[":message-type"]?.value === "error" ? `error:${String(h[":error-code"]?.value ?? "")}` : type;
      yield { event: name, data: toUtf8(message.body) };
    }
  }
  if (buffer.length) throw new Error("upstream event stream ended inside a message");
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

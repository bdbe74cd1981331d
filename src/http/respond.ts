/** Writing inference responses through a `Reply`: JSON, the error envelope (OpenAI's, or another API's), and SSE. */
import { type GatewayError, openAIEnvelope } from "../core/errors.js";
import { RAW_JSON } from "../wire/raw.js";
import type { HeaderBag, Reply } from "../net/reply.js";

export type { HeaderBag } from "../net/reply.js";

/** Sends `body` as JSON: the upstream's own text when the body is an upstream object left unchanged (RAW_JSON). */
export function sendJson(reply: Reply, status: number, body: object, headers: HeaderBag): void {
  headers["content-type"] = "application/json";
  reply.send(status, headers, RAW_JSON.get(body) ?? JSON.stringify(body));
}

/** `envelope` renders the error in the client's API (OpenAI's unless told). */
export function sendError(reply: Reply, err: GatewayError, headers: HeaderBag, envelope: (err: GatewayError) => object = openAIEnvelope): void {
  if (reply.headersSent) {
    reply.destroy();
    return;
  }
  if (err.retryAfterSeconds !== undefined && (err.status === 429 || err.status === 503)) {
    headers["retry-after"] = String(Math.ceil(err.retryAfterSeconds));
  }
  sendJson(reply, err.status, envelope(err), headers);
}

/**
 * Server-Sent Events writer that respects backpressure. Events written in the same turn of the
 * event loop (e.g. several chunks decoded from one upstream packet) are joined and leave in one
 * `write` once the turn is over: one chunk of the chunked encoding and one system call, instead
 * of four socket writes per event. The response headers leave with the first events.
 */
export class SseWriter {
  private pending = "";
  private scheduled = false;
  /** Set while the socket has refused more: writers wait for it to drain (or close). */
  private blocked: Promise<void> | null = null;
  private readonly flush = () => {
    this.scheduled = false;
    const out = this.pending;
    this.pending = "";
    if (!out || this.reply.closed) return;
    if (!this.reply.write(out)) this.blocked ??= this.reply.drained().then(() => void (this.blocked = null));
  };

  constructor(private readonly reply: Reply) {}

  start(headers: HeaderBag): void {
    headers["content-type"] = "text/event-stream; charset=utf-8";
    headers["cache-control"] = "no-cache";
    headers["x-accel-buffering"] = "no";
    this.reply.start(200, headers);
  }

  /** Queues one `data:` event for the end of this turn; returns a promise while the client is not keeping up. */
  data(payload: string): Promise<void> | void {
    this.pending += `data: ${payload}\n\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return this.blocked ?? undefined;
  }

  /** Queues one named event (`event:` then `data:`), as `data` does. */
  event(name: string, payload: string): Promise<void> | void {
    this.pending += `event: ${name}\ndata: ${payload}\n\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return this.blocked ?? undefined;
  }

  /** Sends what is queued and ends the response. */
  end(): void {
    const out = this.pending;
    this.pending = "";
    this.reply.end(out || undefined);
  }

  get closed(): boolean {
    return this.reply.closed;
  }
}

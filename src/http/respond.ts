/** Writing responses on the raw Node response: JSON, the error envelope, and SSE. */
import type { ServerResponse } from "node:http";
import { type GatewayError, openAIEnvelope } from "../core/errors.js";

export type HeaderBag = Record<string, string>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: HeaderBag): void {
  const payload = JSON.stringify(body);
  headers["content-type"] = "application/json";
  headers["content-length"] = String(Buffer.byteLength(payload));
  res.writeHead(status, headers);
  res.end(payload);
}

export function sendError(res: ServerResponse, err: GatewayError, headers: HeaderBag): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err.retryAfterSeconds !== undefined && (err.status === 429 || err.status === 503)) {
    headers["retry-after"] = String(Math.ceil(err.retryAfterSeconds));
  }
  sendJson(res, err.status, openAIEnvelope(err), headers);
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
    if (!out || this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.write(out)) this.blocked ??= drained(this.res).then(() => void (this.blocked = null));
  };

  constructor(private readonly res: ServerResponse) {}

  start(headers: HeaderBag): void {
    headers["content-type"] = "text/event-stream; charset=utf-8";
    headers["cache-control"] = "no-cache";
    headers["x-accel-buffering"] = "no";
    this.res.writeHead(200, headers);
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

  /** Sends what is queued and ends the response. */
  end(): void {
    const out = this.pending;
    this.pending = "";
    if (out) this.res.end(out);
    else this.res.end();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

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
 * event loop (e.g. several chunks decoded from one upstream packet) leave in one write: the
 * socket is corked on the first and uncorked once the turn's microtasks have run.
 */
export class SseWriter {
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    if (!this.res.destroyed) this.res.uncork();
  };

  constructor(private readonly res: ServerResponse) {}

  start(headers: HeaderBag): void {
    headers["content-type"] = "text/event-stream; charset=utf-8";
    headers["cache-control"] = "no-cache";
    headers["x-accel-buffering"] = "no";
    this.res.writeHead(200, headers);
    this.cork();
    this.res.flushHeaders();
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    setImmediate(this.uncork);
  }

  /** Writes one `data:` event; resolves when the socket can take more. */
  data(payload: string): Promise<void> | void {
    this.cork();
    if (this.res.write(`data: ${payload}\n\n`)) return;
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.on("drain", done);
      this.res.on("close", done);
    });
  }

  end(): void {
    this.res.end();
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }
}

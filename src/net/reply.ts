/**
 * The two sides of one inference request as the handler sees them, whichever HTTP server
 * carried it: the gateway's own HTTP/1.1 connection (`fast-server.ts`, the hot path) or
 * Node's `http` server (every connection the fast server handed over). The handler reads the
 * request through `Inbound` and writes the answer through `Reply`, and never touches either
 * server's objects.
 */
import type { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { PLAIN_VALUE } from "./http-syntax.js";
import { readBody } from "./body.js";

export type HeaderBag = Record<string, string>;

export interface Inbound {
  /** Lower-case header names, as Node's `IncomingMessage.headers`. */
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  /** The whole body; a 413 `GatewayError` past `maxBytes`. */
  body(maxBytes: number): Promise<Buffer>;
}

export interface Reply {
  /** The status line and headers have been written. */
  readonly headersSent: boolean;
  /** The response has ended, or the connection is gone: nothing more can be written. */
  readonly closed: boolean;
  /** `fn` runs once if the client goes away before the response is complete. */
  onAbort(fn: () => void): void;
  /** A whole response (a `content-length` is added). */
  send(status: number, headers: HeaderBag, body: string): void;
  /** Starts a streamed response (chunked transfer encoding). */
  start(status: number, headers: HeaderBag): void;
  /** Writes a piece of a streamed response; false while the client's socket is full. */
  write(text: string): boolean;
  /** Resolves once the client's socket takes more again, or the connection closed. */
  drained(): Promise<void>;
  /** Ends a streamed response, after `text` if given. */
  end(text?: string): void;
  /** Drops the connection (a stream that cannot be ended cleanly). */
  destroy(): void;
}

/** An inference request that arrived through Node's `http` server. */
export class NodeInbound implements Inbound {
  constructor(private readonly req: IncomingMessage) {}

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress;
  }

  body(maxBytes: number): Promise<Buffer> {
    return readBody(this.req, maxBytes);
  }
}

/**
 * A header value that can be sent: characters that would break the head (CR, LF, other control
 * characters) or that HTTP cannot carry (beyond Latin-1) are dropped. Some values echo client
 * input (the model name), so this must never throw.
 */
export function sendableValue(v: string): string {
  return PLAIN_VALUE.test(v) ? v : v.replace(/[^\t\x20-\x7e\x80-\xff]/g, "");
}

function sendable(headers: HeaderBag): HeaderBag {
  for (const k in headers) headers[k] = sendableValue(headers[k]);
  return headers;
}

/** The reply to it, on Node's `ServerResponse`. */
export class NodeReply implements Reply {
  constructor(private readonly res: ServerResponse) {}

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  onAbort(fn: () => void): void {
    this.res.on("close", () => {
      if (!this.res.writableFinished) fn();
    });
  }

  send(status: number, headers: HeaderBag, body: string): void {
    headers["content-length"] = String(Buffer.byteLength(body));
    this.res.writeHead(status, sendable(headers));
    this.res.end(body);
  }

  start(status: number, headers: HeaderBag): void {
    this.res.writeHead(status, sendable(headers));
  }

  write(text: string): boolean {
    return this.res.write(text);
  }

  drained(): Promise<void> {
    return drained(this.res);
  }

  end(text?: string): void {
    if (text) this.res.end(text);
    else this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }
}

/** Resolves on the stream's next `drain`, or when it closes. */
export function drained(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

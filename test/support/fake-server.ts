/**
 * The HTTP plumbing the provider fakes share: a node:http server on 127.0.0.1 (a free port unless
 * one is given) that reads each request's body, records it as a RecordedUpstreamCall (body parsed
 * as JSON, or kept as the raw string) and hands it to the fake's `handle`, with a FIFO queue of
 * scenarios the handler takes from when it decides to answer one.
 *
 *   const server = await startFakeServer<Scenario>({
 *     async handle(call, res, ctx) {
 *       const s = ctx.next();                       // the next queued scenario, or {}
 *       if (s.error) return sendJson(res, s.error.status, { message: s.error.message });
 *       res.writeHead(200, { "content-type": "text/event-stream" });
 *       await writeSplit(res, Buffer.from("data: ...\n\n"), s.splitBytes);
 *       res.end();
 *     },
 *   });
 *   server.url; server.calls; server.enqueue(s); server.reset(); await server.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedUpstreamCall } from "../conformance/types.js";

export interface FakeRequest<S> {
  req: IncomingMessage;
  /** The body's bytes as received. */
  raw: Buffer;
  /** Whether the body parsed as JSON (otherwise `call.body` holds the raw text). */
  parsed: boolean;
  /** Takes the next queued scenario (FIFO), or `{}` when none is queued. */
  next: () => S;
}

export interface FakeServerOptions<S> {
  /** Answers one recorded call. A throw or rejection goes to `onError`. */
  handle(call: RecordedUpstreamCall, res: ServerResponse, ctx: FakeRequest<S>): unknown;
  /** Runs before a request is recorded; returns true when it answered it (e.g. an OAuth endpoint). */
  intercept?(req: IncomingMessage, res: ServerResponse, raw: Buffer): boolean;
  /** What a failed `handle` answers (default: drop the connection). */
  onError?: (err: unknown, res: ServerResponse) => void;
  /** Record an empty body as undefined instead of "". */
  emptyBodyAsUndefined?: boolean;
  port?: number;
}

export interface FakeServer<S> {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  calls: RecordedUpstreamCall[];
  enqueue: (s: S) => void;
  reset: () => void;
  close: () => Promise<void>;
}

export async function startFakeServer<S extends object>(o: FakeServerOptions<S>): Promise<FakeServer<S>> {
  const calls: RecordedUpstreamCall[] = [];
  let queue: S[] = [];
  const onError = o.onError ?? ((_err: unknown, res: ServerResponse) => res.destroy());

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      void (async () => {
        if (o.intercept?.(req, res, raw)) return;
        const text = raw.toString("utf8");
        let body: unknown = text;
        let parsed = false;
        try {
          body = text === "" && o.emptyBodyAsUndefined ? undefined : JSON.parse(text);
          parsed = true;
        } catch {
          /* keep the raw text */
        }
        const call: RecordedUpstreamCall = { method: req.method ?? "GET", path: req.url ?? "/", headers: { ...req.headers }, body };
        calls.push(call);
        await o.handle(call, res, { req, raw, parsed, next: () => queue.shift() ?? ({} as S) });
      })().catch((err: unknown) => onError(err, res));
    });
  });

  const port = await listen(server, o.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    enqueue: (s) => void queue.push(s),
    reset() {
      calls.length = 0;
      queue = [];
    },
    close: () => closeServer(server),
  };
}

/** The whole request body. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** Listens on 127.0.0.1 (a free port unless one is given); resolves with the port. */
export async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Stops the server, dropping open (keep-alive or streaming) connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A JSON reply with its content-length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes bytes whole, or (split) one byte per write so multi-byte characters arrive cut; stops if the client goes away. */
export async function writeSplit(res: ServerResponse, bytes: Uint8Array, split = false): Promise<void> {
  if (!split) return new Promise<void>((done) => res.write(bytes, () => done()));
  for (let i = 0; i < bytes.length && !res.destroyed; i++) {
    await new Promise<void>((done) => res.write(bytes.subarray(i, i + 1), () => setImmediate(done)));
  }
}

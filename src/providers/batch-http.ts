/**
 * The HTTP side of the native batch APIs (`BatchHttp`, see ./batch.ts): JSON calls and JSONL
 * downloads over the provider's own transport, timers, cancellation and credentials, built by
 * ./http.ts for an adapter that has a `batch` hook. A downloaded file is handed out line by
 * line, holding only the line being read: a results file may be far larger than memory.
 */
import { GatewayError } from "../core/errors.js";
import type { UpstreamExchange } from "../net/client/exchange.js";
import type { BatchHttp, BatchHttpRequest } from "./batch.js";
import type { CallOptions, SignableRequest } from "./types.js";

type Headers = Record<string, string | string[] | undefined>;

/** The timers and cancellation of one call (./http.ts's CallControl). */
export interface BatchCall {
  done(): void;
  translate(e: unknown): GatewayError;
}

export interface BatchTransport<C extends BatchCall> {
  id: string;
  /** The provider's base URL, without a trailing slash. */
  base: string;
  /** `upstream.max_response_bytes`: a JSON answer's bound, and a JSONL line's. */
  maxBodyBytes: number;
  newCall(opts: CallOptions): C;
  /** Sends the request with the provider's headers and authorisation added. */
  send(req: SignableRequest, opts: CallOptions, call: C): Promise<UpstreamExchange>;
  /** The adapter's mapping of an upstream error answer. */
  error(status: number, body: string, headers: Headers): GatewayError;
}

export function batchHttp<C extends BatchCall>(t: BatchTransport<C>): BatchHttp {
  const origin = new URL(t.base).origin;

  const request = (r: BatchHttpRequest): SignableRequest => {
    const url = r.url ?? t.base + (r.path ?? "");
    if (new URL(url).origin !== origin) {
      throw new GatewayError("upstream_error", `${t.id} pointed to ${new URL(url).origin}, outside its base URL's origin ${origin}; not followed`, { retryable: false });
    }
    const headers: Record<string, string> = { ...r.headers };
    let body: string | undefined;
    if (r.json !== undefined) {
      body = JSON.stringify(r.json);
      headers["content-type"] = "application/json";
    } else if (r.raw) {
      body = r.raw.body;
      headers["content-type"] = r.raw.contentType;
    }
    return { url, method: r.method, headers, body };
  };

  /** An error answer: a batch or file the provider does not know is `not_found`, not a missing model. */
  const failure = (status: number, text: string, headers: Headers): GatewayError => {
    const e = t.error(status, text, headers);
    if (status !== 404) return e;
    return new GatewayError("not_found", e.message, { upstreamStatus: 404, cause: e });
  };

  return {
    id: t.id,
    origin,

    async json(r: BatchHttpRequest, opts: CallOptions): Promise<unknown> {
      const call = t.newCall(opts);
      try {
        const res = await t.send(request(r), opts, call);
        const text = await res.text();
        if (res.statusCode >= 300) throw failure(res.statusCode, text, res.headers);
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new GatewayError("upstream_error", `${t.id} returned a response that is not JSON`, { retryable: false });
        }
      } catch (e) {
        if ((e as { code?: string })?.code === "UPSTREAM_RESPONSE_TOO_LARGE") {
          throw new GatewayError("upstream_error", `${t.id} answered with more than ${t.maxBodyBytes} bytes (upstream.max_response_bytes)`, { retryable: false });
        }
        throw call.translate(e);
      } finally {
        call.done();
      }
    },

    lines(r: BatchHttpRequest, opts: CallOptions): AsyncIterable<string> {
      return { [Symbol.asyncIterator]: () => readLines(t, request, failure, r, opts) };
    },
  };
}

async function* readLines<C extends BatchCall>(
  t: BatchTransport<C>,
  request: (r: BatchHttpRequest) => SignableRequest,
  failure: (status: number, text: string, headers: Headers) => GatewayError,
  r: BatchHttpRequest,
  opts: CallOptions,
): AsyncGenerator<string> {
  const call = t.newCall(opts);
  let res: UpstreamExchange | undefined;
  try {
    res = await t.send(request(r), opts, call);
    if (res.statusCode >= 300) throw failure(res.statusCode, await res.text(), res.headers);
    const splitter = new LineSplitter(t.maxBodyBytes, t.id);
    for (;;) {
      const bytes = res.take();
      if (bytes) {
        for (const b of bytes) yield* splitter.push(b);
      } else if (res.complete) {
        yield* splitter.end();
        return;
      } else {
        await res.readable();
      }
    }
  } catch (e) {
    throw call.translate(e);
  } finally {
    res?.abort(); // no-op once the body has ended; stops the download when the reader stops early
    call.done();
  }
}

/** Splits bytes into UTF-8 lines (a "\r\n" ending too), blank lines skipped, each at most `maxLineBytes`. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly provider: string,
  ) {}

  *push(bytes: Buffer): Generator<string> {
    let start = 0;
    for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
      this.hold(bytes.subarray(start, nl));
      const line = this.take();
      if (line) yield line;
      start = nl + 1;
    }
    if (start < bytes.length) this.hold(bytes.subarray(start));
  }

  *end(): Generator<string> {
    const line = this.take();
    if (line) yield line;
  }

  private hold(b: Buffer): void {
    if (b.length === 0) return;
    this.held += b.length;
    if (this.held > this.maxLineBytes) {
      throw new GatewayError("upstream_error", `${this.provider} sent a results line longer than ${this.maxLineBytes} bytes (upstream.max_response_bytes)`, { retryable: false });
    }
    this.parts.push(Buffer.from(b)); // a copy: the read buffer may be reused
  }

  private take(): string {
    const s = (this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held)).toString("utf8");
    this.parts = [];
    this.held = 0;
    return s.trim();
  }
}

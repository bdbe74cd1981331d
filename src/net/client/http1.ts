/**
 * HTTP/1.1 on the upstream client's side, as pure functions of strings: the request as it is
 * written (`serialize`), and the parts of a response the connection needs before the body (the
 * status line, and the headers that decide framing and reuse). The connection handling that
 * uses them is in ./connection.ts (and the pools in ./client.ts).
 */
import { CONTENT_LENGTH, LISTS_CLOSE, LISTS_KEEP_ALIVE, PLAIN_VALUE, TOKEN } from "../http-syntax.js";

export interface ClientRequest {
  method: string;
  /** The path and query, starting with "/". */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Longest wait for the response's status line after the request was written; 0: none. */
  headersTimeout: number;
  /** Longest silence while reading the body; 0: none. */
  bodyTimeout: number;
}

export type ClientErrorCode =
  | "UPSTREAM_CONNECT_TIMEOUT"
  | "UPSTREAM_HEADERS_TIMEOUT"
  | "UPSTREAM_BODY_TIMEOUT"
  | "UPSTREAM_CLOSED"
  | "UPSTREAM_BAD_RESPONSE"
  | "UPSTREAM_RESPONSE_TOO_LARGE"
  | "UPSTREAM_INVALID_REQUEST"
  | "UPSTREAM_POOL_CLOSED";

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

type Headers = Record<string, string | string[]>;

/** A response's status and headers, as every transport reports them to its exchange. */
export interface UpstreamHead {
  readonly statusCode: number;
  /** Lower-case names; a repeated header is an array. */
  readonly headers: Record<string, string | string[] | undefined>;
}

/** A response's status and headers; the header list is parsed on first use (most calls never read it). */
export class ResponseHead implements UpstreamHead {
  private parsed: Headers | null = null;

  /** `block`: the header lines (latin1), after the status line, without the blank line. */
  constructor(
    readonly statusCode: number,
    private readonly block: string,
  ) {}

  get headers(): Headers {
    return (this.parsed ??= parseHeaderBlock(this.block));
  }
}

/** Header lines into a record of lower-case names; repeated names become arrays. */
function parseHeaderBlock(block: string): Headers {
  const out: Headers = Object.create(null) as Headers; // a "__proto__" header is just a header
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    // Not trimmed: a name with spaces around it is not a valid field name (and framing ignores it too).
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}

/** A request target is visible ASCII only (spaces and control characters would break the request line). */
const BAD_PATH = /[^\x21-\x7e]/;
/** Headers the client sets itself; a caller's value for them is dropped. */
const OWN_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te"]);

/** What is wrong with the request line's method or path, if anything. */
function badTarget(req: ClientRequest): ClientError | null {
  if (!TOKEN.test(req.method)) return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request method ${JSON.stringify(req.method)}`);
  if (req.path.charCodeAt(0) !== 47 /* "/" */ || BAD_PATH.test(req.path)) {
    return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request path ${JSON.stringify(req.path.slice(0, 200))}`);
  }
  return null;
}

/**
 * Why `req` cannot be sent, or its headers without those the client sets itself.
 * The same checks as serialize(), for transports that write the request themselves (undici).
 */
export function checkRequest(req: ClientRequest): { headers: Record<string, string> } | ClientError {
  const bad = badTarget(req);
  if (bad) return bad;
  const headers: Record<string, string> = {};
  for (const name in req.headers) {
    const value = req.headers[name];
    if (!TOKEN.test(name) || !PLAIN_VALUE.test(value)) return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request header ${JSON.stringify(name)}`);
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  return { headers };
}

/** The request as it goes on the wire, or why it cannot be sent. */
export function serialize(req: ClientRequest, authority: string): string | ClientError {
  const bad = badTarget(req);
  if (bad) return bad;
  let out = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${authority}\r\n`;
  for (const name in req.headers) {
    const value = req.headers[name];
    if (!TOKEN.test(name) || !PLAIN_VALUE.test(value)) return new ClientError("UPSTREAM_INVALID_REQUEST", `invalid request header ${JSON.stringify(name)}`);
    if (OWN_HEADERS.has(name.toLowerCase())) continue;
    out += name + ": " + value + "\r\n";
  }
  if (req.body !== undefined) return out + `content-length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`;
  return out + (req.method === "POST" || req.method === "PUT" || req.method === "PATCH" ? "content-length: 0\r\n\r\n" : "\r\n");
}

/** The status code of "HTTP/1.x NNN reason", or -1. */
export function parseStatusLine(text: string): number {
  if (!text.startsWith("HTTP/1.") || text.charCodeAt(8) !== 32) return -1;
  const minor = text.charCodeAt(7);
  if (minor !== 48 && minor !== 49) return -1;
  const after = text.charCodeAt(12); // a space before the reason, the end of the line, or the end of the head
  if (text.length > 12 && after !== 32 && after !== 13) return -1;
  let status = 0;
  for (let k = 9; k < 12; k++) {
    const c = text.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    status = status * 10 + c;
  }
  return status >= 100 ? status : -1;
}

export interface Framing {
  chunked: boolean;
  /** content-length, or -1 when absent. */
  length: number;
  keepAlive: boolean;
  /** The server's keep-alive timeout hint in ms. */
  keepAliveMs: number | undefined;
}

/**
 * The headers that decide how the body is framed and whether the connection is reused, or what
 * is wrong with them. The error never quotes the upstream's bytes: a confused upstream may be
 * sending another caller's data.
 */
export function framing(block: string, http11: boolean): Framing | string {
  const f: Framing = { chunked: false, length: -1, keepAlive: http11, keepAliveMs: undefined };
  let codings = "";
  let close = false;
  let start = 0;
  while (start < block.length) {
    let end = block.indexOf("\r\n", start);
    if (end < 0) end = block.length;
    const colon = block.indexOf(":", start);
    if (colon > start && colon < end) {
      const n = colon - start;
      // Only names of these lengths matter: content-length (14), transfer-encoding (17),
      // connection and keep-alive (10).
      if (n === 14 || n === 17 || n === 10) {
        const name = block.slice(start, colon).toLowerCase();
        const value = block
          .slice(colon + 1, end)
          .trim()
          .toLowerCase();
        if (name === "content-length") {
          if (!CONTENT_LENGTH.test(value) || (f.length >= 0 && f.length !== Number(value))) return "invalid or conflicting content-length";
          f.length = Number(value);
        } else if (name === "transfer-encoding") {
          codings += (codings ? "," : "") + value; // repeated lines are one list
        } else if (name === "connection") {
          if (LISTS_CLOSE.test(value)) close = true;
          else if (LISTS_KEEP_ALIVE.test(value)) f.keepAlive = true;
        } else if (name === "keep-alive") {
          const m = /timeout\s*=\s*(\d+)/.exec(value);
          if (m) f.keepAliveMs = Number(m[1]) * 1000;
        }
      }
    }
    start = end + 2;
  }
  if (codings) {
    // Only "chunked" (possibly with "identity") is understood; anything else would be delivered undecoded.
    const list = codings
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c && c !== "identity");
    if (list.length > 1 || (list.length === 1 && list[0] !== "chunked")) return "unsupported transfer-encoding (only chunked is understood)";
    f.chunked = list.length === 1;
    if (f.chunked && f.length >= 0) {
      // Both framings: transfer-encoding wins (RFC 9112 §6.3), and the connection is not trusted again.
      f.length = -1;
      close = true;
    }
  }
  if (close) f.keepAlive = false; // once "close" is said, a later "keep-alive" does not undo it
  return f;
}

/** Parsing the request heads the gateway's HTTP/1.1 edge serves itself (see fast-server.ts). */
import type { IncomingHttpHeaders } from "node:http";
import { FIELD_VALUE, TOKEN } from "../http-syntax.js";

/** An origin-form request target: visible ASCII only. */
const TARGET = /^\/[\x21-\x7e]*$/;
/**
 * A `content-length` field value as llhttp takes it, before trimming: spaces and tabs before the
 * digits, only spaces after them (a tab after the digits is a 400 from Node). At most 15 digits
 * (a safe integer; llhttp refuses an overflow).
 */
const CONTENT_LENGTH_FIELD = /^[ \t]*\d{1,15} *$/;
/**
 * A `connection` field value (before trimming) that lists `close` as llhttp reads it: a token
 * after spaces or tabs, followed only by spaces up to a comma or the end (`close` followed by a
 * tab is not `close` to llhttp, and Node keeps the connection open).
 */
const LISTS_CLOSE = /(?:^|,)[ \t]*close *(?:,|$)/i;

export interface Head {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  contentLength: number;
  close: boolean;
}

/**
 * Parses a request head, or returns null when the fast path does not take it: anything but an
 * HTTP/1.1 request in origin form with a `content-length`, unique well-formed header names, no
 * `transfer-encoding`, `expect` or `upgrade`, and at most `maxHeaders` header lines (0: no
 * limit) — past that Node's server keeps only the first ones, so the request is left to it.
 */
export function parseHead(text: string, maxHeaders: number): Head | null {
  let eol = text.indexOf("\r\n");
  const line = eol < 0 ? text : text.slice(0, eol);
  const sp1 = line.indexOf(" ");
  const sp2 = line.lastIndexOf(" ");
  if (sp1 <= 0 || sp2 <= sp1 || line.slice(sp2 + 1) !== "HTTP/1.1") return null;
  const method = line.slice(0, sp1);
  const url = line.slice(sp1 + 1, sp2);
  if (!TARGET.test(url) || !TOKEN.test(method)) return null;
  const headers: IncomingHttpHeaders = {};
  let contentLength = -1;
  let close = false;
  let count = 0;
  while (eol >= 0) {
    if (++count > maxHeaders && maxHeaders > 0) return null;
    const from = eol + 2;
    eol = text.indexOf("\r\n", from);
    const h = eol < 0 ? text.slice(from) : text.slice(from, eol);
    const colon = h.indexOf(":");
    if (colon <= 0) return null;
    const name = h.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name) || headers[name] !== undefined) return null;
    const raw = h.slice(colon + 1);
    if (!FIELD_VALUE.test(raw)) return null; // checked before trimming: nothing but spaces and tabs is trimmed
    const value = trimOws(raw);
    switch (name) {
      case "content-length":
        if (!CONTENT_LENGTH_FIELD.test(raw)) return null;
        contentLength = Number(value);
        break;
      case "transfer-encoding":
      case "expect":
      case "upgrade":
        return null;
      case "connection":
        if (LISTS_CLOSE.test(raw)) close = true;
        else if (/upgrade/i.test(value)) return null;
        break;
    }
    headers[name] = value;
  }
  if (contentLength < 0 || headers.host === undefined) return null; // HTTP/1.1 requires Host: Node answers 400
  return { method, url, headers, contentLength, close };
}

/** Strips the optional whitespace (spaces and tabs only) around a field value. */
function trimOws(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++;
  while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

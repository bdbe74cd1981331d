/** Parsing the request heads the gateway's HTTP/1.1 edge serves itself (see fast-server.ts). */
import type { IncomingHttpHeaders } from "node:http";
import { CONTENT_LENGTH, FIELD_VALUE, LISTS_CLOSE, TOKEN } from "../http-syntax.js";

/** An origin-form request target: visible ASCII only. */
const TARGET = /^\/[\x21-\x7e]*$/;

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
 * `transfer-encoding`, `expect` or `upgrade`.
 */
export function parseHead(text: string): Head | null {
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
  while (eol >= 0) {
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
        if (!CONTENT_LENGTH.test(value)) return null;
        contentLength = Number(value);
        break;
      case "transfer-encoding":
      case "expect":
      case "upgrade":
        return null;
      case "connection":
        if (LISTS_CLOSE.test(value)) close = true;
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

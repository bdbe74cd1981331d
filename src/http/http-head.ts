/** Parsing the request heads the gateway's HTTP/1.1 edge serves itself (see fast-server.ts). */
import type { IncomingHttpHeaders } from "node:http";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;

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
  if (url.charCodeAt(0) !== 47 /* / */ || url.includes(" ") || !TOKEN.test(method)) return null;
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
    const value = h.slice(colon + 1).trim();
    if (value.includes("\n") || value.includes("\r") || value.includes("\0")) return null;
    switch (name) {
      case "content-length":
        if (!DIGITS.test(value)) return null;
        contentLength = Number(value);
        break;
      case "transfer-encoding":
      case "expect":
      case "upgrade":
        return null;
      case "connection":
        if (/(^|,)\s*close\s*(,|$)/i.test(value)) close = true;
        else if (/upgrade/i.test(value)) return null;
        break;
    }
    headers[name] = value;
  }
  if (contentLength < 0) return null;
  return { method, url, headers, contentLength, close };
}

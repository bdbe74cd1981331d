/**
 * HTTP/1.1 syntax (RFC 9110, RFC 9112) shared by the gateway's own server edge
 * (./server/http-head.ts) and its upstream client (./client/http1.ts).
 */

/** A method or a field name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value as received: visible characters, spaces, tabs and obs-text; no CR, LF, NUL or other controls. */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A field value that goes out as it is: ASCII without control characters. */
export const PLAIN_VALUE = /^[\t\x20-\x7e]*$/;
/** A `content-length` value (at most 15 digits: a safe integer). */
export const CONTENT_LENGTH = /^\d{1,15}$/;
/** A comma-separated `connection` value that lists `close`. */
export const LISTS_CLOSE = /(^|,)[ \t]*close[ \t]*(,|$)/i;
/** A comma-separated `connection` value that lists `keep-alive`. */
export const LISTS_KEEP_ALIVE = /(^|,)[ \t]*keep-alive[ \t]*(,|$)/i;

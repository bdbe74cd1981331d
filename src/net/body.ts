/**
 * Reads a request body from the raw Node request with a size limit. An oversized body is
 * read and discarded (up to a bound) before the 413 goes out, so the client sees the 413
 * instead of a connection reset.
 */
import type { IncomingMessage } from "node:http";
import { GatewayError } from "../core/errors.js";

/** Past this many bytes of an oversized body the connection is dropped instead of drained. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    let size = 0;
    let tooLarge = declared > maxBytes;
    const chunks: Buffer[] = [];
    const fail = () => reject(new GatewayError("request_too_large", `request body exceeds the limit of ${maxBytes} bytes`));
    if (tooLarge && declared > DRAIN_LIMIT) {
      req.destroy();
      return fail();
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        if (size > DRAIN_LIMIT) {
          req.destroy();
          fail();
        }
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => (tooLarge ? fail() : resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))));
    req.on("error", (e) => reject(new GatewayError("invalid_request", `could not read the request body: ${e.message}`)));
  });
}

/** Parses a JSON object body; anything else is a 400 with a clear message. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) throw new GatewayError("invalid_request", "request body is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (e) {
    throw new GatewayError("invalid_request", `malformed JSON in request body: ${(e as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new GatewayError("invalid_request", "request body must be a JSON object");
  }
  if (deeperThan(value, MAX_JSON_DEPTH)) {
    throw new GatewayError("invalid_request", `request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return value as Record<string, unknown>;
}

/**
 * Deepest nesting of objects and arrays a request body may have. JSON.parse takes any depth,
 * but the code after it (schema validation, token counting, serialising the upstream request)
 * recurses, and a body nested 200,000 deep would overflow its stack (a 500, or an "upstream"
 * error that is retried). Real requests, JSON schemas of structured outputs and tools included,
 * stay far below this.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether `node` holds objects/arrays nested more than `left` further levels down. Recursion
 * stops at the limit, so it never goes deeper than MAX_JSON_DEPTH frames; no arrays are
 * allocated (~0.2 µs on a small chat request).
 */
function deeperThan(node: object, left: number): boolean {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      if (v !== null && typeof v === "object" && (left <= 1 || deeperThan(v, left - 1))) return true;
    }
    return false;
  }
  const o = node as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (v !== null && typeof v === "object" && (left <= 1 || deeperThan(v, left - 1))) return true;
  }
  return false;
}

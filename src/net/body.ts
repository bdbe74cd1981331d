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
    req.on("end", () => (tooLarge ? fail() : resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
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
  return value as Record<string, unknown>;
}

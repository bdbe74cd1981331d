/** Request ids and master-key authentication for the management routes. */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../core/errors.js";
import { acceptableRequestId, newRequestId } from "../core/ids.js";
import { presentedKey } from "../policy/auth.js";
import type { ManagementDeps, ManagementEnv } from "./context.js";
import { sessionActor } from "./session/guard.js";
import type { SessionService } from "./session/sessions.js";

/** Takes `x-request-id` from the client when acceptable, else makes one; echoes it on every response. */
export function requestId(): MiddlewareHandler<ManagementEnv> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = acceptableRequestId(given) ? given : newRequestId();
    c.set("requestId", id);
    await next();
    c.res.headers.set("x-request-id", id);
  };
}

const VIRTUAL_KEY = /^sb-(live|test)-/;

/**
 * Only the master key may manage: missing or wrong → 401, a virtual key → 403. Without a key
 * header, a dashboard session cookie stands for the master key (see session/guard.ts).
 */
export function requireMasterKey(deps: ManagementDeps, sessions?: SessionService): MiddlewareHandler<ManagementEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.header());
    const session = !key && sessions ? await sessionActor(sessions, c) : undefined;
    if (session !== undefined) {
      c.set("actor", session);
      return next();
    }
    if (!key) throw new GatewayError("invalid_api_key", "missing API key: send the master key as 'Authorization: Bearer <key>' or 'x-api-key'");
    if (!deps.isMasterKey(key)) {
      if (VIRTUAL_KEY.test(key)) throw new GatewayError("permission_denied", "the management API requires the master key");
      throw new GatewayError("invalid_api_key", "invalid API key");
    }
    c.set("actor", "master");
    await next();
  };
}

/** Management bodies are small; anything over 1 MiB is refused with 413 before it is parsed. */
export const MAX_MANAGEMENT_BODY_BYTES = 1024 * 1024;
/** Past this many bytes an oversized body is no longer drained: the connection is dropped. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Reads a request body up to `max` bytes. An oversized body is read and discarded (bounded)
 * before the 413, so the client sees the 413 rather than a reset connection.
 */
export async function readLimited(req: Request, max: number): Promise<Buffer> {
  if (!req.body) return Buffer.alloc(0);
  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > DRAIN_LIMIT) {
      await reader.cancel();
      break;
    }
    if (size <= max) chunks.push(value);
  }
  if (size > max) throw new GatewayError("request_too_large", `request body exceeds the limit of ${max} bytes`);
  return Buffer.concat(chunks);
}

/** Management routes' bodies read with a size limit (`readLimited`) before any handler parses them. */
export function limitBody(maxBytes = MAX_MANAGEMENT_BODY_BYTES): MiddlewareHandler<ManagementEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body || raw.method === "GET" || raw.method === "HEAD") return next();
    c.req.raw = new Request(raw, { body: await readLimited(raw, maxBytes) });
    await next();
  };
}

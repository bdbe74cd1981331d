/**
 * The session cookie as the master key on the management API: a live session acts as the
 * master key; a state-changing call (anything but GET, HEAD and OPTIONS) also needs the
 * session's CSRF token in `x-csrf-token` (403 otherwise). Only consulted when the request
 * carries no API key header.
 */
import type { Context } from "hono";
import { GatewayError } from "../../core/errors.js";
import type { ManagementEnv } from "../context.js";
import { sessionCookie } from "./cookie.js";
import { csrfMatches, type SessionService } from "./sessions.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** How the audit log names a dashboard session: a prefix of its id's hash (never the id). */
export function sessionActorName(idHash: string): string {
  return `dashboard:${idHash.slice(0, 12)}`;
}

/** The actor of a request signed in with a live session cookie, or undefined when it has no cookie. */
export async function sessionActor(sessions: SessionService, c: Context<ManagementEnv>): Promise<string | undefined> {
  const id = sessionCookie(c.req.header("cookie"));
  if (id === undefined) return undefined;
  const session = await sessions.verify(id);
  if (!session) throw new GatewayError("invalid_api_key", "the dashboard session has ended or expired: sign in again");
  if (!SAFE_METHODS.has(c.req.method) && !csrfMatches(id, c.req.header("x-csrf-token"))) {
    throw new GatewayError("permission_denied", "missing or wrong x-csrf-token: a change made with the session cookie needs the session's CSRF token (GET /ui/api/session)");
  }
  return sessionActorName(session.idHash);
}

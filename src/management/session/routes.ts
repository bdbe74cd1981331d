/**
 * `/ui/api/session`: the dashboard's sign-in. POST with the master key makes a session (204 and
 * the `sb_session` cookie); GET tells whether the cookie's session is live and gives its CSRF
 * token; DELETE ends it on the server. Wrong master keys are audited and bounded per address.
 */
import type { Context, Hono } from "hono";
import { GatewayError } from "../../core/errors.js";
import { recordAudit, SIGN_IN_FAILED } from "../../store/repos/audit.js";
import { sourceIp, type ManagementDeps, type ManagementEnv } from "../context.js";
import { limitBody, requestId } from "../middleware.js";
import { validationError } from "../errors.js";
import { SessionSignInSchema, type SessionState } from "../schemas/session.js";
import { clearSessionCookie, overTls, sessionCookie, setSessionCookie } from "./cookie.js";
import { sessionActorName } from "./guard.js";
import { csrfMatches, csrfTokenFor, type SessionService } from "./sessions.js";
import type { SignInLimiter } from "./sign-in-limiter.js";

import { UI_SESSION_PATH as SESSION_PATH } from "../paths.js";

const NO_STORE = { "cache-control": "no-store" };

export function sessionRoutes(app: Hono<ManagementEnv>, deps: ManagementDeps, sessions: SessionService, limiter: SignInLimiter): void {
  app.use(SESSION_PATH, requestId(), limitBody(16 * 1024));
  const secure = (c: Context<ManagementEnv>) => overTls(c.req.url, c.req.header("x-forwarded-proto"));
  const audit = (c: Context<ManagementEnv>, actor: string, action: string, changes: Record<string, unknown> = {}) =>
    recordAudit(deps.db, { actor, action, target_type: "session", target_id: null, source_ip: sourceIp(c), request_id: c.get("requestId"), changes });

  app.post(SESSION_PATH, async (c) => {
    const body = await readJson(c);
    const parsed = SessionSignInSchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error, "json");
    const outcome = await limiter.attempt(sourceIp(c), () => deps.isMasterKey(parsed.data.master_key), {
      actor: "anonymous",
      action: SIGN_IN_FAILED,
      target_type: "session",
      target_id: null,
      request_id: c.get("requestId"),
      changes: {},
    });
    if (outcome.kind === "limited") {
      const wait = outcome.retryAfterSeconds;
      c.header("retry-after", String(wait));
      const why = outcome.reason === "failures" ? "too many failed sign-ins from this address" : "another sign-in from this address is being checked";
      throw new GatewayError("rate_limit_exceeded", `${why}; retry in ${wait} s`, { retryAfterSeconds: wait });
    }
    if (outcome.kind === "rejected") throw new GatewayError("invalid_api_key", "wrong master key");
    const { id, session } = await sessions.create(sourceIp(c));
    const actor = sessionActorName(session.idHash);
    await audit(c, actor, "session.create", { expires_at: session.expiresAt.toISOString() });
    return c.body(null, 204, { ...NO_STORE, "set-cookie": setSessionCookie(id, secure(c)) });
  });

  app.get(SESSION_PATH, async (c) => {
    const id = sessionCookie(c.req.header("cookie"));
    const session = id === undefined ? null : await sessions.verify(id);
    if (!id || !session) return c.json({ signed_in: false } satisfies SessionState, 200, NO_STORE);
    const state: SessionState = { signed_in: true, csrf_token: csrfTokenFor(id), expires_at: session.expiresAt.toISOString(), idle_expires_at: session.idleExpiresAt.toISOString() };
    return c.json(state, 200, NO_STORE);
  });

  app.delete(SESSION_PATH, async (c) => {
    const id = sessionCookie(c.req.header("cookie"));
    const session = id === undefined ? null : await sessions.verify(id);
    if (id && session) {
      if (!csrfMatches(id, c.req.header("x-csrf-token"))) throw new GatewayError("permission_denied", "missing or wrong x-csrf-token: signing out needs the session's CSRF token");
      await sessions.end(id);
      await audit(c, sessionActorName(session.idHash), "session.delete");
    }
    return c.body(null, 204, { ...NO_STORE, "set-cookie": clearSessionCookie(secure(c)) });
  });

  app.all(SESSION_PATH, (c) => {
    throw new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${SESSION_PATH}; use GET, POST or DELETE`);
  });
}

async function readJson(c: Context<ManagementEnv>): Promise<unknown> {
  if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "")) throw new GatewayError("invalid_request", "request body must be JSON (content-type: application/json)");
  try {
    return await c.req.json();
  } catch {
    throw new GatewayError("invalid_request", "malformed JSON in request body");
  }
}
